/**
 * The model's rules, pinned: markers, Launchpad's deployable rule (its own example), withdrawals,
 * production running a bad revision, and the git questions (DB revisions, merge-backs by ancestry
 * and by patch id) on a real repository.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gitEnv, gitRunner } from './generator';
import {
  changedAgainstFirstParent, firstContaining, firstParentChain, type GitRead, isAncestor, isSchemaPatch, mergeBacks, newestAncestorIn, QaModel, type QaStatus, readMarkers,
  rememberingAncestry, revnoOf,
} from './model';

const sha = (n: number) => n.toString(16).padStart(8, '0') + 'a'.repeat(32);

/** A model with revisions 1..n, all `ok` unless listed, production at `promoted`. */
function modelWith(n: number, promoted: number, statuses: Record<number, QaStatus | [QaStatus, number]> = {}): QaModel {
  const m = new QaModel();
  m.record(Array.from({ length: n }, (_, i) => ({ sha: sha(i + 1), message: `Change ${i + 1}`, db: false })));
  for (let r = 1; r <= n; r++) {
    const s = statuses[r] ?? 'ok';
    if (Array.isArray(s)) m.mark(r, s[0], s[1]);
    else m.mark(r, s);
  }
  m.approvals.clear();
  m.promoted(promoted);
  return m;
}

describe('readMarkers', () => {
  it.each([
    ['Tidy imports [no-qa]', { noQa: true }],
    ['Fix it [rollback=42]', { noQa: false, rollbackOf: { revno: 42 } }],
    ['Fix it [ Rollback = r42 ] [NO-QA]', { noQa: true, rollbackOf: { revno: 42 } }],
    ['Fix it [rollback=abcdef1]', { noQa: false, rollbackOf: { sha: 'abcdef1' } }],
    ['Revert "Change 3 [rollback=2]"\n\nThis reverts commit 0123456789.', { noQa: false, rollbackOf: { revno: 2 } }],
    ['No markers, [noqa] is not one', { noQa: false }],
  ])('%j', (message, expected) => {
    expect(readMarkers(message)).toEqual(expected);
  });
});

describe('isSchemaPatch', () => {
  it.each([
    ['database/schema/patch-2209-00-0.sql', true],
    ['database/schema/patch-x.sql', true],
    ['database/schema/sub/patch-2209-00-0.sql', false],
    ['database/schema/patch-2209-00-0.sql.orig', false],
    ['lib/database/schema/patch-1.sql', false],
    ['database/schema/comments.sql', false],
  ])('%s → %s', (path, expected) => {
    expect(isSchemaPatch(path)).toBe(expected);
  });
});

describe("Launchpad's deployable rule", () => {
  it("gives Launchpad's own example: r42, then r46 once r45 passes", () => {
    const m = modelWith(46, 40, { 43: ['bad', 46], 45: 'needs-testing' });
    expect(m.deployable()).toBe(42);
    const moved = m.mark(45, 'ok');
    expect(moved).toEqual({ before: 42, after: 46, withdrawal: null });
    expect(m.problemsShipping(40, 46)).toEqual([]);
  });

  it('starts above the last promoted revision: a bad revision production already runs does not block', () => {
    const m = modelWith(10, 5, { 3: 'bad' });
    expect(m.deployable()).toBe(10);
    expect(m.productionRunsBad().map((r) => r.revno)).toEqual([3]);
  });

  it('stays at the last promoted revision when nothing above passes', () => {
    expect(modelWith(6, 4, { 5: 'needs-testing' }).deployable()).toBe(4);
    expect(modelWith(6, 4, { 5: 'bad' }).deployable()).toBe(4);
  });

  it('ships a bad revision only with its fix, and not past a fix that needs testing', () => {
    const m = modelWith(8, 1, { 3: ['bad', 6], 6: 'needs-testing' });
    expect(m.deployable()).toBe(2);
    m.mark(6, 'ok');
    expect(m.deployable()).toBe(8);
    expect(m.problemsShipping(1, 5)).toEqual([expect.stringMatching(/^r3 .* is bad, fixed only by r6$/)]);
  });

  it('lets a fix that is itself bad and fixed carry both', () => {
    const m = modelWith(6, 1, { 2: ['bad', 4], 4: ['bad', 5] });
    expect(m.deployable()).toBe(6);
    expect(m.problemsShipping(1, 4)).toEqual([expect.stringMatching(/^r4 /)]);
  });
});

