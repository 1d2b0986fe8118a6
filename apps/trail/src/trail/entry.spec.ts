import { type CloudEvent, Events } from '@runway/contracts';
import { actorOf, describeDeadLetter, describeEvent } from './entry';
import { jsonbSafe } from './trail.repository';

const SHA = 'a'.repeat(40);
const FIX = 'b'.repeat(40);
const event = (type: string, data: object, over: Partial<CloudEvent<object>> = {}): CloudEvent<object> => ({
  specversion: '1.0', id: 'e1', source: 'runway/qa-gate', type, time: '2026-12-05T10:00:00.000Z', datacontenttype: 'application/json',
  correlationid: 'c1', data, ...over,
});

describe('who acted', () => {
  it('takes the envelope\'s actor, with the token\'s roles', () => {
    expect(actorOf(event(Events.FlagChanged.type, {}, { actor: 'Fay', actorkind: 'token', actorroles: 'flag-editor,viewer' })))
      .toEqual({ name: 'Fay', kind: 'token', roles: ['flag-editor', 'viewer'] });
  });

  it('reads events published before the envelope named actors: agents by their source, people by the payload, else Runway', () => {
    expect(actorOf(event(Events.DeployReported.type, {}, { source: 'runway/agent/app1.lpnet' }))).toEqual({ name: 'app1.lpnet', kind: 'agent', roles: [] });
    expect(actorOf(event(Events.QaStatusChanged.type, { by: 'Diogo' }))).toEqual({ name: 'Diogo', kind: 'token', roles: [] });
    expect(actorOf(event(Events.CowboyApplied.type, { appliedBy: 'Ada' }))).toEqual({ name: 'Ada', kind: 'token', roles: [] });
    expect(actorOf(event(Events.QaStatusChanged.type, { by: 'commit message' }))).toEqual({ name: 'runway', kind: 'runway', roles: [] });
    expect(actorOf(event(Events.QaPassed.type, {}))).toEqual({ name: 'runway', kind: 'runway', roles: [] });
  });
});

describe('what an event concerns and says', () => {
  it('tags a QA pass with every revision of its range, and a promotion with the revision it approved', () => {
    const passed = describeEvent(event(Events.QaPassed.type, {
      branch: 'stable', sha: SHA, revno: 6, range: [{ sha: FIX, revno: 5, db: true }, { sha: SHA, revno: 6, db: false }], containsDbRevision: true,
    }));
    expect(passed).toMatchObject({ revisions: [SHA, FIX], revno: 6, summary: 'r6 approved by QA: 2 revisions, with a schema change' });
    const merge = 'c'.repeat(40);
    const promoted = describeEvent(event(Events.Promoted.type, {
      promotionId: 'p', branch: 'production-stable', toSha: merge, approvedSha: SHA, toRevno: 6, revisions: [{ sha: SHA, revno: 6, db: false }],
      containsDbRevision: false, deployKind: 'no-downtime', cause: 'qa-passed', pendingMergeBack: [FIX], move: 'merge',
    }));
    expect(promoted.revisions).toEqual([merge, SHA]);
    expect(promoted.summary).toBe('production-stable moved to r6 (merge, no-downtime, qa-passed)');
  });

  it('tags a rollout with its hosts, its skipped servers and its revisions, and keeps its track and revno for the story', () => {
    const facts = describeEvent(event(Events.RolloutChanged.type, {
      rolloutId: 'r-1', track: 'promoted', cause: 'promoted', status: 'failed', revision: SHA, revno: 6, kind: 'downtime', batch: 1, batches: 2,
      revisions: [FIX, SHA], skipped: [{ host: 'app9', reason: 'held: disk swap (ops)' }], failure: 'app3: rolled-back\ndisk full',
    }));
    expect(facts).toMatchObject({ rolloutId: 'r-1', track: 'promoted', revno: 6, revisions: [SHA, FIX], hosts: ['app9'] });
    expect(facts.summary).toBe('production rollout of r6 (promoted, downtime) failed: app3: rolled-back; skipped app9 (held: disk swap (ops))');
  });

  it('names a collapsed landing\'s build, a deploy\'s wave and batch, and a cowboy\'s fix', () => {
    expect(describeEvent(event(Events.RevisionLanded.type, { branch: 'stable', sha: SHA, revno: 4, message: 'New PPA page\n\nbody', landedAt: '2026-12-05T09:00:00Z', landedWith: FIX })).summary)
      .toBe('r4 landed on stable (build of bbbbbbbbbb): New PPA page');
    expect(describeEvent(event(Events.DeployRequested.type, {
      deployId: 'd', rolloutId: 'r', host: 'app1', environment: 'lpnet', revision: SHA, revno: 6, kind: 'no-downtime', carryCowboys: [], wave: 'canary', batch: 0,
    }))).toMatchObject({ hosts: ['app1'], rolloutId: 'r', summary: 'deploy of r6 to app1 requested (lpnet, wave canary, batch 1, no-downtime)' });
    expect(describeEvent(event(Events.CowboyApplied.type, { host: 'app2', patchHash: 'c0ffee0123', appliedBy: 'Ada', fixedBy: FIX, detected: false })))
      .toMatchObject({ revisions: [FIX], hosts: ['app2'], summary: 'cowboy c0ffee0123 applied on app2 by Ada (hold, fixed by bbbbbbbbbb)' });
  });

  it('reads a fix link (the status stays, the fix is named) as a link, tagged with both revisions', () => {
    expect(describeEvent(event(Events.QaStatusChanged.type, { branch: 'stable', sha: SHA, revno: 3, from: 'bad', to: 'bad', by: 'Ada', fixedBy: FIX, note: 'fixed by r6' })))
      .toMatchObject({ revisions: [SHA, FIX], summary: 'r3 (bad) linked to its fix bbbbbbbbbb by Ada' });
  });

  it('still records an event type it does not know', () => {
    expect(describeEvent(event('runway.something.new.v1', {}, { subject: 'x' })).summary).toBe('runway.something.new.v1 about x');
  });
});

describe('dead letters', () => {
  it('keeps the refused message, parsed where it can be, with the consumer and the reason', () => {
    const body = JSON.stringify({ id: 'x', actor: 'app1', actorkind: 'agent', data: {} });
    const d = describeDeadLetter({ consumer: 'rollout__runway_deploy_reported_v1', reason: 'data.status: must be one of', originalSubject: 'runway.deploy.reported.v1.app1', streamSequence: '42', body });
    expect(d.actor).toEqual({ name: 'app1', kind: 'agent', roles: [] });
    expect(d.summary).toBe('rollout__runway_deploy_reported_v1 refused a message on runway.deploy.reported.v1.app1: data.status: must be one of');
    expect(d.event).toMatchObject({ streamSequence: '42', body: { id: 'x' } });
    expect(describeDeadLetter({ consumer: 'c', reason: 'body: not JSON', originalSubject: 's', streamSequence: '1', body: 'not json{' }).event.body).toBe('not json{');
  });
});

describe('JSON Postgres can store (found by the chaos run: a dead letter holding NUL was retried for ever)', () => {
  it('turns a NUL into U+FFFD and leaves a literal backslash-u0000 text alone', () => {
    const safe = JSON.parse(jsonbSafe(JSON.stringify({ a: 'x\u0000y', b: '\\u0000', c: '\\\u0000' })));
    expect(safe).toEqual({ a: 'x\ufffdy', b: '\\u0000', c: '\\\ufffd' });
  });
});
