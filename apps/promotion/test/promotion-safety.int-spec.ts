/**
 * Promotion's safety properties against a real git remote, Postgres and NATS JetStream, with
 * the service (or two replicas of it) in-process: an approval applies once however often it
 * arrives, production never moves backwards, replicas take turns, locks and freezes make
 * approvals wait (but not security fixes), manual promotions are checked and audited, moves
 * made outside Runway are adopted or held, and the write routes need the operator role.
 *
 * Every test builds its own rig: a fresh git remote, database and NATS namespace.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Events, type PromotionHeldV1 } from '@runway/contracts';
import { apiClient, eventually } from '@runway/testing';
import { inMoveOrder, PRODUCTION, type PromotionRow, sleep, withRig } from './rig';

describe('promotion safety (real git, Postgres, JetStream)', () => {
  describe('redelivered approvals', () => {
    it('promotes a sha once when its approval arrives twice under one id and again under a new id', () =>
      withRig({}, async (rig) => {
        const a = rig.land('Faster search');
        const first = rig.qaPassed(a);
        await rig.publish(first);
        await rig.publish(first); // the same event, redelivered
        await rig.publish({ ...first, id: randomUUID(), time: new Date().toISOString() }); // a copy under a new id
        await rig.waitHandled();
        expect(rig.head()).toBe(a.sha);
        expect(rig.remoteHistory()).toEqual([rig.start, a.sha]);
        const moves = inMoveOrder(await rig.promotions());
        expect(moves.map((p) => [p.kind, p.pushedSha])).toEqual([['adopted', rig.start], ['fast-forward', a.sha]]);
        expect(moves[1]).toMatchObject({ toSha: a.sha, toRevno: a.revno, cause: 'qa-passed', fromSha: rig.start });

        // Once production has moved on, a late copy of the old approval does nothing either.
        const b = rig.land('Help page');
        await rig.approve(b);
        await rig.publish({ ...first, id: randomUUID(), time: new Date().toISOString() });
        await rig.waitHandled();
        expect(rig.remoteHistory()).toEqual([rig.start, a.sha, b.sha]);
        expect((await rig.promotions()).filter((p) => p.toSha === a.sha)).toHaveLength(1);
        const events = await eventually(async () => {
          const e = await rig.promotedEvents();
          return e.some((x) => x.data.toSha === b.sha) ? e : null;
        }, { what: 'promoted events published' });
        expect(events.filter((e) => e.data.toSha === a.sha)).toHaveLength(1);
        expect((await rig.status()).pendingApprovals).toEqual([]);
      }));
  });

  describe('approvals out of order', () => {
    it('ends at the newer revision and never moves back to the older one', () =>
      withRig({}, async (rig) => {
        const first = rig.land('Zero');
        await rig.approve(first);
        await rig.waitHandled();
        const commits = [rig.land('One'), rig.land('Two'), rig.land('Three')];
        const [older, newer] = [commits[0], commits[2]];
        expect([older.revno, newer.revno]).toEqual([3, 5]);
        await rig.approve(newer, { range: commits });
        await rig.approve(older, { range: [older] });
        await rig.waitHandled();
        expect(rig.head()).toBe(newer.sha);
        expect(rig.expectRemoteOnlyForward()).toEqual([rig.start, first.sha, newer.sha]);

        const promotions = await rig.promotions();
        expect(promotions.filter((p) => p.toSha === older.sha)).toEqual([]);
        // In the order GET /promotions gives them, each move descends from the one before.
        // (Where Runway found the branch is left out here: see the failing test below.)
        const moves = promotions.filter((p) => p.kind !== 'adopted');
        expect(moves.map((p) => p.toSha)).toEqual([first.sha, newer.sha]);
        for (let i = 1; i < moves.length; i++) {
          expect(moves[i].toSha).not.toBe(moves[i - 1].toSha);
          expect(rig.repo.isAncestor(moves[i - 1].toSha, moves[i].toSha)).toBe(true);
        }
        expect(inMoveOrder(promotions).map((p) => p.pushedSha)).toEqual(rig.remoteHistory());
        expect(moves[1].revisions.map((r) => r.sha)).toEqual(commits.map((c) => c.sha));
        expect((await rig.status()).pendingApprovals).toEqual([]);
      }));

    // Two promotions recorded in one transaction (adopting the branch found, then the move) share
    // a time; the list follows the order they happened in.
    it('lists the newest promotion first when two were recorded in one transaction', () =>
      withRig({}, async (rig) => {
        const a = rig.land('One');
        await rig.approve(a);
        await rig.waitHandled();
        const res = await rig.api.get('/promotions');
        expect(res.body.map((p: PromotionRow) => [p.kind, p.pushedSha])).toEqual([['fast-forward', a.sha], ['adopted', rig.start]]);
      }));

    // An earlier approval handled after a newer one (redelivery, two replicas): the newer one waits
    // for it, so its revisions, a DB change among them, ship in a downtime deploy.
    it('ships the DB revision of an approval handled after a newer one in a downtime deploy', () =>
      withRig({}, async (rig) => {
        const dbChange = rig.land('Add a column', { 'database/schema/patch-2210-01-0.sql': 'ALTER TABLE person ADD COLUMN nick text;\n' });
        const next = rig.land('Use the column');
        // qa-gate sent dbChange's approval first; promotion handles next's first.
        await rig.approve(next, { previous: dbChange });
        await rig.approve(dbChange, { db: [dbChange] });
        await rig.waitHandled();
        expect(rig.head()).toBe(next.sha);
        const moves = (await rig.promotions()).filter((p) => p.kind !== 'adopted');
        const shipping = moves.filter((p) => p.revisions.some((r) => r.sha === dbChange.sha));
        expect(shipping.map((p) => [p.toSha, p.containsDb, p.deployKind])).toEqual([[expect.any(String), true, 'downtime']]);
      }));
  });

  describe('two replicas on one database and namespace', () => {
    it('promotes ten quick approvals forward only, each sha at most once, no push lost or doubled', () =>
      withRig({ replicas: 2 }, async (rig) => {
        const commits = Array.from({ length: 10 }, (_, i) => rig.land(`Step ${i + 1}`));
        const newest = commits[commits.length - 1];
        // Both replicas also look again at what waits, all the time, to contend for the branch.
        let contending = true;
        const contention = (async () => {
          while (contending) await Promise.all([rig.service(0).retry(), rig.service(1).retry()]);
        })();
        try {
          await Promise.all(commits.map((c) => rig.approve(c)));
          await rig.waitHandled();
          await eventually(async () => {
            const s = await rig.status();
            return s.productionStable?.sha === newest.sha && s.pendingApprovals.length === 0;
          }, { what: 'production recorded at the newest approval', timeoutMs: 20_000 });
        } finally {
          contending = false;
          await contention;
        }

        const head = rig.head();
        expect(head).toBe(newest.sha);
        const history = rig.expectRemoteOnlyForward();
        // Both replicas did git work.
        expect(rig.mirrors.map((m) => existsSync(join(m, 'HEAD')))).toEqual([true, true]);

        const promotions = await rig.promotions();
        const moves = promotions.filter((p) => p.kind !== 'adopted');
        expect(moves.length).toBeGreaterThanOrEqual(1);
        expect(moves.length).toBeLessThanOrEqual(10);
        expect(new Set(moves.map((p) => p.toSha)).size).toBe(moves.length);
        for (const p of moves) {
          expect(p).toMatchObject({ kind: 'fast-forward', cause: 'qa-passed' });
          expect(rig.repo.isAncestor(p.pushedSha!, head)).toBe(true);
        }
        // One unbroken chain from where production was found to the head, and exactly the
        // pushes the remote saw: none lost, none doubled, none unrecorded.
        expect(inMoveOrder(promotions).map((p) => p.pushedSha)).toEqual(history);
        // No revision shipped twice. (That every one is shipped by some promotion does not hold
        // when approvals are handled out of order: see the failing test above.)
        const shipped = moves.flatMap((p) => p.revisions.map((r) => r.sha));
        expect(new Set(shipped).size).toBe(shipped.length);
        // Every move announced once (where Runway first found the branch is not a move).
        const events = await eventually(async () => {
          const e = await rig.promotedEvents();
          return e.length >= moves.length ? e : null;
        }, { what: 'every move announced' });
        expect(events.map((e) => e.data.promotionId).sort()).toEqual(moves.map((p) => p.id).sort());
      }));
  });

  describe('operator locks', () => {
    it('queues approvals while locked, moves nothing, and promotes the newest in one go on unlock', () =>
      withRig({}, async (rig) => {
        const lock = await rig.api.post('/locks', { reason: 'Incident 1234: database failover', author: 'Ops on call' });
        expect(lock.status).toBe(201);
        expect(lock.body).toMatchObject({ id: expect.any(String), reason: 'Incident 1234: database failover', author: 'Ops on call', until: null });

        const commits = [rig.land('One'), rig.land('Two'), rig.land('Three')];
        for (const c of commits) await rig.approve(c);
        await rig.waitHandled();
        const status = await rig.status();
        expect(status.automaticPromotion).toBe('locked');
        expect(status.locks).toEqual([expect.objectContaining({ id: lock.body.id, reason: 'Incident 1234: database failover', author: 'Ops on call' })]);
        expect(status.pendingApprovals.map((a: { sha: string; revno: number }) => [a.sha, a.revno])).toEqual(commits.map((c) => [c.sha, c.revno]));
        expect(status.waiting).toEqual({ newest: commits[2].revno, count: 3 });
        // Looked at again every second, it still waits.
        await sleep(1500);
        expect(rig.remoteHistory()).toEqual([rig.start]);
        expect((await rig.promotions()).filter((p) => p.kind !== 'adopted')).toEqual([]);

        expect((await rig.api.delete(`/locks/${lock.body.id}`)).status).toBe(204);
        expect(rig.remoteHistory()).toEqual([rig.start, commits[2].sha]); // the release itself promotes
        const moves = (await rig.promotions()).filter((p) => p.kind !== 'adopted');
        expect(moves).toEqual([expect.objectContaining({ toSha: commits[2].sha, toRevno: commits[2].revno, kind: 'fast-forward', fromSha: rig.start })]);
        expect(moves[0].revisions.map((r) => r.sha)).toEqual(commits.map((c) => c.sha));
        expect(await rig.status()).toMatchObject({ automaticPromotion: 'on', locks: [], pendingApprovals: [], waiting: null });
        expect((await rig.api.delete(`/locks/${lock.body.id}`)).status).toBe(404);
      }));

    it('lets a lock with an end time expire by itself, and the queued approval goes out', () =>
      withRig({}, async (rig) => {
        const until = new Date(Date.now() + 4000);
        const lock = await rig.api.post('/locks', { reason: 'Hold for the demo', until: until.toISOString() });
        expect(lock.status).toBe(201);
        const a = rig.land('Change');
        await rig.approve(a);
        await rig.waitHandled();
        const status = await rig.status();
        expect(status.automaticPromotion).toBe('locked');
        expect(status.locks).toEqual([expect.objectContaining({ id: lock.body.id, until: until.toISOString() })]);
        expect(status.pendingApprovals.map((x: { sha: string }) => x.sha)).toEqual([a.sha]);
        expect(rig.head()).toBe(rig.start);

        const move = await rig.waitPromotion('promoted once the lock ended', (p) => p.toSha === a.sha);
        expect(move).toMatchObject({ kind: 'fast-forward', cause: 'qa-passed', pushedSha: a.sha });
        expect(new Date(move.createdAt).getTime()).toBeGreaterThanOrEqual(until.getTime());
        expect(rig.remoteHistory()).toEqual([rig.start, a.sha]);
        expect(await rig.status()).toMatchObject({ automaticPromotion: 'on', locks: [], pendingApprovals: [] });
      }));

    it('refuses a lock that would end in the past', () =>
      withRig({}, async (rig) => {
        const res = await rig.api.post('/locks', { reason: 'Too late', until: new Date(Date.now() - 60_000).toISOString() });
        expect(res.status).toBe(400);
        expect(res.body.fields).toEqual([expect.objectContaining({ field: 'until' })]);
      }));
  });

  describe('freeze windows', () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();

    it('makes approvals wait while frozen, and still sends a security fix out at once', () =>
      withRig({ env: { PROMOTION_FREEZES: `${from}/${to}` } }, async (rig) => {
        const a = rig.land('New feature');
        await rig.approve(a);
        await rig.waitHandled();
        const status = await rig.status();
        expect(status.automaticPromotion).toBe('frozen');
        expect(status.freeze).toEqual({ spec: `${from}/${to}`, until: to });
        expect(status.pendingApprovals.map((x: { sha: string }) => x.sha)).toEqual([a.sha]);
        expect(rig.head()).toBe(rig.start);

        rig.repo.checkout('production-devel');
        const fix = rig.repo.commit('Fix XSS in the search box', { 'lib/escape.py': 'def escape(s): return s\n' });
        rig.repo.push('production-devel');
        expect((await rig.api.post('/security-fixes', { sha: fix })).status).toBe(201);
        expect(rig.head()).toBe(fix);
        const moves = (await rig.promotions()).filter((p) => p.kind !== 'adopted');
        expect(moves).toEqual([expect.objectContaining({ toSha: fix, cause: 'security-fix', kind: 'fast-forward' })]);
        // The approval still waits for the freeze to end, however often it is looked at.
        await sleep(1500);
        expect(rig.remoteHistory()).toEqual([rig.start, fix]);
        expect(await rig.status()).toMatchObject({ automaticPromotion: 'frozen', pendingApprovals: [expect.objectContaining({ sha: a.sha })] });
      }));
  });

  describe('manual promotion', () => {
    it('promotes an approved revision by sha or revno, refuses an unapproved one, and never goes backwards', () =>
      withRig({}, async (rig) => {
        // Locked, so approvals wait for a person.
        expect((await rig.api.post('/locks', { reason: 'Promote by hand today' })).status).toBe(201);
        const [a, b] = [rig.land('One'), rig.land('Two')];
        await rig.approve(a);
        await rig.approve(b);
        await rig.waitHandled();
        const c = rig.land('Three, not approved');

        const bySha = await rig.api.post('/promotions', { revision: a.sha });
        expect(bySha.status).toBe(201);
        expect(bySha.body).toEqual({ promoted: a.sha });
        expect(rig.head()).toBe(a.sha);

        const byRevno = await rig.api.post('/promotions', { revision: `r${b.revno}` });
        expect(byRevno.status).toBe(201);
        expect(byRevno.body).toEqual({ promoted: b.sha });

        const unapproved = await rig.api.post('/promotions', { revision: c.sha });
        expect(unapproved.status).toBe(422);
        expect(unapproved.body.message).toMatch(/not been approved/);

        const backwards = await rig.api.post('/promotions', { revision: a.sha });
        expect(backwards.status).toBe(409);
        expect(backwards.body.message).toMatch(/never moves backwards/);

        expect(rig.remoteHistory()).toEqual([rig.start, a.sha, b.sha]);
        const moves = inMoveOrder(await rig.promotions()).slice(1);
        expect(moves.map((p) => [p.toSha, p.toRevno, p.cause, p.forced, p.kind])).toEqual([
          [a.sha, a.revno, 'manual', false, 'fast-forward'],
          [b.sha, b.revno, 'manual', false, 'fast-forward'],
        ]);
        expect((await rig.status()).pendingApprovals).toEqual([]);
      }));

    it('forces an unapproved revision only with a reason, and records both', () =>
      withRig({}, async (rig) => {
        const c = rig.land('Emergency change');

        const noReason = await rig.api.post('/promotions', { revision: c.sha, force: true });
        expect(noReason.status).toBe(400);
        expect(noReason.body.fields).toEqual([expect.objectContaining({ field: 'reason' })]);
        expect(rig.head()).toBe(rig.start);

        const forced = await rig.api.post('/promotions', { revision: c.sha, force: true, reason: 'Outage: QA is down, CTO signed off' });
        expect(forced.status).toBe(201);
        expect(forced.body).toEqual({ promoted: c.sha });
        expect(rig.head()).toBe(c.sha);
        const moves = (await rig.promotions()).filter((p) => p.kind !== 'adopted');
        expect(moves).toEqual([expect.objectContaining({ toSha: c.sha, cause: 'manual', forced: true, reason: 'Outage: QA is down, CTO signed off', kind: 'fast-forward' })]);
        // An empty list is truthy: wait until the event is there, not until the first look.
        const events = await eventually(async () => {
          const found = (await rig.promotedEvents()).filter((e) => e.data.toSha === c.sha);
          return found.length ? found : false;
        }, { what: 'forced promotion announced' });
        expect(events).toEqual([expect.objectContaining({ data: expect.objectContaining({ promotionId: moves[0].id, cause: 'manual' }) })]);

        // Forced or not, never backwards.
        const back = await rig.api.post('/promotions', { revision: rig.start, force: true, reason: 'Roll back by promotion' });
        expect(back.status).toBe(409);
        expect(rig.remoteHistory()).toEqual([rig.start, c.sha]);
      }));
  });

  describe('production-stable moved outside Runway', () => {
    it('adopts a forward move and announces it, then promotes on top of it', () =>
      withRig({}, async (rig) => {
        const a = rig.land('One');
        await rig.approve(a);
        await rig.waitHandled();

        rig.repo.checkout(PRODUCTION);
        const byHand = rig.repo.commit('Hot patch pushed by hand', { 'lib/hotpatch.py': 'PATCHED = True\n' });
        rig.repo.push(PRODUCTION);

        const b = rig.land('Two');
        await rig.approve(b);
        await rig.waitHandled();
        const head = rig.head();
        expect(rig.repo.parents(head)).toEqual([byHand, b.sha]);
        expect(rig.expectRemoteOnlyForward()).toEqual([rig.start, a.sha, byHand, head]);

        const moves = inMoveOrder(await rig.promotions());
        expect(moves.map((p) => [p.kind, p.toSha, p.pushedSha])).toEqual([
          ['adopted', rig.start, rig.start],
          ['fast-forward', a.sha, a.sha],
          ['adopted', byHand, byHand],
          ['merge', b.sha, head],
        ]);
        expect(moves[2]).toMatchObject({ fromSha: a.sha, requestedBy: 'git' });
        expect(moves[2].revisions.map((r) => r.sha)).toEqual([byHand]);
        const events = await eventually(async () => {
          const e = await rig.promotedEvents();
          return e.some((x) => x.data.toSha === head) ? e : null;
        }, { what: 'the merge announced' });
        expect(events.filter((e) => e.data.promotionId === moves[2].id)).toEqual([
          expect.objectContaining({ data: expect.objectContaining({ fromSha: a.sha, toSha: byHand }) }),
        ]);
        expect((await rig.status()).lastHold).toBeNull();
      }));

    it('holds with remote-moved when production-stable is forced backwards, and pushes nothing until it is set right', () =>
      withRig({}, async (rig) => {
        const [a, b] = [rig.land('One'), rig.land('Two')];
        await rig.approve(a);
        await rig.waitHandled();
        await rig.approve(b);
        await rig.waitHandled();
        expect(rig.head()).toBe(b.sha);

        rig.repo.git('push', '--quiet', '--force', 'origin', `${a.sha}:refs/heads/${PRODUCTION}`);
        const c = rig.land('Three');
        await rig.approve(c);
        await rig.waitHandled();
        const status = await rig.status();
        expect(status.lastHold).toMatchObject({ code: 'remote-moved', sha: a.sha });
        expect(status.pendingApprovals.map((x: { sha: string }) => x.sha)).toEqual([c.sha]);
        // Looked at again every second, it stays held and pushes nothing.
        await sleep(2000);
        expect(rig.remoteHistory()).toEqual([rig.start, a.sha, b.sha, a.sha]);
        const promotions = await rig.promotions();
        expect(promotions.filter((p) => p.toSha === c.sha || (p.kind === 'adopted' && p.pushedSha === a.sha))).toEqual([]);
        expect(inMoveOrder(promotions).map((p) => p.pushedSha)).toEqual([rig.start, a.sha, b.sha]);
        // Announced once, however often it was looked at again.
        const held = await eventually(async () => {
          const e = await rig.events<PromotionHeldV1>(Events.PromotionHeld.type);
          return e.length ? e : null;
        }, { what: 'promotion-held published' });
        expect(held.map((e) => [e.data.code, e.data.sha])).toEqual([['remote-moved', a.sha]]);
        // Nor can an operator promote past the hold by hand.
        expect((await rig.api.post('/promotions', { revision: c.sha })).status).toBe(409);
        expect(rig.head()).toBe(a.sha);

        // Set right (production-stable back where Runway left it), promotion carries on by itself.
        rig.repo.git('push', '--quiet', '--force', 'origin', `${b.sha}:refs/heads/${PRODUCTION}`);
        const move = await rig.waitPromotion('c promoted once set right', (p) => p.toSha === c.sha);
        expect(move).toMatchObject({ kind: 'fast-forward', fromSha: b.sha, pushedSha: c.sha });
        expect(rig.head()).toBe(c.sha);
      }));
  });

  describe('roles', () => {
    it('lets only operators lock, and names a missing reason', () =>
      withRig({}, async (rig) => {
        const issue = async (roles: string[]) => {
          const res = await rig.api.post('/tokens', { name: `${roles.join('+')} user`, roles });
          expect(res.status).toBe(201);
          return apiClient(rig.services[0].url, res.body.token as string);
        };
        const viewer = await issue(['viewer']);
        const operator = await issue(['operator']);
        const anonymous = apiClient(rig.services[0].url);

        expect((await viewer.post('/locks', { reason: 'I am only a viewer' })).status).toBe(403);
        expect((await anonymous.post('/locks', { reason: 'Who am I' })).status).toBe(401);
        const noReason = await rig.api.post('/locks', { author: 'Ops' });
        expect(noReason.status).toBe(400);
        expect(noReason.body.fields).toEqual([expect.objectContaining({ field: 'reason' })]);
        expect((await rig.status()).locks).toEqual([]);

        // A viewer reads but does not write; an operator locks and unlocks.
        expect((await viewer.get('/status')).status).toBe(200);
        expect((await viewer.post('/promotions', { revision: 'r2' })).status).toBe(403);
        const locked = await operator.post('/locks', { reason: 'Operator lock' });
        expect(locked.status).toBe(201);
        expect(locked.body.author).toBe('operator user');
        expect((await viewer.delete(`/locks/${locked.body.id}`)).status).toBe(403);
        expect((await anonymous.delete(`/locks/${locked.body.id}`)).status).toBe(401);
        expect((await operator.delete(`/locks/${locked.body.id}`)).status).toBe(204);
      }));
  });
});
