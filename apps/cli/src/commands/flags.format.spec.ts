import type { Changelog } from '@runway/contracts';
import { changelogSummary, changeSummary, evaluationContext, explanationSummary, lineErrors, rulesTable } from './flags.format';

describe('flags formatting', () => {
  it('lists rules with the version', () => {
    expect(rulesTable({ version: 7, text: '', rules: [{ flag: 'search.fast', scope: 'team:qa', priority: 10, value: 'true' }] }).split('\n')).toEqual([
      expect.stringMatching(/^FLAG\s+SCOPE\s+PRIORITY\s+VALUE$/), expect.stringMatching(/^search\.fast\s+team:qa\s+10\s+true$/), '(version 7)',
    ]);
  });

  it('shows each rejected line under its error', () => {
    expect(lineErrors([{ line: 2, message: 'unknown scope bogus:x' }, { line: 9, message: 'past the end' }], 'a default 0 on\na bogus:x 1 on\n')).toBe(
      'line 2: unknown scope bogus:x\n    a bogus:x 1 on\nline 9: past the end',
    );
  });

  it('summarises a change with its diff', () => {
    expect(changeSummary({ version: 8, changed: true, changeId: '3', diff: '-a default 0 off\n+a default 0 on\n' })).toBe('saved: version 8, change 3\n-a default 0 off\n+a default 0 on');
    expect(changeSummary({ version: 8, changed: false, changeId: null, diff: '' })).toBe('no change (version 8)');
  });

  it('builds the evaluation context from options, named options over --attr', () => {
    expect(evaluationContext({ user: 'ada', team: ['qa', 'ops'], server: 'lpnet', attr: [['country', 'br'], ['user', 'bob']] })).toEqual({
      country: 'br', user: 'ada', teams: ['qa', 'ops'], server: 'lpnet',
    });
    expect(evaluationContext({})).toEqual({});
  });

  it('explains an evaluation step by step', () => {
    const s = explanationSummary({
      flag: 'search.fast', value: 'true', reason: 'TARGETING_MATCH', rule: { flag: 'search.fast', scope: 'team:qa', priority: 10, value: 'true' },
      explain: { activeScopes: ['default', 'team:qa'], steps: [{ rule: { flag: 'search.fast', scope: 'team:qa', priority: 10, value: 'true' }, active: true, why: 'user is in team qa' }] },
    });
    expect(s).toContain('search.fast = true');
    expect(s).toContain('reason: TARGETING_MATCH');
    expect(s).toContain('active scopes: default, team:qa');
    expect(s).toMatch(/search\.fast team:qa 10 true\s+yes\s+user is in team qa/);
    expect(explanationSummary({ flag: 'x', value: null, reason: 'DEFAULT', rule: null, explain: { activeScopes: [], steps: [] } })).toContain("(no value: the caller's default)");
  });

  it('lists the changelog, with diffs on demand and the next page', () => {
    const log: Changelog = { entries: [{ id: 5, at: '2026-05-01T11:00:00Z', by: 'ada', comment: 'turn it on', flags: ['a'], diff: '+a default 0 on\n', version: 9 }], next: 4 };
    const now = new Date('2026-05-01T12:00:00Z');
    expect(changelogSummary(log, now, false)).toMatch(/^ID\s+WHEN\s+BY\s+FLAGS\s+COMMENT\n5\s+1h00m ago\s+ada\s+a\s+turn it on\nMore: --before 4$/);
    expect(changelogSummary(log, now, true)).toContain('+a default 0 on');
    expect(changelogSummary({ entries: [], next: null }, now, false)).toBe('No changes.');
  });
});
