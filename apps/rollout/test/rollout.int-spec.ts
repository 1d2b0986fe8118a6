/**
 * Rollout carrying promotions out on real agents. Real: Postgres (own database per describe),
 * NATS JetStream (own namespace per describe), the rollout service in-process with its HTTP
 * stack, consumers, outbox relay and scheduler tick, and real agent processes (from
 * apps/rollout-agent/dist; run `npm run build` first), each with its own host name, state
 * directory and host-bound token. Rollouts are driven by `promoted` events published on NATS.
 *
 * Each agent's deploy command appends "<sha> <ns since epoch> start|end" to a file of its own,
 * so the tests can check which servers ran what, in which order, and when.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type AgentHeartbeatV1, type CloudEvent, type DeployReportedV1, durableName, Events } from '@runway/contracts';
import { apiClient, eventually, randomSha } from '@runway/testing';
import { deployOf, maxOf, minOf, Rig, type Rollout, sleep, span, tomorrowAt } from './rig';

describe('rollout: waves and batches', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start({ ROLLOUT_BATCH_SIZE: '2' });
    await Promise.all([
      rig.addAgent('canary1', { wave: 'canary' }),
      rig.addAgent('app1'),
      rig.addAgent('app2'),
      rig.addAgent('app3'),
    ]);
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('deploys the canary first, then app1+app2 together, then app3, each batch after the one before finished', async () => {
    const sha = randomSha();
    const r0 = await rig.rolloutOf(await rig.promote(sha));
    expect(r0.batches).toBe(3);
    const r = await rig.waitForStatus(r0.id, 'succeeded');
    expect(r).toMatchObject({ toSha: sha, kind: 'no-downtime', batches: 3, failure: null, skipped: [] });
    expect(r.deploys.map((d) => [d.host, d.batch, d.wave, d.status]).sort()).toEqual([
      ['app1', 1, 'lpnet', 'succeeded'],
      ['app2', 1, 'lpnet', 'succeeded'],
      ['app3', 2, 'lpnet', 'succeeded'],
      ['canary1', 0, 'canary', 'succeeded'],
    ]);

    // Each server ran it exactly once.
    for (const host of ['canary1', 'app1', 'app2', 'app3']) expect(rig.linesFor(host, sha).map((l) => l.phase)).toEqual(['start', 'end']);
    const canary = span(rig.linesFor('canary1', sha));
    const app1 = span(rig.linesFor('app1', sha));
    const app2 = span(rig.linesFor('app2', sha));
    const app3 = span(rig.linesFor('app3', sha));
    // Every deploy of a batch finished before any of the next one started.
    expect(canary.end < minOf([app1.start, app2.start])).toBe(true);
    expect(maxOf([app1.end, app2.end]) < app3.start).toBe(true);
    // Within a batch, the servers deploy at the same time.
    expect(app1.start < app2.end && app2.start < app1.end).toBe(true);

    const servers = await rig.servers();
    for (const host of ['canary1', 'app1', 'app2', 'app3']) expect(servers[host]).toMatchObject({ runningRevision: sha, reachable: true });
    expect(servers.canary1.wave).toBe('canary');
  });

  it('never sends servers back to an older promotion that arrives late', async () => {
    const newer = randomSha();
    const older = randomSha();
    const r1 = await rig.waitForStatus((await rig.rolloutOf(await rig.promoteAt(newer, 5000))).id, 'succeeded');
    expect(r1.toSha).toBe(newer);
    // Redelivered after a replica died holding it: an older promotion, planned after the newer one.
    const late = await rig.rolloutOf(await rig.promoteAt(older, 4999));
    expect(late).toMatchObject({ toSha: older, status: 'superseded', batches: 0 });
    expect(late.failure).toMatch(/arrived after r5000 was already planned/);
    const servers = await rig.servers();
    for (const host of ['canary1', 'app1', 'app2', 'app3']) expect(servers[host].runningRevision).toBe(newer);
    for (const host of ['canary1', 'app1', 'app2', 'app3']) expect(rig.linesFor(host, older)).toEqual([]);
  });

  it('finishes a rollout whose range names a revision twice, and records its lead time once', async () => {
    // Overlapping promotion ranges name a sha twice; recording lead time failed on every delivery
    // ("ON CONFLICT DO UPDATE command cannot affect row a second time") and the rollout never finished.
    const earlier = randomSha();
    const sha = randomSha();
    const id = await rig.promote(sha, 'no-downtime', [{ sha: earlier, db: false }, { sha, db: false }, { sha: earlier, db: false }]);
    const r = await rig.waitForStatus((await rig.rolloutOf(id)).id, 'succeeded');
    expect(r.toSha).toBe(sha);
    const lead = await eventually(async () => {
      const res = await rig.admin.get('/lead-time?since=2000-01-01T00:00:00Z');
      const rows = (res.body.revisions ?? []) as { sha: string; deployedAt: string | null }[];
      const mine = rows.filter((x) => x.sha === earlier);
      return mine.length === 1 && mine[0].deployedAt ? mine : null;
    }, { what: 'lead time of the twice-named revision' });
    expect(lead).toHaveLength(1);
  });
});

describe('rollout: a failing deploy', () => {
  const rig = new Rig();
  const previous = randomSha();

  beforeAll(async () => {
    await rig.start({ ROLLOUT_BATCH_SIZE: '2' });
    const rollbackFile = join(rig.dir, 'rollback-app2.log');
    await Promise.all([
      rig.addAgent('canary1', { wave: 'canary' }),
      rig.addAgent('app1'),
      rig.addAgent('app2', {
        runningRevision: previous,
        deployCommand: `echo "$RUNWAY_REVISION $(date +%s%N) start" >> "${rig.file('app2')}"; echo "migration 42 failed: disk full" >&2; exit 1`,
        extraEnv: { AGENT_ROLLBACK_COMMAND: `echo "rollback $RUNWAY_REVISION" >> "${rollbackFile}"` },
      }),
      rig.addAgent('app3'),
    ]);
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('stops the rollout, rolls the failed server back, and never deploys the later batch', async () => {
    expect((await rig.servers()).app2.runningRevision).toBe(previous);
    const sha = randomSha();
    const r0 = await rig.rolloutOf(await rig.promote(sha));
    expect(deployOf(r0, 'app2').previousRevision).toBe(previous);
    const r = await rig.waitForStatus(r0.id, 'failed');
    expect(r.failure).toMatch(/^app2: rolled-back/);
    expect(r.failure).toContain('migration 42 failed: disk full');
    expect(r.failure).toContain(`rollback to ${previous} succeeded`);
    expect(deployOf(r, 'app2')).toMatchObject({ status: 'rolled-back', revision: sha, previousRevision: previous });
    expect(deployOf(r, 'app3').status).toBe('cancelled');
    expect(deployOf(r, 'canary1').status).toBe('succeeded');
    // app1 was in app2's batch: it was already under way and finishes.
    await rig.waitFor(r.id, (x) => deployOf(x, 'app1').status === 'succeeded', 'app1 (same batch) finished');

    expect(readFileSync(join(rig.dir, 'rollback-app2.log'), 'utf8').split('\n').filter(Boolean)).toEqual([`rollback ${previous}`]);
    // The canary had finished before the failing batch started.
    expect(span(rig.linesFor('canary1', sha)).end < rig.linesFor('app2', sha)[0].ns).toBe(true);
    // Give a (wrong) next batch every chance to go out: app3 never deploys.
    await sleep(1500);
    expect(rig.lines('app3')).toEqual([]);
    const after = await rig.get(r.id);
    expect(after.status).toBe('failed');
    expect(deployOf(after, 'app3').status).toBe('cancelled');
    const servers = await rig.servers();
    expect(servers.canary1.runningRevision).toBe(sha);
    expect(servers.app2.runningRevision).toBe(previous);
    expect(servers.app3.runningRevision).toBeNull();
  });
});

describe('rollout: downtime window', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start({ ROLLOUT_DOWNTIME_WINDOW: 'daily 10:00/60' });
    await Promise.all([rig.addAgent('app1'), rig.addAgent('app2')]);
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('waits for the window, deploys nothing before it, and runs once it opens', async () => {
    rig.clock.set(tomorrowAt(9, 0));
    try {
      const sha = randomSha();
      const r0 = await rig.rolloutOf(await rig.promote(sha, 'downtime'));
      expect(r0).toMatchObject({ status: 'waiting-window', kind: 'downtime', scheduledFor: tomorrowAt(10, 0).toISOString() });
      await sleep(1000);
      rig.clock.set(tomorrowAt(9, 59));
      await sleep(500);
      const waiting = await rig.get(r0.id);
      expect(waiting.status).toBe('waiting-window');
      expect(waiting.deploys.map((d) => d.status)).toEqual(['pending', 'pending']);
      expect(rig.lines('app1')).toEqual([]);
      expect(rig.lines('app2')).toEqual([]);

      rig.clock.set(tomorrowAt(10, 5));
      const r = await rig.waitForStatus(r0.id, 'succeeded');
      expect(r.deploys.map((d) => d.status)).toEqual(['succeeded', 'succeeded']);
      expect(rig.linesFor('app1', sha)).toHaveLength(2);
      expect(rig.linesFor('app2', sha)).toHaveLength(2);
    } finally {
      rig.clock.set(null);
    }
  });
});

describe('rollout: downtime window with a failing preflight', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start({ ROLLOUT_DOWNTIME_WINDOW: 'daily 10:00/60', ROLLOUT_PREFLIGHT_COMMAND: 'exit 3' });
    await rig.addAgent('app1');
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('blocks in the window when preflight fails, deploys nothing, and goes back to waiting on resume', async () => {
    rig.clock.set(tomorrowAt(9, 0));
    try {
      const sha = randomSha();
      const r0 = await rig.rolloutOf(await rig.promote(sha, 'downtime'));
      expect(r0.status).toBe('waiting-window');

      rig.clock.set(tomorrowAt(10, 5));
      const blocked = await rig.waitForStatus(r0.id, 'blocked');
      expect(blocked.failure).toMatch(/preflight/);
      expect(blocked.failure).toMatch(/exit 3/);
      await sleep(1000);
      const still = await rig.get(r0.id);
      expect(still.status).toBe('blocked');
      expect(still.deploys.map((d) => d.status)).toEqual(['pending']);
      expect(rig.lines('app1')).toEqual([]);

      // Resumed after the window closed, it waits for the next one.
      rig.clock.set(tomorrowAt(11, 30));
      const resumed = await rig.admin.post(`/rollouts/${r0.id}/resume`);
      expect(resumed.status).toBe(200);
      expect(resumed.body).toMatchObject({ status: 'waiting-window', failure: null });
      const rescheduled = await rig.waitFor(
        r0.id, (r) => r.scheduledFor === tomorrowAt(10, 0, 1).toISOString(), 'rescheduled to the next window',
      );
      expect(rescheduled.status).toBe('waiting-window');
      expect(rig.lines('app1')).toEqual([]);
    } finally {
      rig.clock.set(null);
    }
  });
});

describe('rollout: holds and pause', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start({ ROLLOUT_BATCH_SIZE: '1' });
    await Promise.all(['app1', 'app2', 'app3'].map((h) => rig.addAgent(h, { work: 'sleep 1' })));
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('skips a held server with the reason, deploys the others, and includes it again once released', async () => {
    const held = await rig.admin.raw('PUT', '/servers/app1/hold', JSON.stringify({ reason: 'cowboy 1f2e3d applied by hand', author: 'ops-ada' }));
    expect(held.status).toBe(200);
    expect((await rig.servers()).app1.hold).toMatchObject({ reason: 'cowboy 1f2e3d applied by hand', author: 'ops-ada' });

    const sha = randomSha();
    const r0 = await rig.rolloutOf(await rig.promote(sha));
    expect(r0.skipped).toEqual([{ host: 'app1', reason: 'held: cowboy 1f2e3d applied by hand (ops-ada)' }]);
    // Decided as its batch went out: planned, then skipped with the reason.
    expect(r0.deploys.map((d) => [d.host, d.status])).toEqual([['app1', 'skipped'], ['app2', expect.any(String)], ['app3', expect.any(String)]]);
    const r = await rig.waitForStatus(r0.id, 'succeeded');
    expect(r.deploys.map((d) => d.status)).toEqual(['skipped', 'succeeded', 'succeeded']);
    expect(rig.linesFor('app1', sha)).toEqual([]);
    expect(rig.linesFor('app2', sha)).toHaveLength(2);
    expect(rig.linesFor('app3', sha)).toHaveLength(2);
    expect((await rig.servers()).app1.runningRevision).not.toBe(sha);

    const released = await rig.admin.delete('/servers/app1/hold');
    expect(released.status).toBe(204);
    expect((await rig.servers()).app1.hold).toBeNull();
    expect((await rig.admin.delete('/servers/app1/hold')).status).toBe(404);
    // Released, app1 is behind what production rolled out: a catch-up rollout of its own brings it there.
    const catchUp = await eventually(async () => ((await rig.admin.get('/rollouts?limit=50')).body as Rollout[]).find((x) => x.cause === 'catch-up' && x.toSha === sha), {
      what: 'a catch-up rollout for app1',
    });
    expect(catchUp).toMatchObject({ track: 'promoted', hosts: ['app1'] });
    await rig.waitForStatus(catchUp.id, 'succeeded');
    expect((await rig.servers()).app1.runningRevision).toBe(sha);
    expect(rig.linesFor('app1', sha)).toHaveLength(2);
    // A rollout planned now covers app1 again.
    const next = await rig.waitFor((await rig.rolloutOf(await rig.promote(randomSha()))).id, (x) => x.deploys.length > 0, 'the next rollout planned');
    expect(next.skipped).toEqual([]);
    expect(next.deploys.map((d) => d.host)).toEqual(['app1', 'app2', 'app3']);
    await rig.waitForStatus(next.id, 'succeeded');
  }, 45_000);

  it('does not start the next batch while paused, and goes on when resumed', async () => {
    const sha = randomSha();
    const r0 = await rig.waitFor((await rig.rolloutOf(await rig.promote(sha))).id, (x) => x.deploys.length > 0, 'the rollout planned');
    expect(r0.deploys.map((d) => [d.host, d.batch])).toEqual([['app1', 0], ['app2', 1], ['app3', 2]]);
    await eventually(async () => rig.linesFor('app1', sha).length > 0, { what: 'the first batch started' });
    const paused = await rig.admin.post(`/rollouts/${r0.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', pausedFrom: 'in-progress' });

    await rig.waitFor(r0.id, (r) => deployOf(r, 'app1').status === 'succeeded', 'the first batch done');
    await sleep(1500);
    const stillPaused = await rig.get(r0.id);
    expect(stillPaused.status).toBe('paused');
    expect(deployOf(stillPaused, 'app2').status).toBe('pending');
    expect(deployOf(stillPaused, 'app3').status).toBe('pending');
    expect(rig.linesFor('app2', sha)).toEqual([]);

    const resumedAt = BigInt(Date.now()) * 1_000_000n;
    const resumed = await rig.admin.post(`/rollouts/${r0.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('in-progress');
    const r = await rig.waitForStatus(r0.id, 'succeeded');
    expect(r.deploys.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(span(rig.linesFor('app2', sha)).start > resumedAt).toBe(true);
    expect(span(rig.linesFor('app2', sha)).end < span(rig.linesFor('app3', sha)).start).toBe(true);
  }, 30_000);
});

describe('rollout: an agent acts only for its own host', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start();
    await Promise.all([rig.addAgent('app1'), rig.addAgent('app2')]);
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it("refuses app1's token registering app2 (403), and accepts it for app1", async () => {
    const asApp1 = apiClient(rig.svc.url, rig.tokens.get('app1'));
    const other = await asApp1.post('/agents/register', { host: 'app2', environment: 'lpnet', agentVersion: '0.1.0' });
    expect(other.status).toBe(403);
    expect(other.body.message).toMatch(/app1.*not app2/);
    const own = await asApp1.post('/agents/register', { host: 'app1', environment: 'lpnet', agentVersion: '0.1.0' });
    expect(own.status).toBe(201);
    expect((await rig.servers()).app2).toMatchObject({ reachable: true });
  });

  it("dead-letters a report about app1's deploy that claims to come from app2, and leaves the deploy as it was", async () => {
    const sha = randomSha();
    const r = await rig.waitForStatus((await rig.rolloutOf(await rig.promote(sha))).id, 'succeeded');
    const d = deployOf(r, 'app1');
    expect(d.status).toBe('succeeded');

    // rolled-back ranks above succeeded: accepted, it would change the deploy.
    const forged: DeployReportedV1 = { deployId: d.id, rolloutId: r.id, host: 'app2', revision: sha, status: 'rolled-back', outputTail: 'forged' };
    const sent = await rig.publish(Events.DeployReported.type, 'app2', forged, 'runway/agent/app2');
    const dlq = await jetstream(rig.nc).streams.get(rig.subjects.deadLetterStream);
    const dead = await eventually(
      () => dlq.getMessage({ last_by_subj: rig.subjects.deadLetter(rig.subjects.event(Events.DeployReported.type, 'app2')) }).catch(() => null),
      { what: 'the forged report dead-lettered' },
    );
    expect(JSON.parse(new TextDecoder().decode(dead.data)).id).toBe(sent.id);
    expect(dead.header.get('Runway-Dead-Letter-Reason')).toMatch(/is for app1, not app2/);

    const after = await rig.get(r.id);
    expect(after.status).toBe('succeeded');
    expect(after.failure).toBeNull();
    expect(deployOf(after, 'app1')).toMatchObject({ status: 'succeeded', outputTail: d.outputTail });
    expect((await rig.servers()).app1.runningRevision).toBe(sha);
  });

  it("dead-letters a heartbeat about app1 published on app2's subject, and changes nothing in rollout", async () => {
    const forgedSha = randomSha();
    const data: AgentHeartbeatV1 = { host: 'app1', environment: 'lpnet', runningRevision: forgedSha, agentVersion: '0.1.0', uptimeS: 1 };
    // A day ahead: applied, it would stick, since rollout keeps the newest heartbeat of a host.
    const forged: CloudEvent<AgentHeartbeatV1> = {
      specversion: '1.0', id: randomUUID(), source: 'runway/agent/app2', type: Events.AgentHeartbeat.type, subject: 'app1',
      time: new Date(Date.now() + 24 * 3600_000).toISOString(), datacontenttype: 'application/json', correlationid: randomUUID(), data,
    };
    const onApp2 = rig.subjects.event(Events.AgentHeartbeat.type, 'app2');
    await jetstream(rig.nc).publish(onApp2, JSON.stringify(forged), { msgID: forged.id });

    const dlq = await jetstream(rig.nc).streams.get(rig.subjects.deadLetterStream);
    const dead = await eventually(
      async () => {
        const m = await dlq.getMessage({ last_by_subj: rig.subjects.deadLetter(onApp2) }).catch(() => null);
        return m && JSON.parse(new TextDecoder().decode(m.data)).id === forged.id ? m : null;
      },
      { what: 'the misdirected heartbeat dead-lettered' },
    );
    expect(dead.header.get('Runway-Dead-Letter-Reason')).toBe(
      `subject: ${onApp2} is not the subject of this event's key app1 (${rig.subjects.event(Events.AgentHeartbeat.type, 'app1')})`,
    );
    expect(dead.header.get('Runway-Original-Subject')).toBe(onApp2);

    // Real heartbeats go on meanwhile; none of the forged one's values may show up.
    await sleep(1500);
    const servers = (await rig.admin.get('/servers')).body as { host: string; runningRevision: string | null; lastHeartbeatAt: string }[];
    for (const host of ['app1', 'app2']) {
      const s = servers.find((x) => x.host === host)!;
      expect(s.runningRevision).not.toBe(forgedSha);
      expect(new Date(s.lastHeartbeatAt).getTime()).toBeLessThan(Date.now() + 60_000);
    }
  });
});

describe('rollout: an agent killed mid-deploy', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start();
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('reports the interrupted deploy failed after restarting, and never runs it, even when asked again', async () => {
    const agent = await rig.addAgent('app1', { extraEnv: { RUNWAY_FAILPOINTS: 'agent-mid-deploy' } });
    const sha = randomSha();
    const r0 = await rig.rolloutOf(await rig.promote(sha));
    const exit = await Promise.race([agent.exited, sleep(20_000).then(() => null)]);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    const started = await rig.waitFor(r0.id, (r) => deployOf(r, 'app1').status === 'started', 'deploy started');
    const deployId = deployOf(started, 'app1').id;
    expect(rig.linesFor('app1', sha)).toEqual([]);

    // Restarted without the failpoint. JetStream redelivers the unacknowledged request once its
    // ack wait (the agent's: 30 s) has passed.
    await rig.restartAgent('app1', ['RUNWAY_FAILPOINTS']);
    const failed = await rig.waitForStatus(r0.id, 'failed', 60_000);
    expect(deployOf(failed, 'app1')).toMatchObject({ status: 'failed' });
    expect(deployOf(failed, 'app1').outputTail).toMatch(/agent restarted while this deploy was running/);
    expect(failed.failure).toMatch(/^app1: failed/);
    expect(rig.linesFor('app1', sha)).toEqual([]);
    const state = JSON.parse(readFileSync(join(rig.stateDir('app1'), 'state.json'), 'utf8'));
    expect(state.deploys[deployId].status).toBe('failed');
    expect(state.runningRevision).toBeUndefined();

    // The same request delivered once more: answered from the agent's state, not run.
    const stream = await jetstream(rig.nc).streams.get(rig.subjects.eventStream);
    const request = await stream.getMessage({ last_by_subj: rig.subjects.event(Events.DeployRequested.type, 'app1') });
    expect(JSON.parse(new TextDecoder().decode(request!.data)).data.deployId).toBe(deployId);
    const again = await jetstream(rig.nc).publish(request!.subject, request!.data, { msgID: randomUUID() });
    const jsm = await jetstreamManager(rig.nc);
    const durable = durableName('agent', Events.DeployRequested.type, 'app1');
    await eventually(async () => (await jsm.consumers.info(rig.subjects.eventStream, durable)).ack_floor.stream_seq >= again.seq, {
      what: 'the agent handled the repeated request', timeoutMs: 15_000,
    });
    await sleep(500);
    expect(rig.linesFor('app1', sha)).toEqual([]);
    expect(rig.agents.get('app1')!.proc.exitCode).toBeNull();
    expect(deployOf(await rig.get(r0.id), 'app1').status).toBe('failed');
  }, 120_000);
});

/**
 * A downtime rollout an operator paused while it waited is superseded by a newer promotion like
 * a waiting one: the newer one inherits the downtime and waits for the window, and the older
 * one can never deploy an older revision over the newer.
 */