describe('markers in the model', () => {
  it('[no-qa] passes; [rollback=N] links only a revision with no fix yet; an operator link always sets it', () => {
    const m = new QaModel();
    m.record([
      { sha: sha(1), message: 'Initial', db: false },
      { sha: sha(2), message: 'Change 2', db: false },
      { sha: sha(3), message: 'Tidy [no-qa]', db: false },
      { sha: sha(4), message: 'Fix 2 [rollback=2]', db: false },
      { sha: sha(5), message: 'Fix 2 again [rollback=r2]', db: false },
      { sha: sha(6), message: 'Fix a future one [rollback=9]', db: false },
      { sha: sha(7), message: `Fix 3 by sha [rollback=${sha(3).slice(0, 8)}]`, db: false },
    ]);
    expect(m.revisions.map((r) => [r.revno, r.status, r.fixedBy])).toEqual([
      [1, 'needs-testing', null], [2, 'needs-testing', 4], [3, 'no-qa', 7], [4, 'needs-testing', null], [5, 'needs-testing', null],
      [6, 'needs-testing', null], [7, 'needs-testing', null],
    ]);
    m.linkFix(2, 5);
    expect(m.get(2).fixedBy).toBe(5);
    m.mark(2, 'bad');
    expect(m.get(2).fixedBy).toBe(5);
    m.mark(2, 'bad', 6);
    expect(m.get(2).fixedBy).toBe(6);
  });

  it('refuses a fix that is not a later landed revision', () => {
    const m = modelWith(4, 1);
    expect(() => m.mark(3, 'bad', 3)).toThrow();
    expect(() => m.mark(3, 'bad', 5)).toThrow();
    expect(() => m.mark(3, 'ok', 4)).toThrow();
  });
});

describe('withdrawals', () => {
  it('a late bad mark at or below the deployable revision moves it back and withdraws', () => {
    const m = modelWith(8, 2);
    expect(m.deployable()).toBe(8);
    const late = m.mark(5, 'bad');
    expect(late.withdrawal).toEqual({ from: 8, to: 4, because: 'r5 marked bad', approvals: [] }); // nothing was approved by a mark
  });

  it('a mark back to needs-testing withdraws too; a bad mark with a fix at or below does not', () => {
    const m = modelWith(8, 2);
    expect(m.mark(6, 'bad', 7).withdrawal).toBeNull();
    expect(m.mark(7, 'needs-testing').withdrawal).toMatchObject({ from: 8, to: 5 });
  });

  it('withdraws exactly the approvals above the new deployable revision; promotion settles the rest', () => {
    const m = modelWith(10, 2, { 4: 'needs-testing', 7: 'needs-testing', 9: 'needs-testing' });
    expect(m.noteDeployable()).toBe(3);
    m.mark(4, 'ok'); // → 6
    m.mark(7, 'ok'); // → 8
    expect([...m.approvals.keys()]).toEqual([3, 6, 8]);
    const back = m.mark(5, 'bad').withdrawal!; // → 4
    expect(back).toMatchObject({ from: 8, to: 4, approvals: [{ revno: 6, sha: sha(6) }, { revno: 8, sha: sha(8) }] });
    expect([...m.approvals.keys()]).toEqual([3, 4]); // where it fell back to is approved now
    expect(m.mark(4, 'needs-testing').withdrawal).toMatchObject({ from: 4, to: 3, approvals: [{ revno: 4, sha: sha(4) }] });
    m.mark(4, 'ok');
    m.mark(5, 'ok'); // → 8 again: approved again
    expect([...m.approvals.keys()]).toEqual([3, 4, 8]);
    m.promoted(8);
    expect(m.approvals.size).toBe(0);
    expect(m.lastPromoted).toBe(8);
  });

  // Seed 20261405: r4 approved, withdrawn (r4 needs testing), passed again inside r6's approval,
  // then r5 marked bad put the deployable revision back on r4. r4 is approved again, and
  // promotion rightly ships it: it must not be counted among the withdrawn approvals.
  it('an approval withdrawn, then made deployable again by a later withdrawal, is approved again', () => {
    const m = modelWith(6, 1, { 4: 'needs-testing', 5: 'needs-testing', 6: 'needs-testing' });
    m.mark(4, 'ok'); // → 4
    m.mark(5, 'ok'); // → 5
    m.mark(6, 'ok'); // → 6
    expect(m.mark(4, 'needs-testing').withdrawal).toMatchObject({ from: 6, to: 3, approvals: [{ revno: 4 }, { revno: 5 }, { revno: 6 }] });
    m.mark(4, 'ok'); // → 6 again
    expect(m.mark(5, 'bad').withdrawal).toMatchObject({ from: 6, to: 4, approvals: [{ revno: 6 }] });
    expect(m.approvals.get(4)).toBe(sha(4));
    expect(m.deployable()).toBe(4);
  });

  it('a bad mark at or below production withdraws nothing but production runs it', () => {
    const m = modelWith(8, 6);
    expect(m.mark(4, 'bad').withdrawal).toBeNull();
    expect(m.productionRunsBad().map((r) => r.revno)).toEqual([4]);
  });
});

describe('production runs a bad revision', () => {
  it('until a good fix at or below production', () => {
    const m = modelWith(10, 6, { 3: 'bad' });
    expect(m.productionRunsBad().map((r) => r.revno)).toEqual([3]);
    m.linkFix(3, 8);
    expect(m.productionRunsBad().map((r) => r.revno)).toEqual([3]); // the fix is not in production
    m.linkFix(3, 5);
    expect(m.productionRunsBad()).toEqual([]);
    m.mark(5, 'needs-testing');
    expect(m.productionRunsBad().map((r) => r.revno)).toEqual([3]); // its fix is not known good
    m.mark(5, 'ok');
    m.lastPromoted = 4;
    expect(m.productionRunsBad().map((r) => r.revno)).toEqual([3]);
  });
});

