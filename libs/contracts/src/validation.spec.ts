import 'reflect-metadata';
import { type EventName, Events } from './catalogue';
import { MAX_INPUT_DEPTH, nestedDeeperThan, parseEvent, validatePayload } from './validation';

const UUID = '3f1c2a4e-8b7d-4c2e-9a1f-0d5e6b7c8a90';
const SHA = 'a1b2c3d';
const HOST = 'app1.example.com';

/** One minimal valid payload per catalogue entry; a new event must add one here. */
const samples = {
  RevisionLanded: { branch: 'devel', sha: SHA, landedAt: '2024-05-01T12:00:00Z' },
  QaStatusChanged: { branch: 'devel', sha: SHA, revno: 42, to: 'ok', by: 'qa@example.com' },
  QaTipMoved: { branch: 'stable', sha: SHA, revno: 7, containsDbRevision: false },
  ApprovalWithdrawn: {
    branch: 'stable', seq: 3, range: [], containsDbRevision: false, withdrawnRevno: 42, withdrawnSha: SHA, cause: { sha: SHA, revno: 41, db: false }, causeStatus: 'bad', by: 'qa@example.com',
    reason: 'r41 is bad',
  },
  ProductionQaChanged: { branch: 'stable', seq: 4, bad: [] },
  DeployProgress: { deployId: UUID, rolloutId: UUID, host: 'app1.lpnet', outputTail: 'migrating…', elapsedMs: 1200 },
  QaPassed: { branch: 'devel', sha: SHA, revno: 42, range: [{ sha: SHA, db: false }], containsDbRevision: false },
  Promoted: {
    promotionId: UUID, branch: 'stable', toSha: SHA, revisions: [{ sha: SHA, db: true }], containsDbRevision: true,
    deployKind: 'downtime', cause: 'qa-passed', pendingMergeBack: [],
  },
  PromotionHeld: { branch: 'stable', sha: SHA, code: 'locked', reason: 'locked by ops' },
  DeployRequested: {
    deployId: UUID, rolloutId: UUID, host: HOST, environment: 'production', revision: SHA, kind: 'no-downtime', carryCowboys: [],
  },
  DeployReported: { deployId: UUID, rolloutId: UUID, host: HOST, revision: SHA, status: 'succeeded' },
  CowboyApplied: { host: HOST, patchHash: 'deadbeef', appliedBy: 'ops', detected: false },
  CowboyRemoved: { host: HOST, patchHash: 'deadbeef', reason: 'merged upstream' },
  AgentHeartbeat: { host: HOST, environment: 'production', agentVersion: '1.0.0', uptimeS: 5 },
  FlagChanged: { version: 1, flags: ['new-ui'], comment: 'turn it on', by: 'ops' },
  TokenIssued: { tokenId: UUID, name: 'ci', roles: ['buildbot'], sha256: 'ab'.repeat(32), issuedBy: 'admin' },
  TokenRevoked: { tokenId: UUID, revokedBy: 'admin' },
  RolloutChanged: {
    rolloutId: UUID, track: 'promoted', cause: 'promoted', status: 'in-progress', revision: SHA, kind: 'no-downtime', batch: 1, batches: 2,
    revisions: [SHA], skipped: [{ host: HOST, reason: 'held: disk swap (ops)' }],
  },
  ServerChanged: { host: HOST, change: 'held', reason: 'disk swap' },
  RunningEverywhere: { revisions: [{ sha: SHA, revno: 6 }], at: '2024-05-01T12:00:00Z' },
} satisfies Partial<Record<EventName, object>>;

function envelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specversion: '1.0', id: 'evt-1', source: 'runway/qa-gate', type: Events.RevisionLanded.type, time: '2024-05-01T12:00:01Z',
    datacontenttype: 'application/json', correlationid: 'corr-1', causationid: 'evt-0', data: samples.RevisionLanded, ...overrides,
  };
}

const bytes = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

function reasonOf(result: { ok: boolean; reason?: string }): string {
  expect(result.ok).toBe(false);
  return result.reason ?? '';
}

describe('validation of every catalogue event', () => {
  it('has a sample for every catalogue entry, and no sample for an event that does not exist', () => {
    expect(Object.keys(samples).sort()).toEqual(Object.keys(Events).sort());
  });

  it.each(Object.entries(Events))('accepts a minimal valid %s, as payload and as wire bytes', (name, def) => {
    const sample = (samples as Record<string, object>)[name];
    expect(sample).toBeDefined();
    const payload = validatePayload(def.type, sample);
    expect(payload).toEqual({ ok: true, data: sample });
    if (payload.ok) expect(payload.data).toBeInstanceOf(def.payload);
    expect((def.key as (d: object) => string)(sample)).toMatch(/.+/);

    const parsed = parseEvent(bytes(envelope({ type: def.type, data: sample })));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.event).toMatchObject({ type: def.type, data: sample });
  });
});

