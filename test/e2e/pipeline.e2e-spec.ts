/**
 * The walking skeleton end to end, every part a real process on real Postgres and NATS
 * JetStream: a [no-qa] landing over HTTP ends as a deploy run by a real agent and recorded by
 * rollout. Then the same chain with processes killed at the worst moments.
 */
import { randomSha, apiClient, eventually, TEST_ADMIN_TOKEN, type ApiClient } from '@runway/testing';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Events, Subjects } from '@runway/contracts';
import { issueToken } from '../../tools/stack.cjs';
import { type E2eRunway, startRunway } from './harness';

describe('pipeline end to end (real processes)', () => {
  let rw: E2eRunway;
  let buildbot: ApiClient;
  let rollout: ApiClient;
  let qaGate: ApiClient;

  beforeAll(async () => {
    rw = await startRunway();
    buildbot = apiClient(rw.urls['qa-gate'], await issueToken(rw.urls['qa-gate'], TEST_ADMIN_TOKEN, { name: 'buildbot', roles: ['buildbot'] }));
    rollout = apiClient(rw.urls.rollout, TEST_ADMIN_TOKEN);
    qaGate = apiClient(rw.urls['qa-gate'], TEST_ADMIN_TOKEN);
    await rw.addAgent('app1.example');
    await eventually(async () => (await rollout.get('/servers')).body.find((s: { host: string }) => s.host === 'app1.example'), { what: 'agent registered' });
  }, 120_000);

  afterAll(async () => {
    await rw?.stop();
  });

  async function landAndWaitForDeploy(message: string, correlationId: string) {
    const sha = randomSha();
    const res = await buildbot.raw('POST', '/revisions', JSON.stringify({ branch: 'stable', sha, message, author: 'Ada Lovelace' }), {
      'x-correlation-id': correlationId,
    });
    expect(res.status).toBe(202);
    const server = await eventually(async () => {
      const s = (await rollout.get('/servers')).body.find((x: { host: string }) => x.host === 'app1.example');
      return s?.runningRevision === sha ? s : null;
    }, { what: `app1 running ${sha}`, timeoutMs: 30_000 });
    return { sha, server };
  }

  it('carries a [no-qa] landing to a deploy run by the agent and recorded by rollout', async () => {
    const { sha, server } = await landAndWaitForDeploy('Fix a typo in the help text [no-qa]', 'e2e-trace-1');
    expect(server.reachable).toBe(true);
    const rev = (await qaGate.get(`/revisions/${sha}`)).body;
    expect(rev).toMatchObject({ qaStatus: 'no-qa', branch: 'stable' });
    const promotions = (await apiClient(rw.urls.promotion, TEST_ADMIN_TOKEN).get('/promotions')).body;
    expect(promotions[0]).toMatchObject({ toSha: sha, cause: 'qa-passed', deployKind: 'no-downtime' });
    const rollouts = (await rollout.get('/rollouts')).body.filter((r: { cause: string }) => r.cause === 'promoted');
    const detail = (await rollout.get(`/rollouts/${rollouts[0].id}`)).body;
    expect(detail).toMatchObject({ toSha: sha, status: 'succeeded' });
    expect(detail.deploys).toEqual([expect.objectContaining({ host: 'app1.example', status: 'succeeded', revision: sha })]);
    expect(rw.deployedLines('app1.example').filter((l) => l.startsWith(sha))).toHaveLength(1);

    // Lead time, stage by stage.
    const lead = await eventually(async () => {
      const body = (await rollout.get('/lead-time')).body;
      const r = body.revisions.find((x: { sha: string }) => x.sha === sha);
      return r?.deployedAt ? body : null;
    }, { what: 'lead time recorded' });
    const mine = lead.revisions.find((x: { sha: string }) => x.sha === sha);
    for (const stage of ['landedToQaPassed', 'qaPassedToPromoted', 'promotedToDeployed', 'landedToDeployed']) {
      expect(mine.seconds[stage]).toBeGreaterThanOrEqual(0);
      expect(mine.seconds[stage]).toBeLessThan(60);
    }
    expect(lead.stages.landedToDeployed.count).toBeGreaterThanOrEqual(1);

    // One correlation id, from the HTTP request to the agent's report, across four processes.
    const nc = await connect({ servers: process.env.NATS_URL! });
    try {
      const subjects = new Subjects(rw.namespace);
      const stream = await jetstream(nc).streams.get(subjects.eventStream);
      for (const type of [Events.RevisionLanded, Events.QaPassed, Events.Promoted, Events.DeployRequested, Events.DeployReported]) {
        const m = await stream.getMessage({ last_by_subj: subjects.event(type.type, type === Events.DeployRequested || type === Events.DeployReported ? 'app1.example' : type === Events.Promoted ? 'production-stable' : 'stable') });
        expect({ type: type.name, correlationid: JSON.parse(new TextDecoder().decode(m!.data)).correlationid }).toEqual({ type: type.name, correlationid: 'e2e-trace-1' });
      }
    } finally {
      await nc.close();
    }
  });

  it('deploys every landing to the QA environments at once, and to production only once QA passes it', async () => {
    await rw.addAgent('qa1.example', { environment: 'qastaging' });
    await eventually(async () => (await rollout.get('/servers')).body.find((s: { host: string }) => s.host === 'qa1.example'), { what: 'QA agent registered' });
    const sha = randomSha();
    expect((await buildbot.post('/revisions', { branch: 'stable', sha, message: 'Rework the login page' })).status).toBe(202);
    await eventually(async () => {
      const s = (await rollout.get('/servers')).body.find((x: { host: string }) => x.host === 'qa1.example');
      return s?.runningRevision === sha;
    }, { what: 'qastaging running the tip', timeoutMs: 30_000 });
    const app1 = (await rollout.get('/servers')).body.find((x: { host: string }) => x.host === 'app1.example');
    expect(app1.runningRevision).not.toBe(sha);
    const tipRollout = (await rollout.get('/rollouts')).body.find((r: { toSha: string }) => r.toSha === sha);
    expect(tipRollout).toMatchObject({ cause: 'qa-tip', status: 'succeeded' });
    // Mark it ok: it passes QA, is promoted, and production follows.
    const qa = apiClient(rw.urls['qa-gate'], await issueToken(rw.urls['qa-gate'], TEST_ADMIN_TOKEN, { name: 'qa', roles: ['qa'] }));
    expect((await qa.patch(`/revisions/${sha}/qa`, { status: 'ok' })).status).toBe(200);
    await eventually(async () => {
      const s = (await rollout.get('/servers')).body.find((x: { host: string }) => x.host === 'app1.example');
      return s?.runningRevision === sha;
    }, { what: 'production running it once it passed', timeoutMs: 30_000 });
    // land → marked ok → promoted → deployed: each stage's lead time is recorded.
    const times = await eventually(async () => {
      const r = (await rollout.get('/lead-time')).body.revisions.find((x: { sha: string }) => x.sha === sha);
      return r?.deployedAt ? r : null;
    }, { what: 'lead time of the revision QA passed' });
    expect(Object.values(times.seconds).every((v) => typeof v === 'number' && v >= 0)).toBe(true);
  });

  it('does not apply an event twice when a consumer dies after its commit and before its ack', async () => {
    // rollout dies right after committing its handling of `promoted`, before acking it.
    const dying = await rw.restart('rollout', { RUNWAY_FAILPOINTS: 'consumer-after-commit:runway.promotion.promoted.v1' });
    const sha = randomSha();
    expect((await buildbot.post('/revisions', { branch: 'stable', sha, message: 'Speed up search [no-qa]' })).status).toBe(202);
    const exit = await dying.exited;
    expect(exit.signal).toBe('SIGKILL');
    await rw.restart('rollout');
    rollout = apiClient(rw.urls.rollout, TEST_ADMIN_TOKEN);
    await eventually(async () => {
      const s = (await rollout.get('/servers')).body.find((x: { host: string }) => x.host === 'app1.example');
      return s?.runningRevision === sha;
    }, { what: 'deploy after the crash', timeoutMs: 30_000 });
    // The redelivered `promoted` (after EVENT_ACK_WAIT_MS) must not plan a second rollout.
    await new Promise((r) => setTimeout(r, 3000));
    const rollouts = (await rollout.get('/rollouts')).body.filter((r: { toSha: string; cause: string }) => r.toSha === sha && r.cause === 'promoted');
    expect(rollouts).toHaveLength(1);
    expect(rw.deployedLines('app1.example').filter((l) => l.startsWith(sha))).toHaveLength(1);
  });

  it('publishes after restart what a relay killed between commit and publish left behind', async () => {
    // qa-gate commits qa-passed in its outbox, then dies before publishing it.
    const dying = await rw.restart('qa-gate', { RUNWAY_FAILPOINTS: 'relay-before-publish:runway.qa.passed.v1' });
    const sha = randomSha();
    const bb = apiClient(rw.urls['qa-gate'], await issueToken(rw.urls['qa-gate'], TEST_ADMIN_TOKEN, { name: 'buildbot 2', roles: ['buildbot'] }));
    expect((await bb.post('/revisions', { branch: 'stable', sha, message: 'Tidy CSS [no-qa]' })).status).toBe(202);
    const exit = await dying.exited;
    expect(exit.signal).toBe('SIGKILL');
    // Nothing was published: production has not moved to it.
    const promotion = apiClient(rw.urls.promotion, TEST_ADMIN_TOKEN);
    expect((await promotion.get('/status')).body.productionStable.sha).not.toBe(sha);
    await rw.restart('qa-gate');
    await eventually(async () => {
      const s = (await rollout.get('/servers')).body.find((x: { host: string }) => x.host === 'app1.example');
      return s?.runningRevision === sha;
    }, { what: 'deploy after the relay restart', timeoutMs: 30_000 });
    expect((await promotion.get('/promotions')).body.filter((p: { toSha: string }) => p.toSha === sha)).toHaveLength(1);
    expect(rw.deployedLines('app1.example').filter((l) => l.startsWith(sha))).toHaveLength(1);
  });
});
