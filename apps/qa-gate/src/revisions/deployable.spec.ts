import type { QaStatus } from '@runway/contracts';
import fc from 'fast-check';
import { badInProduction, computeDeployable, DeployableWalk, nextAction, readCommitMarkers, type RevisionQa } from './deployable';

function revs(spec: [number, QaStatus, number?][]): RevisionQa[] {
  return spec.map(([revno, status, fixedByRevno]) => ({ revno, sha: `${revno}`.padStart(7, '0'), status, fixedByRevno, db: false }));
}

describe('the deployable revision (Launchpad rule)', () => {
  it("gives r42 for Launchpad's example, and r46 once r45 is ok", () => {
    const before = revs([[41, 'ok'], [42, 'ok'], [43, 'bad', 46], [44, 'ok'], [45, 'needs-testing'], [46, 'ok']]);
    const r1 = computeDeployable(before);
    expect(r1.deployable?.revno).toBe(42);
    expect(r1.range.map((r) => r.revno)).toEqual([41, 42]);
    expect(r1.blocker).toMatchObject({ revno: 45, actor: 'qa' });

    const after = revs([[41, 'ok'], [42, 'ok'], [43, 'bad', 46], [44, 'ok'], [45, 'ok'], [46, 'ok']]);
    const r2 = computeDeployable(after);
    expect(r2.deployable?.revno).toBe(46);
    expect(r2.range.map((r) => r.revno)).toEqual([41, 42, 43, 44, 45, 46]);
    expect(r2.blocker).toBeNull();
  });

  it('treats untestable and no-qa as passing', () => {
    expect(computeDeployable(revs([[1, 'untestable'], [2, 'no-qa'], [3, 'ok']])).deployable?.revno).toBe(3);
  });

  it('stops at a bad revision without a fix, naming the developer as the one to act', () => {
    const r = computeDeployable(revs([[1, 'ok'], [2, 'bad'], [3, 'ok']]));
    expect(r.deployable?.revno).toBe(1);
    expect(r.blocker).toMatchObject({ revno: 2, actor: 'developer' });
  });

  it('does not ship a bad revision whose fix has not passed QA', () => {
    const r = computeDeployable(revs([[1, 'bad', 3], [2, 'ok'], [3, 'needs-testing']]));
    expect(r.deployable).toBeNull();
    expect(r.blocker).toMatchObject({ revno: 3, actor: 'qa' });
  });

  it('waits for a fix that has not landed, and says so', () => {
    const r = computeDeployable(revs([[1, 'ok'], [2, 'bad', 9], [3, 'ok']]));
    expect(r.deployable?.revno).toBe(1);
    expect(r.blocker).toMatchObject({ revno: 2, actor: 'developer' });
    expect(r.blocker?.reason).toMatch(/r9 has not landed/);
  });

  it('handles nested bad revisions: every fix must be at or below r', () => {
    const r = computeDeployable(revs([[1, 'bad', 4], [2, 'bad', 6], [3, 'ok'], [4, 'ok'], [5, 'ok'], [6, 'ok'], [7, 'needs-testing']]));
    expect(r.deployable?.revno).toBe(6);
  });

  it('has nothing deployable on an empty range', () => {
    expect(computeDeployable([])).toEqual({ deployable: null, range: [], blocker: null });
  });

  it('stops at a revision not yet read from git, whatever its status', () => {
    const list = revs([[1, 'ok'], [2, 'ok'], [3, 'ok']]);
    list[1].enriched = false;
    const r = computeDeployable(list);
    expect(r.deployable?.revno).toBe(1);
    expect(r.blocker).toMatchObject({ revno: 2, kind: 'not-enriched', actor: 'runway' });
  });

  it('names a fix that needs testing as such', () => {
    const r = computeDeployable(revs([[1, 'bad', 3], [2, 'ok'], [3, 'needs-testing']]));
    expect(r.blocker).toMatchObject({ revno: 3, kind: 'needs-testing-fix', fixes: 1, actor: 'qa' });
  });
});

describe('the incremental walk', () => {
  it('gives the same answer fed in chunks as in one go', () => {
    fc.assert(
      fc.property(history(), fc.integer({ min: 1, max: 7 }), (list, chunk) => {
        const walk = new DeployableWalk();
        for (let i = 0; i < list.length && walk.feed(list.slice(i, i + chunk)); i += chunk);
        expect(summary(walk.finish())).toEqual(summary(computeDeployable(list)));
      }),
    );
  });

  it('stops reading once a fix lies beyond everything landed', () => {
    const walk = new DeployableWalk(3);
    expect(walk.feed(revs([[1, 'ok'], [2, 'bad', 9]]))).toBe(false);
    expect(walk.finish().blocker).toMatchObject({ revno: 2, kind: 'fix-not-landed' });
  });
});

/** The rule read literally: r is deployable if every revision up to r passes, or is bad and fixed at or below r. */
function reference(list: RevisionQa[]): number | null {
  let best: number | null = null;
  for (let i = 0; i < list.length; i++) {
    const r = list[i].revno;
    const ok = list.slice(0, i + 1).every(
      (x) => x.enriched !== false && (['ok', 'untestable', 'no-qa'].includes(x.status) || (x.status === 'bad' && x.fixedByRevno != null && x.fixedByRevno <= r && list.some((y) => y.revno === x.fixedByRevno))),
    );
    if (ok) best = r;
  }
  return best;
}

