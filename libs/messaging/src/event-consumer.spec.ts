import { type CloudEvent, Events, Subjects } from '@runway/contracts';
import { backoffMs, isOutage, isPoison, subjectMismatch } from './event-consumer';

function event(type: string, data: object): CloudEvent<object> {
  return {
    specversion: '1.0', id: 'e1', source: 'test', type, time: new Date(0).toISOString(), datacontenttype: 'application/json', correlationid: 'c1', data,
  };
}

/** Shaped like TypeORM's QueryFailedError wrapping a pg error. */
function queryFailed(code: string, message = 'query failed'): Error {
  return Object.assign(new Error(message), { name: 'QueryFailedError', code, driverError: { code } });
}

describe('isPoison', () => {
  it.each([
    ['an error marked retryable: false', Object.assign(new Error('no'), { retryable: false })],
    ['INVALID_OUTGOING_EVENT', Object.assign(new Error('bad event'), { code: 'INVALID_OUTGOING_EVENT' })],
    ['a Postgres data exception (22P02)', queryFailed('22P02', 'invalid input syntax for type uuid')],
    ['a value too long (22001) without driverError', Object.assign(new Error('too long'), { name: 'QueryFailedError', code: '22001' })],
  ])('is true for %s', (_what, err) => {
    expect(isPoison(err)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', queryFailed('23505')],
    ['a plain Error', new Error('boom')],
    ['an error marked retryable: true', Object.assign(new Error('later'), { retryable: true })],
    ['undefined', undefined],
  ])('is false for %s', (_what, err) => {
    expect(isPoison(err)).toBe(false);
  });
});

describe('isOutage', () => {
  it.each([
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['admin shutdown (57P01)', queryFailed('57P01', 'terminating connection due to administrator command')],
    ['a connection exception (08006)', queryFailed('08006')],
    ['"Connection terminated unexpectedly"', new Error('Connection terminated unexpectedly')],
  ])('is true for %s', (_what, err) => {
    expect(isOutage(err)).toBe(true);
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['a unique violation', queryFailed('23505', 'duplicate key value violates unique constraint')],
    ['undefined', undefined],
  ])('is false for %s', (_what, err) => {
    expect(isOutage(err)).toBe(false);
  });

  // An error that quotes a sha containing 503 is a handler error, to be dead-lettered in time.
  it('is false for an error that merely mentions a sha containing 503', () => {
    expect(isOutage(new Error('unknown revision 9f503ab'))).toBe(false);
  });
});

describe('backoffMs', () => {
  afterEach(() => jest.restoreAllMocks());

  it('doubles from 250 ms and is capped at 30 s, without jitter', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([250, 500, 1000, 2000]);
    expect(backoffMs(8)).toBe(30_000);
    expect(backoffMs(50)).toBe(30_000);
    expect(backoffMs(0)).toBe(250);
  });

  it('keeps its jitter within ±20 %', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    expect(backoffMs(50)).toBe(24_000);
    jest.spyOn(Math, 'random').mockReturnValue(0.999999);
    expect(backoffMs(50)).toBe(36_000);
    jest.restoreAllMocks();
    for (let i = 0; i < 200; i++) {
      const ms = backoffMs(3);
      expect(ms).toBeGreaterThanOrEqual(800);
      expect(ms).toBeLessThanOrEqual(1200);
    }
  });
});

describe('subjectMismatch', () => {
  const heartbeat = (host: string) => event(Events.AgentHeartbeat.type, { host, environment: 'lpnet', agentVersion: '0.1.0', uptimeS: 1 });

  it.each([['no namespace', ''], ['a namespace', 'ns1']])('accepts an event on its own key\'s subject (%s)', (_what, ns) => {
    const s = new Subjects(ns);
    expect(subjectMismatch(s, s.event(Events.AgentHeartbeat.type, 'app1'), heartbeat('app1'))).toBeUndefined();
    const report = event(Events.DeployReported.type, { deployId: 'd', rolloutId: 'r', host: 'app1.lpnet', revision: 'abcdef1', status: 'started' });
    expect(subjectMismatch(s, s.event(Events.DeployReported.type, 'app1.lpnet'), report)).toBeUndefined();
    const promoted = event(Events.Promoted.type, { branch: 'production-stable' });
    expect(subjectMismatch(s, s.event(Events.Promoted.type, 'production-stable'), promoted)).toBeUndefined();
  });

  it("refuses a heartbeat about app1 on app2's subject, naming both", () => {
    const s = new Subjects();
    expect(subjectMismatch(s, 'telemetry.runway.agent.heartbeat.v1.app2', heartbeat('app1'))).toBe(
      "subject: telemetry.runway.agent.heartbeat.v1.app2 is not the subject of this event's key app1 (telemetry.runway.agent.heartbeat.v1.app1)",
    );
  });

  it('refuses a deploy report for another host, another namespace, or a key made to look alike', () => {
    const s = new Subjects('ns1');
    const report = event(Events.DeployReported.type, { deployId: 'd', rolloutId: 'r', host: 'app1', revision: 'abcdef1', status: 'succeeded' });
    expect(subjectMismatch(s, s.event(Events.DeployReported.type, 'app2'), report)).toMatch(/is not the subject of this event's key app1/);
    expect(subjectMismatch(s, new Subjects('ns2').event(Events.DeployReported.type, 'app1'), report)).toMatch(/key app1/);
    expect(subjectMismatch(s, `${s.event(Events.DeployReported.type, 'app1')}.extra`, report)).toMatch(/key app1/);
    expect(subjectMismatch(s, s.allOf(Events.DeployReported.type), report)).toMatch(/key app1/);
  });

  it('compares subject tokens, so a dotted host name is accepted on its token and named as given', () => {
    const s = new Subjects();
    const cowboy = event(Events.CowboyApplied.type, { host: 'app1.lpnet', patchHash: 'abcdef1' });
    expect(subjectMismatch(s, s.event(Events.CowboyApplied.type, 'app1.lpnet'), cowboy)).toBeUndefined();
    expect(subjectMismatch(s, 'runway.cowboy.applied.v1.app2_lpnet', cowboy)).toMatch(/key app1\.lpnet \(runway\.cowboy\.applied\.v1\.app1_lpnet\)$/);
  });

  it('answers a reason, rather than throwing, for an unknown type or a key it cannot read', () => {
    const s = new Subjects();
    expect(subjectMismatch(s, 'runway.nothing.v1.x', event('runway.nothing.v1', {}))).toMatch(/unknown event type/);
    const broken = { ...heartbeat('app1'), data: null as unknown as object };
    expect(subjectMismatch(s, 'telemetry.runway.agent.heartbeat.v1.app1', broken)).toMatch(/^subject: the key of this event cannot be read/);
  });
});