describe('rollout: a newer promotion while a downtime rollout is paused in its wait', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start({ ROLLOUT_DOWNTIME_WINDOW: 'daily 10:00/60' });
    await rig.addAgent('app1');
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('supersedes the paused one and waits for the window', async () => {
    rig.clock.set(tomorrowAt(9, 0));
    try {
      const older = randomSha();
      const rA = await rig.rolloutOf(await rig.promote(older, 'downtime'));
      expect(rA.status).toBe('waiting-window');
      const paused = await rig.admin.post(`/rollouts/${rA.id}/pause`);
      expect(paused.body).toMatchObject({ status: 'paused', pausedFrom: 'waiting-window' });

      const newer = randomSha();
      const rB = await rig.rolloutOf(await rig.promote(newer));
      await sleep(1000);
      const a = await rig.get(rA.id);
      const b = await rig.get(rB.id);
      expect({ older: a.status, newerKind: b.kind, newer: b.status, deployedAt9: rig.linesFor('app1', newer).length }).toEqual({
        older: 'superseded', newerKind: 'downtime', newer: 'waiting-window', deployedAt9: 0,
      });
    } finally {
      rig.clock.set(null);
    }
  }, 30_000);
});

/**
 * The scheduler claims a due rollout, runs its preflight outside any transaction, and applies
 * the outcome only if the rollout is still the one it claimed: an operator's pause wins. From
 * its claim on, the rollout holds its track: a promotion arriving meanwhile queues behind it,
 * and takes its place (and its DB change) only if the preflight fails.
 */