function history() {
  const status = fc.constantFrom<QaStatus>('ok', 'ok', 'ok', 'bad', 'needs-testing', 'untestable', 'no-qa');
  return fc
    .array(fc.record({ status, fixAhead: fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined }), enriched: fc.boolean() }), { maxLength: 40 })
    .map((spec) =>
      spec.map((s, i) => ({
        revno: i + 1,
        sha: String(i + 1).padStart(7, '0'),
        status: s.status,
        fixedByRevno: s.status === 'bad' && s.fixAhead !== undefined ? i + 1 + s.fixAhead : null,
        db: false,
        enriched: s.enriched || i % 3 !== 0,
      })),
    );
}

function summary(r: ReturnType<typeof computeDeployable>) {
  return { deployable: r.deployable?.revno ?? null, range: r.range.map((x) => x.revno), blocker: r.blocker?.revno ?? null };
}

describe('the rule against its literal reading (fast-check)', () => {
  it('agrees on every random history', () => {
    fc.assert(
      fc.property(history(), (list) => {
        expect(computeDeployable(list).deployable?.revno ?? null).toBe(reference(list));
      }),
      { numRuns: 5000 },
    );
  });

  it('never ships a bad revision without its fix, nor anything past a blocker', () => {
    fc.assert(
      fc.property(history(), (list) => {
        const { range, blocker, deployable } = computeDeployable(list);
        for (const r of range) if (r.status === 'bad') expect(r.fixedByRevno! <= deployable!.revno).toBe(true);
        if (blocker && deployable) expect(deployable.revno).toBeLessThan(blocker.revno + (blocker.kind === 'fix-not-landed' ? 1000 : 0));
      }),
    );
  });
});

describe('the next action', () => {
  it("in Launchpad's example, tells QA that marking r45 ok releases r46", () => {
    const list = revs([[41, 'ok'], [42, 'ok'], [43, 'bad', 46], [44, 'ok'], [45, 'needs-testing'], [46, 'ok']]);
    const action = nextAction(list, computeDeployable(list));
    expect(action).toMatchObject({ actor: 'qa', revno: 45, wouldMakeDeployable: 46, wouldRelease: 4 });
    expect(action!.description).toMatch(/test r45.*r46 becomes deployable \(4 more revisions\)/);
  });

  it('tells the developer to land a fix for a bad revision', () => {
    const list = revs([[1, 'ok'], [2, 'bad'], [3, 'ok']]);
    const action = nextAction(list, computeDeployable(list));
    expect(action).toMatchObject({ actor: 'developer', revno: 2 });
    expect(action!.description).toMatch(/\[rollback=2\]/);
  });

  it('has nothing to suggest when nothing blocks', () => {
    const list = revs([[1, 'ok']]);
    expect(nextAction(list, computeDeployable(list))).toBeNull();
  });
});

describe('commit markers', () => {
  it('reads [no-qa] and [rollback=...] in any case and spacing', () => {
    expect(readCommitMarkers('Fix typo [no-qa]')).toEqual({ noQa: true });
    expect(readCommitMarkers('Fix typo [NO-QA ]')).toEqual({ noQa: true });
    expect(readCommitMarkers('Revert the frobnicator [rollback=43]')).toEqual({ noQa: false, rollbackOf: { revno: 43 } });
    expect(readCommitMarkers('[rollback=r12345] and [no-qa]')).toEqual({ noQa: true, rollbackOf: { revno: 12345 } });
    expect(readCommitMarkers('[rollback=deadbeef01]')).toEqual({ noQa: false, rollbackOf: { sha: 'deadbeef01' } });
    expect(readCommitMarkers('mentions no-qa without brackets')).toEqual({ noQa: false });
    expect(readCommitMarkers(undefined)).toEqual({ noQa: false });
  });
});

describe('what production runs that QA found bad', () => {
  const bad = (revno: number, fixedByRevno: number | null = null, fixStatus: QaStatus | null = null) => ({ revno, sha: `sha${revno}`, fixedByRevno, fixStatus });

  it('names each bad revision at or below production whose fix is not passing in production, and who must act', () => {
    const found = badInProduction([bad(3), bad(5, 9, 'needs-testing'), bad(6, 12, 'ok'), bad(7, 8, 'bad')], 10);
    expect(found.map((b) => [b.revno, b.actor])).toEqual([[3, 'developer'], [5, 'qa'], [6, 'operator'], [7, 'qa']]);
    expect(found[0].reason).toBe('production runs r3, which is bad: land a fix with [rollback=3] in its message, or roll production back');
    expect(found[2]).toMatchObject({ fixedByRevno: 12, reason: 'production runs r6, which is bad; its fix r12 passes QA and is not in production yet' });
  });

  it('is clean once a passing fix runs in production, and ignores what production does not run', () => {
    expect(badInProduction([bad(3, 9, 'ok'), bad(4, 10, 'untestable'), bad(11)], 10)).toEqual([]);
  });

  it('counts a bad fix that is fixed in production in turn, as the deployable rule that shipped it does', () => {
    expect(badInProduction([bad(6, 7, 'bad'), bad(7, 8, 'ok')], 12)).toEqual([]);
    // Its own fix not in production yet: both are still bad there.
    expect(badInProduction([bad(6, 7, 'bad'), bad(7, 13, 'ok')], 12).map((b) => b.revno)).toEqual([6, 7]);
  });
});
