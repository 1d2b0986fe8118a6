/**
 * Promotion moving production-stable in a real git repository. Real: a bare remote and a
 * working clone made here, Postgres, NATS JetStream, the promotion service in-process.
 */
import { type RunningService, startService } from '@runway/platform';
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Events, type QaPassedV1, Subjects } from '@runway/contracts';
import { type ApiClient, eventually, type ServiceUnderTest, startServiceUnderTest } from '@runway/testing';
import { promotion } from '../src/definition';
import { GitFixture } from '@runway/testing';

describe('promotion in real git', () => {
  let sut: ServiceUnderTest<RunningService>;
  let ns: string;
  let nc: NatsConnection;
  let api: ApiClient;
  let repo: GitFixture;
  let revno = 1;

  beforeAll(async () => {
    repo = new GitFixture();
    sut = await startServiceUnderTest(startService, promotion, { PROMOTION_GIT_REMOTE: repo.remote, PROMOTION_GIT_WORKDIR: repo.cache, PROMOTION_RETRY_SECONDS: '1' });
    ({ namespace: ns, admin: api } = sut);
    nc = await connect({ servers: process.env.NATS_URL! });
  });
  afterAll(async () => {
    await nc?.close();
    await sut?.close();
    repo?.remove();
  });

  async function approve(sha: string, db = false): Promise<number> {
    revno++;
    const data: QaPassedV1 = { branch: 'stable', sha, revno, range: [{ sha, revno, db }], containsDbRevision: db };
    const event = { specversion: '1.0', id: randomUUID(), source: 'test', type: Events.QaPassed.type, time: new Date().toISOString(), datacontenttype: 'application/json', correlationid: randomUUID(), data };
    await jetstream(nc).publish(new Subjects(ns).event(Events.QaPassed.type, 'stable'), JSON.stringify(event));
    return revno;
  }

  it('fast-forwards production-stable to an approved revision', async () => {
    repo.checkout('stable');
    const a = repo.commit('Faster search', { 'lib/search.py': 'fast = True\n' });
    repo.push('stable');
    await approve(a);
    // The push comes first, then the record: wait for the record.
    const p = await eventually(async () => (await api.get('/promotions')).body.find((x: { toSha: string }) => x.toSha === a), { what: 'promotion recorded' });
    expect(p).toMatchObject({ toSha: a, pushedSha: a, kind: 'fast-forward', cause: 'qa-passed' });
    expect(repo.remoteRef('production-stable')).toBe(a);
  });

  it('sends a security fix out at once, merges the next approval keeping it, and sees it merged back', async () => {
    repo.checkout('production-devel');
    const fix = repo.commit('Fix XSS in the search box', { 'lib/escape.py': 'def escape(s): return s\n' });
    repo.push('production-devel');
    expect((await api.post('/security-fixes', { sha: fix })).status).toBe(201);
    await eventually(async () => repo.isAncestor(fix, repo.remoteRef('production-stable')), { what: 'fix in production' });

    repo.checkout('stable');
    const b = repo.commit('New help page', { 'lib/help.py': 'HELP = 1\n' });
    repo.push('stable');
    await approve(b);
    const head = await eventually(async () => {
      const h = repo.remoteRef('production-stable');
      return repo.isAncestor(b, h) ? h : null;
    }, { what: 'b promoted' });
    expect(repo.isAncestor(fix, head)).toBe(true);
    expect(repo.parents(head)).toHaveLength(2);
    const status = (await api.get('/status')).body;
    expect(status.pendingMergeBack.map((f: { sha: string }) => f.sha)).toEqual([fix]);

    // stable takes the fix: it is merged back.
    repo.git('merge', '--quiet', '--no-edit', `origin/production-devel`);
    const mergeBack = repo.git('rev-parse', 'HEAD');
    repo.push('stable');
    await approve(mergeBack);
    await eventually(async () => (await api.get('/status')).body.pendingMergeBack.length === 0, { what: 'fix merged back' });
  });

  it('holds on a conflict and pushes nothing', async () => {
    repo.checkout('production-devel');
    const fix = repo.commit('Hot fix version', { 'lib/app.py': 'VERSION = 99\n' });
    repo.push('production-devel');
    await api.post('/security-fixes', { sha: fix });
    await eventually(async () => repo.isAncestor(fix, repo.remoteRef('production-stable')), { what: 'fix in production' });
    const before = repo.remoteRef('production-stable');
    repo.checkout('stable');
    const c = repo.commit('Version 2', { 'lib/app.py': 'VERSION = 2\n' });
    repo.push('stable');
    await approve(c);
    const status = await eventually(async () => {
      const s = (await api.get('/status')).body;
      return s.lastHold?.code === 'conflict' ? s : null;
    }, { what: 'held' });
    expect(status.lastHold.reason).toMatch(/lib\/app.py/);
    expect(repo.remoteRef('production-stable')).toBe(before);
  });
});
