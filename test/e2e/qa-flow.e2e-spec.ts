/**
 * QA deciding what production runs, end to end, every service a real process on real Postgres
 * and NATS JetStream: Launchpad's example (r1..r6, r3 bad and fixed by r6) landed and marked
 * over HTTP on qa-gate, and promotion moving production-stable to r2, then to r6 once r5
 * passes — exactly two promotions, each carrying its range.
 */
import { apiClient, type ApiClient, eventually, randomSha, TEST_ADMIN_TOKEN } from '@runway/testing';
import { issueToken } from '../../tools/stack.cjs';
import { type E2eRunway, startRunway } from './harness';

interface Promotion {
  fromSha: string | null;
  fromRevno: number | null;
  toSha: string;
  toRevno: number;
  cause: string;
  revisions: { sha: string; revno: number; db: boolean }[];
  containsDb: boolean;
  deployKind: string;
  createdAt: string;
}

describe('QA flow end to end (real processes)', () => {
  let rw: E2eRunway;
  let buildbot: ApiClient;
  let qa: ApiClient;
  let qaGate: ApiClient;
  let promotion: ApiClient;

  beforeAll(async () => {
    rw = await startRunway();
    const url = rw.urls['qa-gate'];
    buildbot = apiClient(url, await issueToken(url, TEST_ADMIN_TOKEN, { name: 'buildbot', roles: ['buildbot'] }));
    qa = apiClient(url, await issueToken(url, TEST_ADMIN_TOKEN, { name: 'Diogo (QA)', roles: ['qa'] }));
    qaGate = apiClient(url, TEST_ADMIN_TOKEN);
    promotion = apiClient(rw.urls.promotion, TEST_ADMIN_TOKEN);
  }, 120_000);

  afterAll(async () => {
    await rw?.stop();
  });

  async function productionAt(revno: number) {
    return eventually(async () => {
      const s = (await promotion.get('/status')).body;
      return s.productionStable?.revno === revno ? s.productionStable : null;
    }, { what: `production-stable at r${revno}`, timeoutMs: 30_000 });
  }

  it("promotes r2, then r6 once r5 passes, and nothing in between (Launchpad's example)", async () => {
    const messages: Record<number, string> = {
      1: 'Faster bug search', 2: 'Show the bug heat on listings', 3: 'Cache the branch listing', 4: 'Fix the OOPS on +filebug',
      5: 'New PPA page', 6: 'Revert the branch listing cache [rollback=3]',
    };
    const r: Record<number, { sha: string; id: string }> = {};
    for (let revno = 1; revno <= 6; revno++) {
      const sha = randomSha();
      const res = await buildbot.post('/revisions', { branch: 'stable', sha, revno, message: messages[revno], author: 'Ada Lovelace <ada@example.com>' });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ recorded: true, revno, qaStatus: 'needs-testing' });
      r[revno] = { sha, id: (await qaGate.get(`/revisions/${sha}`)).body.id };
    }

    // QA reaches r1 last, so the deployable revision moves once, straight to r2.
    for (const [revno, status] of [[2, 'ok'], [3, 'bad'], [4, 'ok'], [6, 'ok'], [1, 'ok']] as const) {
      const res = await qa.patch(`/revisions/${r[revno].id}/qa`, { status });
      expect(res.status).toBe(200);
    }
    expect((await qaGate.get('/deployable')).body).toMatchObject({
      deployable: { revno: 2, sha: r[2].sha }, blocker: { revno: 5, kind: 'needs-testing', actor: 'qa' }, nextAction: { wouldMakeDeployable: 6 },
    });
    expect(await productionAt(2)).toMatchObject({ sha: r[2].sha, revno: 2 });
    // promoted comes back to qa-gate as the last promoted revision.
    await eventually(async () => (await qaGate.get('/deployable')).body.lastPromoted?.revno === 2, { what: 'qa-gate learning r2 was promoted', timeoutMs: 30_000 });

    expect((await qa.patch(`/revisions/${r[5].id}/qa`, { status: 'ok' })).status).toBe(200);
    expect(await productionAt(6)).toMatchObject({ sha: r[6].sha, revno: 6 });

    const res = await promotion.get('/promotions');
    expect(res.status).toBe(200);
    const promotions = [...(res.body as Promotion[])].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const ref = (revno: number) => ({ sha: r[revno].sha, revno, db: false });
    expect(promotions).toEqual([
      expect.objectContaining({
        fromSha: null, fromRevno: null, toSha: r[2].sha, toRevno: 2, cause: 'qa-passed', revisions: [ref(1), ref(2)], containsDb: false,
        deployKind: 'no-downtime',
      }),
      expect.objectContaining({
        fromSha: r[2].sha, fromRevno: 2, toSha: r[6].sha, toRevno: 6, cause: 'qa-passed', revisions: [ref(3), ref(4), ref(5), ref(6)], containsDb: false,
        deployKind: 'no-downtime',
      }),
    ]);
    await eventually(async () => (await qaGate.get('/deployable')).body.lastPromoted?.revno === 6, { what: 'qa-gate learning r6 was promoted', timeoutMs: 30_000 });
  });
});
