/**
 * QA to production through a real git repository, every service a real process on real
 * Postgres and NATS JetStream: revisions committed and pushed to `stable`, landed over HTTP,
 * marked by QA; promotion moves `production-stable` in the remote as the deployable revision
 * moves, and rollout deploys its head to an lpnet server run by a real agent.
 *
 * The issue's acceptance line: marking the blocking revision ok makes production-stable move in
 * the remote without any other action.
 */
import { join } from 'node:path';
import type { Promotion } from '@runway/contracts';
import { apiClient, type ApiClient, eventually, TEST_ADMIN_TOKEN } from '@runway/testing';
import { GitFixture } from '@runway/testing';
import { issueToken } from '../../tools/stack.cjs';
import { type E2eRunway, startRunway } from './harness';

const HOST = 'app1.lpnet.example';

describe('promotion through a real git remote, end to end (real processes)', () => {
  let repo: GitFixture;
  let rw: E2eRunway;
  let buildbot: ApiClient;
  let qa: ApiClient;
  let qaGate: ApiClient;
  let promotion: ApiClient;
  let rollout: ApiClient;

  beforeAll(async () => {
    repo = new GitFixture();
    rw = await startRunway({
      promotion: { PROMOTION_GIT_REMOTE: repo.remote, PROMOTION_GIT_WORKDIR: join(repo.root, 'promotion-mirror') },
      'qa-gate': { QA_GIT_REPOSITORY: repo.remote, QA_GIT_CACHE_DIR: join(repo.root, 'qa-gate-mirror') },
    });
    const url = rw.urls['qa-gate'];
    buildbot = apiClient(url, await issueToken(url, TEST_ADMIN_TOKEN, { name: 'buildbot', roles: ['buildbot'] }));
    qa = apiClient(url, await issueToken(url, TEST_ADMIN_TOKEN, { name: 'Diogo (QA)', roles: ['qa'] }));
    qaGate = apiClient(url, TEST_ADMIN_TOKEN);
    promotion = apiClient(rw.urls.promotion, TEST_ADMIN_TOKEN);
    rollout = apiClient(rw.urls.rollout, TEST_ADMIN_TOKEN);
    await rw.addAgent(HOST, { environment: 'lpnet' });
    await eventually(async () => (await rollout.get('/servers')).body.find((s: { host: string }) => s.host === HOST), { what: 'lpnet agent registered', timeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await rw?.stop();
    repo?.remove();
  });

  const remoteProduction = () => repo.remoteRef('production-stable');

  async function runningOnLpnet(sha: string) {
    return eventually(async () => {
      const s = (await rollout.get('/servers')).body.find((x: { host: string }) => x.host === HOST);
      return s?.runningRevision === sha ? s : null;
    }, { what: `${HOST} running ${sha.slice(0, 10)}`, timeoutMs: 30_000 });
  }

  it('moves production-stable in the remote when the blocking revision is marked ok, and rollout deploys its head', async () => {
    const start = remoteProduction();
    repo.checkout('stable');
    const messages = ['Faster bug search', 'Show the bug heat on listings', 'New PPA page'];
    const commits = messages.map((message, i) => {
      const sha = repo.commit(message, { [`lib/change_${i + 1}.py`]: `CHANGE = ${i + 1}\n` });
      return { sha, revno: Number(repo.git('rev-list', '--count', '--first-parent', sha)) };
    });
    repo.push('stable');
    const [r1, r2, r3] = commits;
    expect([r1.revno, r2.revno, r3.revno]).toEqual([2, 3, 4]);

    for (const c of commits) {
      const res = await buildbot.post('/revisions', { branch: 'stable', sha: c.sha, author: 'Ada Lovelace <ada@example.com>' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ recorded: true, pending: true });
    }
    // qa-gate places each commit on stable's first-parent history, reading it from the same remote.
    await eventually(async () => {
      const revs = await Promise.all(commits.map(async (c) => (await qaGate.get(`/revisions/${c.sha}`)).body));
      return revs.every((r, i) => r.message?.startsWith(messages[i]) && r.revno === commits[i].revno && r.qaStatus === 'needs-testing') ? revs : null;
    }, { what: 'landed commits read from git', timeoutMs: 30_000 });

    // QA: r1 ok, r3 ok, r2 left needing testing.
    for (const c of [r1, r3]) expect((await qa.patch(`/revisions/${c.sha}/qa`, { status: 'ok' })).status).toBe(200);
    await eventually(async () => remoteProduction() === r1.sha, { what: 'production-stable at r1 in the remote', timeoutMs: 30_000 });
    expect((await qaGate.get('/deployable')).body).toMatchObject({ deployable: { sha: r1.sha }, blocker: { revno: r2.revno, kind: 'needs-testing' } });
    await runningOnLpnet(r1.sha);
    const settled = await eventually(async () => {
      const s = (await promotion.get('/status')).body;
      return s.productionStable?.sha === r1.sha ? s : null;
    }, { what: 'promotion recorded at r1', timeoutMs: 30_000 });
    expect(settled).toMatchObject({ pendingApprovals: [], lastHold: null });
    expect(remoteProduction()).toBe(r1.sha); // r3 passed too, but waits behind r2

    // The acceptance line: marking the blocking revision ok is all it takes.
    expect((await qa.patch(`/revisions/${r2.sha}/qa`, { status: 'ok' })).status).toBe(200);
    await eventually(async () => remoteProduction() === r3.sha, { what: 'production-stable at r3 in the remote', timeoutMs: 30_000 });
    const head = remoteProduction();
    expect(repo.isAncestor(r1.sha, head)).toBe(true);
    await runningOnLpnet(head);

    const moves = await eventually(async () => {
      const all: Promotion[] = (await promotion.get('/promotions')).body;
      const m = all.filter((p) => p.kind !== 'adopted');
      return m.length === 2 && m.some((p) => p.toSha === r3.sha) ? m : null;
    }, { what: 'both promotions recorded', timeoutMs: 30_000 });
    const byTarget = (sha: string) => moves.find((p) => p.toSha === sha);
    expect(byTarget(r1.sha)).toMatchObject({ fromSha: start, pushedSha: r1.sha, toRevno: r1.revno, kind: 'fast-forward', cause: 'qa-passed', deployKind: 'no-downtime' });
    expect(byTarget(r1.sha)!.revisions.map((r) => r.sha)).toEqual([r1.sha]);
    expect(byTarget(r3.sha)).toMatchObject({ fromSha: r1.sha, pushedSha: r3.sha, toRevno: r3.revno, kind: 'fast-forward', cause: 'qa-passed', deployKind: 'no-downtime' });
    expect(byTarget(r3.sha)!.revisions.map((r) => r.sha)).toEqual([r2.sha, r3.sha]);

    // The agent ran each promoted head once, in order, and nothing else on lpnet.
    const deployed = rw.deployedLines(HOST).map((l) => l.split(' ')[0]);
    expect(deployed).toEqual([r1.sha, r3.sha]);
  });
});
