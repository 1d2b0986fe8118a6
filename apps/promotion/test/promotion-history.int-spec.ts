/**
 * Promotion on real histories (real git remote, Postgres and NATS JetStream; the service
 * in-process): approvals QA withdraws, downtime read from what ships, security fixes merged
 * back by cherry-pick, security fixes without a repository, and a mirror left by another
 * remote. Each `it` is a regression test of a defect of issue 13 found on real histories.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Events, type PromotionHeldV1, type RevisionRef } from '@runway/contracts';
import { startService } from '@runway/platform';
import { eventually, randomSha, startServiceUnderTest } from '@runway/testing';
import { promotion } from '../src/definition';
import { GitFixture } from '@runway/testing';
import { type Commit, type PromotionRow, sleep, withRig } from './rig';

const ref = (c: Commit, db = false): RevisionRef => ({ sha: c.sha, revno: c.revno, db });
const PATCH = (n: number) => ({ [`database/schema/patch-2209-${String(n).padStart(2, '0')}-0.sql`]: `ALTER TABLE bug ADD COLUMN c${n} int;\n` });

describe('promotion: approvals QA withdraws (issue 13, defect 3)', () => {
  it('drops a withdrawn approval while locked, and at unlock ships the revision QA went back to', () =>
    withRig({}, async (rig) => {
      const [r1, r2, r3] = [rig.land('Faster search'), rig.land('Cache the listing'), rig.land('New PPA page')];
      const lock = await rig.api.post('/locks', { reason: 'release meeting' });
      expect(lock.status).toBe(201);
      // QA approves r3 (r1..r3), then marks r2 bad: the deployable revision goes back to r1.
      await rig.approve(r3, { range: [r1, r2, r3], seq: 1 });
      await rig.waitHandled();
      await rig.send(Events.ApprovalWithdrawn, {
        branch: 'stable', seq: 2, revno: r1.revno, sha: r1.sha, previousSha: rig.start, range: [ref(r1)], containsDbRevision: false,
        withdrawnRevno: r3.revno, withdrawnSha: r3.sha, cause: ref(r2), causeStatus: 'bad', by: 'Diogo (QA)', reason: `r${r2.revno} is bad`,
      });
      const status = await rig.status();
      expect(status.pendingApprovals.map((a: { revno: number }) => a.revno)).toEqual([r1.revno]);
      expect(status.withdrawnApprovals).toEqual([expect.objectContaining({ sha: r3.sha, revno: r3.revno, reason: expect.stringMatching(/^QA withdrew it: r\d+ is bad/) })]);

      expect((await rig.api.delete(`/locks/${lock.body.id}`)).status).toBe(204);
      const moved = await rig.waitPromotion('r1 promoted', (p) => p.toSha === r1.sha);
      expect(moved).toMatchObject({ kind: 'fast-forward', cause: 'qa-passed', revisions: [ref(r1)] });
      await sleep(1500);
      expect(rig.head()).toBe(r1.sha);
      expect((await rig.promotions()).some((p) => p.toSha === r3.sha)).toBe(false);
    }));

  it('drops an approval whose withdrawal arrived first, and one a later, lower approval supersedes', () =>
    withRig({}, async (rig) => {
      const [r1, r2, r3] = [rig.land('One'), rig.land('Two'), rig.land('Three')];
      const lock = await rig.api.post('/locks', { reason: 'hold on' });
      // The withdrawal (seq 2) overtakes the approval it withdraws (seq 1).
      await rig.send(Events.ApprovalWithdrawn, {
        branch: 'stable', seq: 2, revno: r1.revno, sha: r1.sha, previousSha: rig.start, range: [ref(r1)], containsDbRevision: false,
        withdrawnRevno: r3.revno, withdrawnSha: r3.sha, cause: ref(r2), causeStatus: 'needs-testing', by: 'Diogo (QA)', reason: 'r2 needs testing again',
      });
      await rig.approve(r3, { range: [r1, r2, r3], seq: 1 });
      await rig.waitHandled();
      // r2 passes again (seq 3), but a qa-passed for a lower revision than a pending one supersedes it.
      await rig.approve(r2, { range: [r2], previous: r1, seq: 3 });
      await rig.waitHandled();
      const status = await rig.status();
      expect(status.pendingApprovals.map((a: { revno: number }) => a.revno)).toEqual([r1.revno, r2.revno]);
      expect(status.withdrawnApprovals.map((a: { sha: string }) => a.sha)).toEqual([r3.sha]);
      await rig.api.delete(`/locks/${lock.body.id}`);
      await rig.waitPromotion('r2 promoted', (p) => p.toSha === r2.sha);
      expect(rig.head()).toBe(r2.sha);
    }));
});

describe('promotion: downtime is judged from what ships (issue 13, defect 4)', () => {
  it('makes forced, adopted and security-fix promotions that carry a schema patch downtime ones, and no other', () =>
    withRig({}, async (rig) => {
      const byTarget = async (sha: string) => rig.waitPromotion(`promotion to ${sha.slice(0, 10)}`, (p) => p.toSha === sha || p.pushedSha === sha);

      // Forced: an unapproved revision with a schema patch.
      const forced = rig.land('Add a column', PATCH(1));
      const res = await rig.api.post('/promotions', { revision: forced.sha, force: true, reason: 'incident 7: the column is needed now' });
      expect(res.status).toBe(201);
      expect(await byTarget(forced.sha)).toMatchObject({ forced: true, deployKind: 'downtime', containsDb: true });

      // Adopted: someone pushed production-stable forward by hand over a schema patch.
      const byHand = rig.land('Add another column', PATCH(2));
      rig.repo.git('push', '--quiet', 'origin', `${byHand.sha}:refs/heads/production-stable`);
      const plain = rig.land('Plain code');
      await rig.approve(plain, { range: [plain], seq: 5 });
      expect(await byTarget(byHand.sha)).toMatchObject({ kind: 'adopted', deployKind: 'downtime', containsDb: true });
      expect(await byTarget(plain.sha)).toMatchObject({ kind: 'fast-forward', deployKind: 'no-downtime', containsDb: false });

      // A security fix with a schema patch.
      rig.repo.checkout('production-stable');
      const fix = rig.repo.commit('Fix the privacy leak', { 'lib/privacy.py': 'HIDE = True\n', ...PATCH(3) });
      rig.repo.push('production-devel');
      expect((await rig.api.post('/security-fixes', { sha: fix })).status).toBe(201);
      expect(await byTarget(fix)).toMatchObject({ cause: 'security-fix', deployKind: 'downtime' });

      // An approval that listed a DB revision whose patch its range also reverted ships no schema change.
      const add = rig.land('Add a column, again', PATCH(4));
      rig.repo.checkout('stable');
      rig.repo.git('revert', '--no-edit', add.sha);
      rig.repo.push('stable');
      const revert = { sha: rig.repo.remoteRef('stable'), revno: add.revno + 1 };
      await rig.approve(revert, { range: [add, revert], db: [add, revert], previous: plain, seq: 6 });
      const merged = await byTarget(revert.sha);
      expect(merged).toMatchObject({ kind: 'merge', deployKind: 'no-downtime', containsDb: false });
    }));
});

describe('promotion: merge-back by patch identity (issue 13, defect 5)', () => {
  it('sees a security fix cherry-picked to stable, at the first commit that has it, and one merged back', () =>
    withRig({}, async (rig) => {
      rig.repo.checkout('production-devel');
      const fix = rig.repo.commit('Fix XSS in the search box', { 'lib/escape.py': 'def escape(s): return s\n' });
      rig.repo.push('production-devel');
      expect((await rig.api.post('/security-fixes', { sha: fix })).status).toBe(201);
      await eventually(async () => rig.head() === fix, { what: 'the fix on production' });

      // On stable: a commit, the cherry-pick (another sha, the same patch), another commit. Only the last lands (collapsed).
      rig.land('Before');
      rig.repo.checkout('stable');
      rig.repo.git('cherry-pick', fix);
      const picked = rig.repo.git('rev-parse', 'HEAD');
      rig.repo.push('stable');
      const after = rig.land('After');
      expect(picked).not.toBe(fix);
      await rig.send(Events.RevisionLanded, { branch: 'stable', sha: after.sha, revno: after.revno, landedAt: new Date().toISOString() });
      const fixes = (await rig.api.get('/security-fixes')).body;
      expect(fixes).toEqual([expect.objectContaining({ sha: fix, mergedBackBy: picked, mergedBackHow: 'patch-id', mergedBackAt: expect.any(String) })]);
      expect(await rig.status()).toMatchObject({ pendingMergeBack: [], recentlyMergedBack: [{ sha: fix, mergedBackBy: picked, mergedBackHow: 'patch-id' }] });

      // A second fix, merged back by a merge of production-devel into stable.
      rig.repo.checkout('production-devel');
      const second = rig.repo.commit('Fix the CSRF check', { 'lib/csrf.py': 'CHECK = True\n' });
      rig.repo.push('production-devel');
      await rig.api.post('/security-fixes', { sha: second });
      rig.repo.checkout('stable');
      rig.repo.git('merge', '--no-ff', '--quiet', '-m', 'Merge production-devel', 'origin/production-devel');
      const merge = rig.repo.git('rev-parse', 'HEAD');
      rig.repo.push('stable');
      const later = rig.land('Later still');
      await rig.send(Events.RevisionLanded, { branch: 'stable', sha: later.sha, revno: later.revno, landedAt: new Date().toISOString() });
      expect((await rig.api.get(`/security-fixes/${second}`)).body).toMatchObject({ mergedBackBy: merge, mergedBackHow: 'ancestry' });
    }));
});

describe('promotion: security fixes without a repository (issue 13, defect 6)', () => {
  it('records and announces the fix, holds approvals it cannot check, and goes on once an operator confirms the merge-back', async () => {
    const sut = await startServiceUnderTest(startService, promotion, { PROMOTION_RETRY_SECONDS: '1' });
    try {
      const fix = randomSha();
      expect((await sut.admin.post('/security-fixes', { sha: fix })).status).toBe(201);
      const moves: PromotionRow[] = (await sut.admin.get('/promotions')).body;
      expect(moves).toEqual([expect.objectContaining({ toSha: fix, pushedSha: fix, cause: 'security-fix', kind: 'record-only' })]);
      const status = (await sut.admin.get('/status')).body;
      expect(status).toMatchObject({ repository: null, productionStable: { sha: fix }, pendingMergeBack: [expect.objectContaining({ sha: fix, detection: expect.any(String) })] });

      // An approval now would drop the fix: it is held, and says why and who can release it.
      const operator = await sut.clientWith(['operator'], 'Ops');
      const approved = randomSha();
      const { Subjects } = await import('@runway/contracts');
      const { connect } = await import('@nats-io/transport-node');
      const { jetstream } = await import('@nats-io/jetstream');
      const nc = await connect({ servers: process.env.NATS_URL! });
      try {
        await jetstream(nc).publish(new Subjects(sut.namespace).event(Events.QaPassed.type, 'stable'), JSON.stringify({
          specversion: '1.0', id: randomUUID(), source: 'qa-gate-test', type: Events.QaPassed.type, time: new Date().toISOString(), datacontenttype: 'application/json',
          correlationid: randomUUID(), data: { branch: 'stable', sha: approved, revno: 7, range: [{ sha: approved, revno: 7, db: false }], containsDbRevision: false, seq: 1 },
        }));
      } finally {
        await nc.close();
      }
      const held = await eventually(async () => {
        const s = (await sut.admin.get('/status')).body;
        return s.lastHold?.code === 'merge-back-unknown' ? s.lastHold : null;
      }, { what: 'the approval held' });
      expect((held as PromotionHeldV1).reason).toMatch(/merged-back/);
      expect((await sut.admin.get('/promotions')).body).toHaveLength(1);

      expect((await operator.post(`/security-fixes/${fix}/merged-back`, {})).status).toBe(400);
      const confirmed = await operator.post(`/security-fixes/${fix}/merged-back`, { reason: 'merged into stable by hand in r6' });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({ sha: fix, mergedBackHow: 'operator', mergedBackNote: 'Ops: merged into stable by hand in r6' });
      await eventually(async () => (await sut.admin.get('/status')).body.productionStable?.sha === approved, { what: 'the approval recorded as promoted' });
    } finally {
      await sut.close();
    }
  });
});

describe('promotion: a work directory left by another remote (issue 13, defect 8)', () => {
  it('is cloned again from the configured remote, and promotes its commits', async () => {
    const old = new GitFixture();
    const fresh = new GitFixture();
    const workdir = join(old.root, 'shared-workdir');
    try {
      execFileSync('git', ['clone', '--bare', '--quiet', old.remote, workdir]);
      await withRig({ env: { PROMOTION_GIT_WORKDIR: workdir, PROMOTION_GIT_REMOTE: fresh.remote } }, async (rig) => {
        // The rig's own remote is not used here: approve a commit of the configured one.
        fresh.checkout('stable');
        const sha = fresh.commit('Only in the new remote', { 'lib/new.py': 'NEW = 1\n' });
        fresh.push('stable');
        await rig.approve({ sha, revno: 2 }, { seq: 1 });
        await eventually(async () => fresh.remoteRef('production-stable') === sha, { what: 'production-stable moved in the configured remote' });
        expect((await rig.status()).repository).toBe(fresh.remote);
      });
    } finally {
      old.remove();
      fresh.remove();
    }
  });
});