describe('git questions on a real repository', () => {
  let dir: string;
  let git: (args: string[], input?: string) => Promise<string>;
  let tick = 0;
  const commit = async (message: string) => {
    await git(['add', '-A']);
    tick++;
    await git(['commit', '-q', '-m', message]);
    return (await git(['rev-parse', 'HEAD'])).trim();
  };
  const write = (file: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), `${file}\n`);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runway-model-spec-'));
    git = gitRunner(['-C', dir], () => gitEnv({ GIT_AUTHOR_DATE: `@${1_700_000_000 + tick * 60} +0000`, GIT_COMMITTER_DATE: `@${1_700_000_000 + tick * 60} +0000` }));
    await git(['init', '-q', '-b', 'stable']);
    await git(['config', 'user.name', 'T']);
    await git(['config', 'user.email', 't@example.com']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('revnos, DB revisions of merges, ancestry and merge-backs by ancestry and by patch id', async () => {
    write('README');
    const r1 = await commit('Initial');
    await git(['branch', 'production-stable']);
    write('lib/a.py');
    const r2 = await commit('Change a');
    // A feature branch from r1 with a schema patch deep inside, merged --no-ff.
    await git(['checkout', '-q', '-b', 'feature', r1]);
    write('database/schema/patch-2209-00-0.sql');
    const f1 = await commit('feature: patch');
    write('lib/f.py');
    await commit('feature: code');
    await git(['checkout', '-q', 'stable']);
    tick++;
    await git(['merge', '-q', '--no-ff', '-m', 'Merge feature', 'feature']);
    const r3 = (await git(['rev-parse', 'HEAD'])).trim();
    // Two security fixes on production: one comes back by cherry-pick, one by merge.
    await git(['checkout', '-q', '-b', 'production-devel', 'production-stable']);
    write('sec/one.py');
    const fixA = await commit('Security fix one');
    write('sec/two.py');
    const fixB = await commit('Security fix two');
    await git(['checkout', '-q', 'stable']);
    write('lib/b.py');
    const r4 = await commit('Change b');
    tick++;
    await git(['cherry-pick', fixA]);
    const r5 = (await git(['rev-parse', 'HEAD'])).trim();
    write('lib/c.py');
    const r6 = await commit('Change c');
    tick++;
    await git(['merge', '-q', '--no-ff', '-m', 'Merge production-devel', 'production-devel']);
    const r7 = (await git(['rev-parse', 'HEAD'])).trim();
    write('sec/three.py');
    await git(['checkout', '-q', '-b', 'side', r2]);
    const fixC = await commit('Security fix three, never merged back');
    await git(['checkout', '-q', 'stable']);

    const chain = await firstParentChain(git, 'stable');
    expect(chain).toEqual([r1, r2, r3, r4, r5, r6, r7]);
    expect(await revnoOf(git, r5)).toBe(5);
    expect(await changedAgainstFirstParent(git, r3)).toEqual(['database/schema/patch-2209-00-0.sql', 'lib/f.py']);
    expect((await changedAgainstFirstParent(git, r3)).some(isSchemaPatch)).toBe(true);
    expect(await changedAgainstFirstParent(git, r1)).toEqual(['README']);
    expect(await changedAgainstFirstParent(git, r7)).toEqual(['sec/two.py']);

    expect(await firstContaining(git, chain, f1)).toBe(2);
    expect(await firstContaining(git, chain, fixC)).toBe(-1);
    expect(await newestAncestorIn(git, chain, 'production-stable')).toBe(0);
    expect(await newestAncestorIn(git, chain, r5)).toBe(4);

    const mb = await mergeBacks(git, chain, [fixA, fixB, fixC]);
    expect(mb.get(fixA)).toEqual({ index: 4, sha: r5, how: 'patch-id' });
    expect(mb.get(fixB)).toEqual({ index: 6, sha: r7, how: 'ancestry' });
    expect(mb.get(fixC)).toBeNull();
  });
});

describe('rememberingAncestry', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);
  it('asks git once whether one commit is an ancestor of another, by full sha, answer yes or no', async () => {
    const asked: string[][] = [];
    const git: GitRead = async (args) => {
      asked.push(args);
      if (args[2] === b) throw new Error('exit 1');
      return '';
    };
    const remembering = rememberingAncestry(git);
    expect([await isAncestor(remembering, a, b), await isAncestor(remembering, a, b)]).toEqual([true, true]);
    expect([await isAncestor(remembering, b, a), await isAncestor(remembering, b, a)]).toEqual([false, false]);
    expect(asked).toHaveLength(2);
  });
  it('always asks about a branch name or a short sha, and anything else, since those can move', async () => {
    const asked: string[][] = [];
    const remembering = rememberingAncestry(async (args) => {
      asked.push(args);
      return 'x';
    });
    for (let i = 0; i < 2; i++) {
      await isAncestor(remembering, a, 'production-stable');
      await isAncestor(remembering, a.slice(0, 10), b);
      await remembering(['rev-parse', 'refs/heads/stable']);
    }
    expect(asked).toHaveLength(6);
  });
});
