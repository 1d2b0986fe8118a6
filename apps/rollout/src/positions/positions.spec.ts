import { contains, covers, sameSha } from './positions';

describe('containment by ancestry, from where revisions stand', () => {
  it('contains a first-parent commit at or below its revno, and a commit a merge brought from the merge on', () => {
    const r10 = { stableRevno: 10, fixes: [] };
    expect(contains(r10, { sha: 'aaaaaaa1', firstStableRevno: 10 })).toBe(true);
    expect(contains(r10, { sha: 'aaaaaaa2', firstStableRevno: 11 })).toBe(false);
    // A fix made on a branch that merged at r8 is in r10, though r10's first-parent line does not name it.
    expect(contains(r10, { sha: 'bbbbbbb1', firstStableRevno: 8 })).toBe(true);
  });

  it('contains a security fix production carries, and nothing it does not know', () => {
    const production = { stableRevno: 10, fixes: ['f00dfeed'] };
    expect(contains(production, { sha: 'f00dfeed12', firstStableRevno: null })).toBe(true);
    expect(contains({ stableRevno: 12, fixes: [] }, { sha: 'f00dfeed12', firstStableRevno: null })).toBe(false);
    expect(contains(production, null)).toBe(false);
    expect(contains(null, { sha: 'aaaaaaa1', firstStableRevno: 1 })).toBe(false);
  });

  it('a manual rollback to an older revision does not contain a fix that landed after it', () => {
    expect(contains({ stableRevno: 5, fixes: [] }, { sha: 'f1f1f1f', firstStableRevno: 7 })).toBe(false);
  });

  it('covers what a server should run when it runs it, or something further on with the same fixes', () => {
    const wanted = { sha: 'c0ffee00', content: { stableRevno: 10, fixes: ['f00dfeed'] } };
    expect(covers({ sha: 'c0ffee0011', content: null }, wanted)).toBe(true);
    expect(covers({ sha: 'ddddddd', content: { stableRevno: 12, fixes: ['f00dfeed'] } }, wanted)).toBe(true);
    expect(covers({ sha: 'ddddddd', content: { stableRevno: 12, fixes: [] } }, wanted)).toBe(false);
    expect(covers({ sha: 'eeeeeee', content: { stableRevno: 9, fixes: ['f00dfeed'] } }, wanted)).toBe(false);
    expect(covers({ sha: null, content: null }, wanted)).toBe(false);
  });

  it('matches abbreviated shas of seven digits or more only', () => {
    expect(sameSha('abcdef1', 'abcdef1234')).toBe(true);
    expect(sameSha('abc', 'abcdef1234')).toBe(false);
  });
});