describe('parseEvent', () => {
  it('keeps the envelope, including correlationid and causationid', () => {
    const parsed = parseEvent(JSON.stringify(envelope()));
    expect(parsed).toEqual({
      ok: true,
      event: {
        specversion: '1.0', id: 'evt-1', source: 'runway/qa-gate', type: 'runway.revision.landed.v1', subject: undefined,
        time: '2024-05-01T12:00:01Z', datacontenttype: 'application/json', correlationid: 'corr-1', causationid: 'evt-0',
        data: samples.RevisionLanded,
      },
    });
  });

  it.each([
    ['a bad sha', envelope({ data: { ...samples.RevisionLanded, sha: 'NOT-A-SHA' } }), /^data\.sha: /],
    ['a missing landedAt', envelope({ data: { branch: 'devel', sha: SHA } }), /^data\.landedAt: /],
    ['a wrong specversion', envelope({ specversion: '0.3' }), /^specversion: /],
    ['an unknown type', envelope({ type: 'runway.nothing.happened.v1' }), /^type: unknown event type "runway\.nothing\.happened\.v1"$/],
    ['a type outside runway.<noun>.<verb>.v<N>', envelope({ type: 'com.example.landed' }), /^type: type must look like runway\.<noun>\.<verb>\.v<N>$/],
    ['an unversioned type', envelope({ type: 'runway.revision.landed' }), /^type: /],
    ['data that is a string', envelope({ data: 'landed' }), /^data: /],
    ['data that is an array', envelope({ data: [samples.RevisionLanded] }), /^data: /],
  ])('refuses %s, naming the field', (_what, body, reason) => {
    expect(reasonOf(parseEvent(bytes(body)))).toMatch(reason);
  });

  it('names every bad field at once', () => {
    const reason = reasonOf(parseEvent(bytes(envelope({ data: { branch: 'devel', sha: 'zz' } }))));
    expect(reason).toMatch(/data\.sha: .*; data\.landedAt: /);
  });

  it('refuses bytes that are not UTF-8, not JSON, or not a JSON object', () => {
    expect(reasonOf(parseEvent(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))).toBe('body: not valid UTF-8');
    expect(reasonOf(parseEvent('{"id": '))).toMatch(/^body: not JSON \(/);
    expect(reasonOf(parseEvent(bytes([envelope()])))).toBe('body: not a JSON object');
    expect(reasonOf(parseEvent('null'))).toBe('body: not a JSON object');
  });

  it('names the nested field of a bad RevisionRef inside range', () => {
    const data = { ...samples.QaPassed, range: [{ sha: 'XYZ', db: false }] };
    const reason = reasonOf(parseEvent(bytes(envelope({ type: Events.QaPassed.type, data }))));
    expect(reason).toMatch(/^data\.range\.0\.sha: /);
  });

  it('strips unknown fields (whitelist) instead of refusing them, at the top and nested', () => {
    const data = { ...samples.QaPassed, extra: 'x', range: [{ sha: SHA, db: false, sneaky: 1 }] };
    const parsed = parseEvent(bytes(envelope({ type: Events.QaPassed.type, data, unknownAttribute: 'y' })));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.event.data).toEqual(samples.QaPassed);
    expect(parsed.event.data).not.toHaveProperty('extra');
    expect((parsed.event.data as { range: object[] }).range[0]).not.toHaveProperty('sneaky');
    expect(parsed.event).not.toHaveProperty('unknownAttribute');
  });
});

describe('who acted (extension attributes added after v1)', () => {
  it('carries the actor and the reason through parsing, and still accepts events without them', () => {
    const withActor = parseEvent(JSON.stringify(envelope({ actor: 'ada', actorkind: 'token', actorroles: 'qa,operator', reason: 'looks fine on qastaging' })));
    expect(withActor.ok && withActor.event).toMatchObject({ actor: 'ada', actorkind: 'token', actorroles: 'qa,operator', reason: 'looks fine on qastaging' });
    const without = parseEvent(JSON.stringify(envelope()));
    expect(without.ok).toBe(true);
    expect(without.ok && without.event).not.toHaveProperty('actor');
  });

  it('refuses an actor kind it does not know, naming the attribute', () => {
    expect(reasonOf(parseEvent(JSON.stringify(envelope({ actor: 'x', actorkind: 'robot' }))))).toMatch(/^actorkind: /);
  });
});

describe('validatePayload', () => {
  it('refuses an unknown type and a payload that is not an object', () => {
    expect(validatePayload('runway.nothing.happened.v1', {})).toEqual({ ok: false, reason: 'type: unknown event type "runway.nothing.happened.v1"' });
    expect(validatePayload(Events.RevisionLanded.type, null)).toEqual({ ok: false, reason: 'data: must be an object' });
    expect(validatePayload(Events.RevisionLanded.type, [])).toEqual({ ok: false, reason: 'data: must be an object' });
  });

  it('names the bad field of a payload', () => {
    expect(reasonOf(validatePayload(Events.RevisionLanded.type, { ...samples.RevisionLanded, landedAt: 'yesterday' }))).toMatch(/^data\.landedAt: /);
    expect(reasonOf(validatePayload(Events.DeployReported.type, { ...samples.DeployReported, status: 'exploded' }))).toMatch(/^data\.status: /);
  });
});

describe('deeply nested input (found by the fuzz suite: 10,000 levels overflowed the stack)', () => {
  const deep = (levels: number) => JSON.parse('{"a":'.repeat(levels) + '1' + '}'.repeat(levels));

  it('measures nesting without recursing', () => {
    expect(nestedDeeperThan(deep(MAX_INPUT_DEPTH - 1))).toBe(false);
    expect(nestedDeeperThan(deep(MAX_INPUT_DEPTH + 1))).toBe(true);
    expect(nestedDeeperThan(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)))).toBe(true);
    expect(nestedDeeperThan('text')).toBe(false);
  });

  it('turns a 10,000-level event into a reason instead of throwing', () => {
    const wire = JSON.stringify({
      specversion: '1.0', id: UUID, source: 'test', type: Events.RevisionLanded.type, time: '2024-05-01T12:00:00Z',
      datacontenttype: 'application/json', correlationid: UUID, data: { ...samples.RevisionLanded, extra: 1 },
    }).replace('"extra":1', `"extra":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`);
    expect(parseEvent(wire)).toEqual({ ok: false, reason: `body: nested more than ${MAX_INPUT_DEPTH} levels deep` });
    expect(parseEvent('['.repeat(10_000) + ']'.repeat(10_000))).toEqual({ ok: false, reason: 'body: not a JSON object' });
  });
});
