import type { FlagDoc, Rule } from '@runway/sdk';
import { changedFlags, docDiff, ruleDiff } from './rule-diff';

const r = (flag: string, scope: string, priority: number, value: string): Rule => ({ flag, scope, priority, value });

describe('the changelog view of an edit', () => {
  it('diffs the canonical rule text, whatever order the rules came in', () => {
    const before = [r('a', 'default', 0, 'x'), r('b', 'team:qa', 5, 'on')];
    const after = [r('b', 'team:qa', 5, 'off'), r('a', 'default', 0, 'x')];
    const diff = ruleDiff(before, after, 3, 4);
    expect(diff).toContain('--- rules\tversion 3');
    expect(diff).toContain('+++ rules\tversion 4');
    expect(diff).toContain('-b team:qa 5 on');
    expect(diff).toContain('+b team:qa 5 off');
    expect(diff).not.toContain('-a default 0 x');
    expect(changedFlags(before, after)).toEqual(['b']);
    expect(changedFlags(before, [...before].reverse())).toEqual([]);
  });

  it('diffs a flag doc line by line, a first doc against nothing', () => {
    const doc: FlagDoc = { name: 'new-ui', title: 'New UI', description: 'The new pages', domain: 'boolean', default: 'off' };
    const first = docDiff(undefined, doc, 1, 2);
    expect(first).toContain('+title: New UI');
    expect(first).toContain('+default: off');
    const changed = docDiff(doc, { ...doc, default: null }, 2, 3);
    expect(changed).toContain('-default: off');
    expect(changed).toContain('+default: (none)');
    expect(changed).not.toContain('-title: New UI');
  });
});