describe('rollout: a slow preflight and an operator acting meanwhile', () => {
  const rig = new Rig();
  let marker: string;

  beforeAll(async () => {
    await rig.start((dir) => {
      marker = join(dir, 'preflight-started');
      // A preflight that takes 2 s, records when it began (and for which revision), and fails
      // for a revision the test has left a file for.
      return {
        ROLLOUT_DOWNTIME_WINDOW: 'daily 10:00/60',
        ROLLOUT_PREFLIGHT_COMMAND: `echo "$RUNWAY_REVISION" >> "${marker}"; sleep 2; test ! -e "${dir}/fail-$RUNWAY_REVISION"`,
      };
    });
    await rig.addAgent('app1');
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  const preflightRunning = (sha: string) =>
    eventually(async () => existsSync(marker) && readFileSync(marker, 'utf8').includes(sha), { what: `preflight running for ${sha}` });

  /** A downtime promotion waits for its window; the window opens; a no-downtime promotion arrives while its preflight runs. */
  async function promotedDuringPreflight(opts: { preflightFails: boolean }) {
    rig.clock.set(tomorrowAt(9, 0));
    const older = randomSha();
    if (opts.preflightFails) writeFileSync(join(rig.dir, `fail-${older}`), '');
    const r0 = await rig.rolloutOf(await rig.promote(older, 'downtime'));
    expect(r0.status).toBe('waiting-window');
    rig.clock.set(tomorrowAt(10, 5));
    await preflightRunning(older);
    const newer = randomSha();
    const r1 = await rig.rolloutOf(await rig.promote(newer));
    return { older, r0, newer, r1 };
  }

  it('keeps a pause made while the preflight runs', async () => {
    rig.clock.set(tomorrowAt(9, 0));
    try {
      const sha = randomSha();
      const r0 = await rig.rolloutOf(await rig.promote(sha, 'downtime'));
      expect(r0.status).toBe('waiting-window');
      rig.clock.set(tomorrowAt(10, 5));
      await preflightRunning(sha);
      const paused = await rig.admin.post(`/rollouts/${r0.id}/pause`);
      expect(paused.status).toBe(200);
      expect(paused.body.status).toBe('paused');
      await sleep(3500);
      const after = await rig.get(r0.id);
      expect({ status: after.status, deploys: after.deploys.map((d) => d.status), ran: rig.linesFor('app1', sha).length }).toEqual({
        status: 'paused', deploys: ['pending'], ran: 0,
      });
    } finally {
      rig.clock.set(null);
    }
  }, 30_000);

  it('queues a promotion that arrives while the preflight runs, and deploys it after the one in preflight', async () => {
    try {
      const { older, r0, newer, r1 } = await promotedDuringPreflight({ preflightFails: false });
      // Superseding it here would let promotions that come faster than a preflight put the downtime deploy off for ever.
      expect({ older: (await rig.get(r0.id)).status, newer: r1.status, newerKind: r1.kind }).toEqual({ older: 'preflight', newer: 'queued', newerKind: 'no-downtime' });
      await rig.waitForStatus(r0.id, 'succeeded', 15_000);
      await rig.waitForStatus(r1.id, 'succeeded', 15_000);
      expect(rig.lines('app1').filter((l) => l.phase === 'start').map((l) => l.sha).slice(-2)).toEqual([older, newer]);
    } finally {
      rig.clock.set(null);
    }
  }, 30_000);

  it('hands a DB change blocked by its preflight to the promotion queued behind it, which waits for its own preflight', async () => {
    try {
      const { older, r0, newer, r1 } = await promotedDuringPreflight({ preflightFails: true });
      expect(r1.status).toBe('queued');
      const done = await rig.waitForStatus(r1.id, 'succeeded', 15_000);
      // It carries the older one's DB change, so it waited for its window and ran its own preflight.
      expect({ kind: done.kind, revisions: done.revisions }).toEqual({ kind: 'downtime', revisions: [older, newer] });
      await preflightRunning(newer);
      const old = await rig.get(r0.id);
      expect({ status: old.status, failure: old.failure, deploys: old.deploys.map((d) => d.status), ran: rig.linesFor('app1', older).length }).toEqual({
        status: 'superseded', failure: `superseded by ${newer.slice(0, 10)}`, deploys: ['cancelled'], ran: 0,
      });
    } finally {
      rig.clock.set(null);
    }
  }, 30_000);
});
