/**
 * Defects the random-operators run (test/chaos/rollout, `npm run chaos -- --domain rollout`)
 * found in rollout, each replayed here on its own against the real service: a merge's landing
 * that could not be recorded, and a cowboy the agent's scan had just found retired by a
 * heartbeat whose scan was older than the find. See rig.ts for what is real.
 */
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { type AgentHeartbeatV1, type CloudEvent, type CowboyAppliedV1, type EventDefinition, Events, type RevisionLandedV1 } from '@runway/contracts';
import { eventually, randomSha } from '@runway/testing';
import { deployOf, Rig, sleep } from './rig';

interface Cowboy { id: string; host: string; status: string; patchHash: string; retiredReason: string | null }

async function cowboys(rig: Rig): Promise<Cowboy[]> {
  return (await rig.admin.get('/cowboys')).body as Cowboy[];
}

/** Publishes an event as an agent or qa-gate would, stamped at `time`. */
async function publishAt<T extends object>(rig: Rig, def: EventDefinition<T>, data: T, source: string, time: Date): Promise<void> {
  const event: CloudEvent<T> = {
    specversion: '1.0', id: randomUUID(), source, type: def.type, subject: def.key(data), time: time.toISOString(), datacontenttype: 'application/json',
    correlationid: randomUUID(), data,
  };
  await jetstream(rig.nc).publish(rig.subjects.event(def.type, def.key(data)), JSON.stringify(event), { msgID: event.id });
}

describe("a merge's landing records where the commits it brought stand (seed 1 of the rollout run)", () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.start();
    await rig.addAgent('app1');
    await eventually(async () => Object.keys(await rig.servers()).length === 1, { what: 'agent registered' });
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('records the merge, and a fix it brought retires its cowboy once a later revision runs', async () => {
    const branchFix = randomSha();
    const merge = randomSha();
    const tip = randomSha();
    const recorded = await rig.admin.post('/cowboys', { hosts: ['app1'], patchHash: 'b0a710ad', reason: 'patched by hand', policy: 'hold', fixedBy: branchFix });
    expect(recorded.status).toBe(201);
    // Postgres typed the revno of the brought commits as text, and every merge's landing failed for ever.
    const landed: RevisionLandedV1 = { branch: 'stable', sha: merge, revno: 7, landedAt: new Date().toISOString(), brings: [branchFix, randomSha()] };
    await publishAt(rig, Events.RevisionLanded, landed, 'runway/qa-gate', new Date());
    await eventually(async () => {
      const body = (await rig.admin.get('/lead-time')).body as { revisions: { sha: string; landedAt: string | null }[] };
      return body.revisions.some((r) => r.sha === merge && r.landedAt);
    }, { what: 'the merge recorded as landed', timeoutMs: 10_000 });
    const r = await rig.waitForStatus((await rig.rolloutOf(await rig.promote(tip, 'no-downtime', [{ sha: tip, db: false }], 8))).id, 'succeeded');
    expect(deployOf(r, 'app1').status).toBe('succeeded');
    await eventually(async () => (await cowboys(rig)).find((c) => c.patchHash === 'b0a710ad')?.status === 'retired', { what: 'cowboy retired by the fix' });
  });
});

describe("a heartbeat whose scan predates a cowboy's find does not retire it (seed 2 of the rollout run, --tame)", () => {
  const rig = new Rig();
  beforeAll(() => rig.start(), 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('keeps the cowboy until a heartbeat sent after its find no longer lists it', async () => {
    // A server with no agent running: the test sends its heartbeats, in the order the two streams may deliver them.
    const reg = await rig.admin.post('/agents/register', { host: 'app7', environment: 'lpnet', agentVersion: '0.1.0' });
    expect(reg.status).toBe(201);
    await sleep(20);
    const beat = (cowboyScan: string[]): AgentHeartbeatV1 => ({ host: 'app7', environment: 'lpnet', agentVersion: '0.1.0', uptimeS: 1, cowboyScan });
    // The agent's heartbeat is stamped first (its scan from before the patch), then its scan finds the patch.
    const beforeFind = new Date();
    await sleep(20);
    const found: CowboyAppliedV1 = { host: 'app7', patchHash: 'c0ffee0123', appliedBy: 'found by the agent on app7', detected: true };
    await publishAt(rig, Events.CowboyApplied, found, 'runway/agent/app7', new Date());
    const c = await eventually(async () => (await cowboys(rig)).find((x) => x.patchHash === 'c0ffee0123' && x.status === 'applied'), { what: 'scanned cowboy recorded' });
    // The older heartbeat is read after the report.
    await publishAt(rig, Events.AgentHeartbeat, beat([]), 'runway/agent/app7', beforeFind);
    await eventually(async () => {
      const s = ((await rig.admin.get('/servers')).body as { host: string; lastHeartbeatAt: string }[]).find((x) => x.host === 'app7');
      return s !== undefined && new Date(s.lastHeartbeatAt).getTime() === beforeFind.getTime();
    }, { what: 'the older heartbeat read' });
    expect((await cowboys(rig)).find((x) => x.id === c.id)?.status).toBe('applied');
    // A heartbeat sent after the find, whose scan no longer lists it, retires it.
    await publishAt(rig, Events.AgentHeartbeat, beat([]), 'runway/agent/app7', new Date());
    const gone = await eventually(async () => {
      const x = (await cowboys(rig)).find((y) => y.id === c.id);
      return x?.status === 'retired' ? x : null;
    }, { what: 'cowboy retired by a later scan' });
    expect(gone.retiredReason).toMatch(/scan on app7 no longer finds it/);
  });
});
