import type { Cowboy, Deploy, DeployState, Rollout, RolloutState, Server } from '@runway/contracts';
import { deadlineLabel, isFinished, pickRollout, rolloutOutcome, rolloutsTable, serversTable, waveProgress } from './rollout.format';
import { watchExitCode } from './rollout';

const deploy = (host: string, wave: string | null, batch: number, status: DeployState): Deploy => ({
  id: host, rolloutId: 'r', host, batch, wave, revision: 'a'.repeat(40), previousRevision: null, status, outputTail: null, requestedAt: '2026-05-01T12:00:00Z',
  updatedAt: '2026-05-01T12:00:00Z', deadlineAt: null,
});
const rollout = (id: string, status: RolloutState): Rollout => ({
  id, sourceId: id, cause: 'promoted', track: 'promoted', hosts: null, cancelledBy: null, toSha: 'b'.repeat(40), toRevno: 9, kind: 'no-downtime', status, batches: 1,
  currentBatch: 0, scheduledFor: null, failure: null, pausedFrom: null, pausedBy: null, skipped: [], revisions: [], createdAt: '2026-05-01T12:00:00Z', startedAt: null,
  finishedAt: null,
});

describe('rollout formatting', () => {
  it('groups deploys by wave in the order the rollout runs them, counting finished ones', () => {
    const waves = waveProgress([
      deploy('app3', 'lpnet', 2, 'pending'), deploy('qas1', 'qastaging', 0, 'succeeded'),
      deploy('edge1', 'edge', 1, 'started'), deploy('edge2', 'edge', 1, 'failed'), deploy('app1', 'lpnet', 1, 'succeeded'),
    ]);
    expect(waves.map((w) => [w.wave, w.done, w.total, w.state])).toEqual([
      ['qastaging', 1, 1, 'done'],
      ['edge', 1, 2, '1 running, 1 failed'],
      ['lpnet', 1, 2, ''],
    ]);
    expect(waveProgress([deploy('x', null, 0, 'pending')])).toEqual([expect.objectContaining({ wave: 'default', done: 0, state: 'waiting' })]);
  });

  it('knows when a rollout has ended, and what watch exits with', () => {
    expect((['succeeded', 'failed', 'no-servers', 'superseded', 'cancelled'] as const).every((s) => isFinished({ status: s }))).toBe(true);
    expect((['in-progress', 'paused', 'blocked', 'waiting-window', 'preflight'] as const).some((s) => isFinished({ status: s }))).toBe(false);
    expect(watchExitCode(rollout('a', 'succeeded'))).toBe(0);
    expect(watchExitCode(rollout('a', 'failed'))).toBe(7);
    expect(watchExitCode(rollout('a', 'superseded'))).toBe(5);
    expect(watchExitCode(rollout('a', 'cancelled'))).toBe(5);
  });

  it('watches the newest unfinished rollout, else the newest', () => {
    expect(pickRollout([rollout('new', 'succeeded'), rollout('running', 'in-progress'), rollout('old', 'paused')])?.id).toBe('running');
    expect(pickRollout([rollout('new', 'succeeded'), rollout('old', 'failed')])?.id).toBe('new');
    expect(pickRollout([])).toBeUndefined();
  });

  const now = new Date('2026-05-01T12:00:00Z');
  const server = (host: string, more: Partial<Server> = {}): Server => ({
    host, environment: 'lpnet', wave: null, runningRevision: 'c'.repeat(40), agentVersion: '0.1.0', registeredBy: 'agent', registeredAt: '2026-05-01T10:00:00Z',
    lastHeartbeatAt: null, heartbeatAgeSeconds: 3, reachable: true, hold: null, track: 'promoted', desiredRevision: 'c'.repeat(40), drift: null, deploying: null,
    deregisteredAt: null, deregisteredBy: null, ...more,
  });

  it('lists servers with their hold and heartbeat', () => {
    const t = serversTable([
      server('app1.lpnet'),
      server('app2.lpnet', { wave: 'lpnet-2', runningRevision: null, desiredRevision: null, heartbeatAgeSeconds: null, reachable: false, hold: { host: 'app2.lpnet', reason: 'disk swap', author: 'ops', until: null, createdAt: '2026-05-01T11:00:00Z' } }),
    ], now);
    expect(t.split('\n')).toEqual([
      expect.stringMatching(/^HOST\s+ENV\s+WAVE\s+RUNNING\s+DESIRED\s+HEARTBEAT\s+STATE\s+DEPLOYING\s+HOLD$/),
      expect.stringMatching(/^app1\.lpnet\s+lpnet\s+lpnet\s+cccccccccc\s+cccccccccc\s+3s ago\s+up\s+-\s+-$/),
      expect.stringMatching(/^app2\.lpnet\s+lpnet\s+lpnet-2\s+-\s+-\s+never\s+unreachable\s+-\s+disk swap \(ops\)$/),
    ]);
    expect(serversTable([], now)).toMatch(/no agent has registered/);
  });

  it('shows a server held by a hold cowboy, with the fix that releases it, beside an operator hold', () => {
    const cowboy = (host: string, more: Partial<Cowboy> = {}): Cowboy => ({
      id: '55555555-5555-4555-8555-555555555555', host, patchHash: '0badc0ffee'.repeat(4), description: null, reason: 'timeout', appliedBy: 'ops', appliedAt: '2026-05-01T11:00:00Z',
      policy: 'hold', fixedBy: 'f'.repeat(40), detected: false, status: 'applied', retiredAt: null, retiredByRevision: null, retiredReason: null, ...more,
    });
    const t = serversTable(
      [
        server('app1.lpnet', { drift: { expected: 'c'.repeat(40), running: 'd'.repeat(40), since: '2026-05-01T11:57:00Z' }, runningRevision: 'd'.repeat(40) }),
        server('app2.lpnet', { hold: { host: 'app2.lpnet', reason: 'disk swap', author: 'ops', until: null, createdAt: '2026-05-01T11:00:00Z' } }),
        server('app3.lpnet'),
      ],
      now,
      [cowboy('app1.lpnet'), cowboy('app2.lpnet', { fixedBy: null }), cowboy('app3.lpnet', { policy: 'carry' }), cowboy('app3.lpnet', { status: 'retired' })],
    );
    const lines = t.split('\n');
    expect(lines[1]).toMatch(/\s+cowboy 0badc0ffee until ffffffffff runs$/);
    expect(lines[2]).toMatch(/\s+disk swap \(ops\); cowboy 0badc0ffee, no fix named$/);
    // A carried cowboy and a retired one hold nothing.
    expect(lines[3]).toMatch(/\s+up\s+-\s+-$/);
    expect(lines[5]).toBe("app1.lpnet drifted 3m ago: runs dddddddddd, Runway put cccccccccc there; a catch-up rollout puts cccccccccc back once its cowboy's fix runs there");
  });

  it('shows drift, the deploy in flight with its deadline, and deregistered servers', () => {
    const t = serversTable([
      server('app1.lpnet', {
        runningRevision: 'd'.repeat(40), drift: { expected: 'c'.repeat(40), running: 'd'.repeat(40), since: '2026-05-01T11:57:00Z' },
        hold: { host: 'app1.lpnet', reason: 'disk swap', author: 'ops', until: null, createdAt: '2026-05-01T11:00:00Z' },
      }),
      server('app2.lpnet', {
        desiredRevision: 'e'.repeat(40),
        deploying: { rolloutId: 'r', deployId: 'd', revision: 'e'.repeat(40), status: 'started', requestedAt: '2026-05-01T11:59:00Z', deadlineAt: '2026-05-01T12:19:00Z' },
      }),
      server('app3.lpnet', { deploying: { rolloutId: 'r', deployId: 'd3', revision: 'e'.repeat(40), status: 'requested', requestedAt: '2026-05-01T11:00:00Z', deadlineAt: '2026-05-01T11:59:48Z' } }),
      server('app4.lpnet', { reachable: false, deregisteredAt: '2026-05-01T11:58:00Z', deregisteredBy: 'Ada (ops)' }),
    ], now);
    const lines = t.split('\n');
    expect(lines[1]).toMatch(/^app1\.lpnet\s+lpnet\s+lpnet\s+dddddddddd\s+cccccccccc\s+3s ago\s+up, drifted\s+-\s+disk swap \(ops\)$/);
    expect(lines[2]).toMatch(/^app2\.lpnet\s+.*\s+cccccccccc\s+eeeeeeeeee\s+3s ago\s+up\s+eeeeeeeeee started, due in 19m\s+-$/);
    expect(lines[3]).toMatch(/\s+eeeeeeeeee requested, overdue 12s\s+-$/);
    expect(lines[4]).toMatch(/^app4\.lpnet\s+.*\s+deregistered\s+-\s+-$/);
    expect(lines.slice(5)).toEqual([
      '',
      'app1.lpnet drifted 3m ago: runs dddddddddd, Runway put cccccccccc there; a catch-up rollout puts cccccccccc back once its hold ends',
      'app4.lpnet deregistered by Ada (ops) 2m ago: in no rollout until its agent registers again',
    ]);
    expect(deadlineLabel(null, now)).toBe('');
  });

  it('lists catch-up rollouts with their servers, and cancelled ones with who and why', () => {
    const catchUp: Rollout = { ...rollout('11111111-1111-4111-8111-111111111111', 'in-progress'), cause: 'catch-up', track: 'promoted', hosts: ['app3.lpnet'] };
    const cancelled: Rollout = {
      ...rollout('22222222-2222-4222-8222-222222222222', 'cancelled'), cancelledBy: 'Ada (ops)', failure: 'cancelled by Ada (ops): app3 died mid-deploy', track: 'promoted', hosts: null,
    };
    const qa: Rollout = { ...rollout('33333333-3333-4333-8333-333333333333', 'succeeded'), cause: 'qa-tip', track: 'qa-tip', hosts: null };
    const overdue: Rollout = {
      ...rollout('44444444-4444-4444-8444-444444444444', 'failed'), cause: 'catch-up', hosts: ['app3.lpnet'],
      failure: 'app3.lpnet: failed\nfetching\n[runway] no report from app3.lpnet within 1200 s: failed',
    };
    const lines = rolloutsTable([catchUp, cancelled, qa, overdue], now).split('\n');
    expect(lines[0]).toMatch(/^ID\s+STARTED\s+TO\s+CAUSE\s+FOR\s+KIND\s+STATUS\s+BATCH\s+NOTE$/);
    expect(lines[1]).toMatch(/^11111111-\S+\s+0s ago\s+r9 bbbbbbbbbb\s+catch-up\s+app3\.lpnet\s+no-downtime\s+in-progress\s+1\/1\s+-$/);
    expect(lines[2]).toMatch(/\s+promoted\s+production\s+no-downtime\s+cancelled\s+1\/1\s+cancelled by Ada \(ops\): app3 died mid-deploy$/);
    expect(lines[3]).toMatch(/\s+qa-tip\s+QA servers\s+/);
    expect(lines[4]).toMatch(/\s+failed\s+1\/1\s+app3\.lpnet: failed \(\[runway\] no report from app3\.lpnet within 1200 s: failed\)$/);

    const shown = rolloutOutcome({
      ...catchUp,
      deploys: [{ ...deploy('app3.lpnet', 'lpnet', 0, 'started'), outputTail: 'fetching\nunpacking', deadlineAt: '2026-05-01T12:00:45Z' }],
    }, now).split('\n');
    expect(shown[0]).toBe('rollout 11111111-1111-4111-8111-111111111111 to r9 bbbbbbbbbb: in-progress');
    expect(shown[1]).toMatch(/^ {2}catch-up for app3\.lpnet: servers released from a hold, back after an outage, newly registered, or drifted/);
    expect(shown[2]).toMatch(/^HOST\s+WAVE\s+STATUS\s+DEADLINE\s+OUTPUT$/);
    expect(shown[3]).toMatch(/^app3\.lpnet\s+lpnet\s+started\s+due in 45s\s+unpacking$/);
    expect(rolloutOutcome(cancelled, now).split('\n')[1]).toBe('  cancelled by Ada (ops): app3 died mid-deploy');
  });
});
