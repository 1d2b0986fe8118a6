import type { QaStatus } from '@runway/contracts';
import { computeDeployable, readCommitMarkers, type RevisionQa } from './deployable';

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

  it('matches a brute-force reading of the rule on random histories', () => {
    const statuses: QaStatus[] = ['ok', 'ok', 'ok', 'bad', 'needs-testing', 'untestable', 'no-qa'];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 2000; trial++) {
      const n = 1 + rand(12);
      const list: RevisionQa[] = [];
      for (let i = 1; i <= n; i++) {
        const status = statuses[rand(statuses.length)];
        const fix = status === 'bad' && rand(3) > 0 ? i + 1 + rand(n) : undefined;
        list.push({ revno: i, sha: String(i).padStart(7, '0'), status, fixedByRevno: fix, db: false });
      }
      // Brute force: r is deployable if every revision up to r passes, or is bad and fixed at or below r.
      let expected: number | null = null;
      for (let r = 1; r <= n; r++) {
        const ok = list.slice(0, r).every((x) =>
          ['ok', 'untestable', 'no-qa'].includes(x.status) || (x.status === 'bad' && x.fixedByRevno != null && x.fixedByRevno <= r),
        );
        if (ok) expected = r;
      }
      expect(computeDeployable(list).deployable?.revno ?? null).toBe(expected);
    }
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
