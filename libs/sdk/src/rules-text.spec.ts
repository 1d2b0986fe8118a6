import { formatRules, parseRulesText } from './rules-text';
import { domainError, type FlagDoc, parseScope, typedValue } from './rules';

const docs = new Map<string, FlagDoc>([
  ['new-ui', { name: 'new-ui', title: 'New UI', description: '', domain: 'boolean', default: 'false' }],
  ['limit', { name: 'limit', title: 'Limit', description: '', domain: 'int', default: null }],
]);
const docOf = (f: string) => docs.get(f);

describe('rules as text', () => {
  it('parses one rule per line, the value being the rest of the line', () => {
    const { rules, errors } = parseRulesText('motd default 0 Welcome to   Runway\nnew-ui team:qa 10 true\n\nmotd server.edge 5\n# a note\n', docOf);
    expect(errors).toEqual([]);
    expect(rules).toEqual([
      { flag: 'motd', scope: 'server.edge', priority: 5, value: '' },
      { flag: 'motd', scope: 'default', priority: 0, value: 'Welcome to   Runway' },
      { flag: 'new-ui', scope: 'team:qa', priority: 10, value: 'true' },
    ]);
  });

  it('reports every error with its line number and keeps no rule', () => {
    const text = [
      'new-ui default 0 false',
      'new-ui team:qa ten true',
      'new-ui team:dev 0 true',
      'new-ui region:eu 5 true',
      'limit default 0 lots',
      'just-two fields',
      'bad/name default 0 x',
    ].join('\n');
    const { rules, errors } = parseRulesText(text, docOf);
    expect(rules).toEqual([]);
    expect(errors).toEqual([
      { line: 2, message: 'priority "ten" is not a whole number' },
      { line: 3, message: 'duplicate priority 0 for flag new-ui (also on line 1)' },
      { line: 4, message: 'unknown scope kind "region"' },
      { line: 5, message: '"lots" is not a whole number, outside flag limit\'s domain (int)' },
      { line: 6, message: 'expected "flag scope priority value" (the value may be empty)' },
      { line: 7, message: '"bad/name" is not a flag name (letters, digits, ".", "_" and "-")' },
    ]);
  });

  it('formats canonically: by flag, then descending priority; parse(format(x)) is x', () => {
    const { rules } = parseRulesText('b default 0 x\na default 1 y\na user:ann 7\nb percent:12.5 3 z z', docOf);
    const text = formatRules(rules);
    expect(text).toBe('a user:ann 7\na default 1 y\nb percent:12.5 3 z z\nb default 0 x\n');
    expect(parseRulesText(text, docOf).rules).toEqual(rules);
  });
});

describe('scopes and domains', () => {
  it('reads every scope kind and calls anything else unknown', () => {
    expect(parseScope('server.lpnet')).toEqual({ kind: 'server', name: 'lpnet' });
    expect(parseScope('pageid:Person:+edit')).toEqual({ kind: 'pageid', name: 'Person:+edit' });
    expect(parseScope('team:')).toMatchObject({ kind: 'unknown', reason: 'team:<name> needs a name' });
    expect(parseScope('userslice:2,5')).toEqual({ kind: 'userslice', slice: 2, of: 5 });
    expect(parseScope('percent:0.5')).toEqual({ kind: 'percent', percent: 0.5 });
    expect(parseScope('userslice:5,5').kind).toBe('unknown');
    expect(parseScope('percent:101').kind).toBe('unknown');
    expect(parseScope('server.').kind).toBe('unknown');
    expect(parseScope('everyone').kind).toBe('unknown');
  });

  it('checks values against their domain and types them for JSON', () => {
    expect(domainError('boolean', 'on')).toBeNull();
    expect(domainError('boolean', 'yes')).toMatch(/not a boolean/);
    expect(domainError('int', '-12')).toBeNull();
    expect(domainError('int', '1.5')).toMatch(/not a whole number/);
    expect(domainError('float', '1e3')).toBeNull();
    expect(domainError('float', 'NaN')).toMatch(/not a number/);
    expect(domainError('space-delimited', 'a b c')).toBeNull();
    expect(domainError('space-delimited', 'a  b')).toMatch(/single spaces/);
    expect(domainError('datetime', '2026-11-22T10:00:00Z')).toBeNull();
    expect(domainError('datetime', '2026-13-45')).toMatch(/ISO 8601/);
    expect(typedValue('boolean', 'on')).toBe(true);
    expect(typedValue('float', '2.5')).toBe(2.5);
    expect(typedValue(undefined, '2.5')).toBe('2.5');
  });
});
