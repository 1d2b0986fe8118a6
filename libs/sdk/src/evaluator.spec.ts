import { FlagEvaluator, percentBucket } from './evaluator';
import { murmur3, PrefixHash } from './murmur3';
import type { FlagDoc, Rule } from './rules';

const rule = (flag: string, scope: string, priority: number, value: string): Rule => ({ flag, scope, priority, value });
const doc = (name: string, domain: FlagDoc['domain'], dflt: string | null = null): FlagDoc => ({ name, title: name, description: '', domain, default: dflt });

function evaluator(rules: Rule[], docs: FlagDoc[] = []): FlagEvaluator {
  return new FlagEvaluator({ version: 1, rules, docs });
}

describe('murmur3', () => {
  it('matches the published x86 32-bit test vectors', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('Hello, world!')).toBe(0xc0363e43);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('hashes non-ASCII text as its UTF-8 bytes', () => {
    expect(murmur3('ü')).not.toBe(murmur3('\u00fc'.normalize('NFD')));
    expect(murmur3('日本語')).toBe(new PrefixHash('日').hash('本語'));
  });

  it('a prefix hasher equals hashing the joined string, for prefixes and keys of every length', () => {
    for (const prefix of ['', 'a', 'ab:', 'abc:', 'flag-12:', 'ü-flag:']) {
      const hasher = new PrefixHash(prefix);
      for (const key of ['', 'k', 'ke', 'key', 'keys', 'user-12345', 'ünïcode']) expect(hasher.hash(key)).toBe(murmur3(prefix + key));
    }
  });

  it('a prefix hasher equals hashing the joined string, at every split', () => {
    const s = 'new-ui:user-12345-ä';
    for (let i = 0; i <= s.length; i++) expect(new PrefixHash(s.slice(0, i)).hash(s.slice(i))).toBe(murmur3(s));
  });
});

describe('evaluation', () => {
  it('takes rules in descending priority and the first active scope wins', () => {
    const e = evaluator([rule('f', 'default', 0, 'off'), rule('f', 'team:qa', 10, 'on'), rule('f', 'user:ann', 20, 'ann')]);
    expect(e.value('f', {})).toBe('off');
    expect(e.value('f', { teams: ['qa'] })).toBe('on');
    expect(e.value('f', { user: 'ann', teams: ['qa'] })).toBe('ann');
  });

  it('gives no value when no rule matches, and "" is a value', () => {
    const e = evaluator([rule('f', 'server.edge', 5, ''), rule('g', 'user:bob', 1, 'x')]);
    expect(e.value('f', { server: 'edge' })).toBe('');
    expect(e.value('f', { server: 'lpnet' })).toBeUndefined();
    expect(e.value('g', {})).toBeUndefined();
    expect(e.value('nope', {})).toBeUndefined();
  });

  it('falls back to the documented default when no rule matches', () => {
    const e = evaluator([rule('f', 'team:qa', 1, 'true')], [doc('f', 'boolean', 'false')]);
    expect(e.resolve('f', {})).toMatchObject({ value: 'false', reason: 'DEFAULT' });
  });

  it('matches pageid on whole ":" and "#" segments', () => {
    const e = evaluator([rule('f', 'pageid:Foo', 1, 'y')]);
    expect(e.value('f', { pageId: 'Foo' })).toBe('y');
    expect(e.value('f', { pageId: 'Foo:Bar' })).toBe('y');
    expect(e.value('f', { pageId: 'Foo#x' })).toBe('y');
    expect(e.value('f', { pageId: 'Foobar' })).toBeUndefined();
    expect(e.value('f', { pageId: 'Fo' })).toBeUndefined();
    const deep = evaluator([rule('f', 'pageid:Foo:Bar', 1, 'y')]);
    expect(deep.value('f', { pageId: 'Foo:Bar#x' })).toBe('y');
    expect(deep.value('f', { pageId: 'Foo' })).toBeUndefined();
  });

  it('matches server, team, user and script from the context', () => {
    const e = evaluator([rule('s', 'server.lpnet', 1, 'a'), rule('t', 'team:ops', 1, 'b'), rule('u', 'user:ann', 1, 'c'), rule('x', 'script:garbo', 1, 'd')]);
    const ctx = { server: 'lpnet', teams: ['dev', 'ops'], user: 'ann', script: 'garbo' };
    expect(['s', 't', 'u', 'x'].map((f) => e.value(f, ctx))).toEqual(['a', 'b', 'c', 'd']);
    expect(['s', 't', 'u', 'x'].map((f) => e.value(f, { server: 'edge', teams: ['dev'], user: 'bob', script: 'other' }))).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('userslice:a,b matches numeric user ids with id % b == a', () => {
    const e = evaluator([rule('f', 'userslice:1,3', 1, 'in')]);
    expect([0, 1, 2, 3, 4, 7].map((userId) => e.value('f', { userId }))).toEqual([undefined, 'in', undefined, undefined, 'in', 'in']);
    expect(e.value('f', {})).toBeUndefined();
  });

  it('percent:n is sticky per targeting key and gives about n% of keys', () => {
    const e = evaluator([rule('f', 'percent:25', 1, 'in')]);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      const key = `user-${i}`;
      const v = e.value('f', { targetingKey: key });
      expect(e.value('f', { targetingKey: key })).toBe(v);
      if (v === 'in') hits++;
    }
    expect(hits / 20_000).toBeGreaterThan(0.235);
    expect(hits / 20_000).toBeLessThan(0.265);
    expect(e.value('f', { targetingKey: 'user-1' })).toBe(percentBucket('f', 'user-1') < 2500 ? 'in' : undefined);
  });

  it('percent buckets differ per flag, so two 50% flags do not pick the same half', () => {
    let same = 0;
    for (let i = 0; i < 2000; i++) if (percentBucket('a', `k${i}`) < 5000 === percentBucket('b', `k${i}`) < 5000) same++;
    expect(same / 2000).toBeGreaterThan(0.4);
    expect(same / 2000).toBeLessThan(0.6);
  });

  it('an unknown scope kind is inactive and recorded as seen', () => {
    const e = evaluator([rule('f', 'region:eu', 10, 'eu'), rule('f', 'default', 0, 'x')]);
    expect(e.value('f', {})).toBe('x');
    expect([...e.unknownScopesSeen]).toEqual(['region:eu']);
  });

  it('names its reason: STATIC, TARGETING_MATCH, SPLIT or DEFAULT', () => {
    expect(evaluator([rule('f', 'default', 0, 'x')]).resolve('f', {})?.reason).toBe('STATIC');
    const e = evaluator([rule('f', 'default', 0, 'x'), rule('f', 'team:qa', 5, 'y'), rule('f', 'percent:100', 9, 'z')]);
    expect(e.resolve('f', { teams: ['qa'] })?.reason).toBe('TARGETING_MATCH');
    expect(e.resolve('f', { targetingKey: 'k' })?.reason).toBe('SPLIT');
    expect(e.resolve('f', {})).toMatchObject({ reason: 'DEFAULT', value: 'x', targetingKeyMissing: true });
    expect(e.resolve('missing', {})).toBeUndefined();
  });

  it('explains which rule won, which scopes were active, and why others were skipped', () => {
    const e = evaluator([rule('f', 'default', 0, 'off'), rule('f', 'team:qa', 10, 'on'), rule('f', 'user:ann', 20, 'ann')]);
    const x = e.explain('f', { teams: ['qa'], user: 'bob' })!;
    expect(x.value).toBe('on');
    expect(x.rule).toEqual(rule('f', 'team:qa', 10, 'on'));
    expect(x.activeScopes).toEqual(['team:qa', 'default']);
    expect(x.steps.map((s) => [s.rule.priority, s.active])).toEqual([[20, false], [10, true], [0, true]]);
    expect(x.steps[0].why).toBe('user is bob, not ann');
    expect(x.steps[2].why).toMatch(/not reached: priority 10 already gave the value/);
  });

  it('counts evaluations per flag and asks for missing flags, for usage reports', () => {
    const e = evaluator([rule('f', 'default', 0, 'x')], [doc('g', 'string')]);
    e.value('f', {});
    e.value('f', {});
    e.value('ghost', {});
    expect(Object.fromEntries(e.takeCounts())).toEqual({ f: 2, ghost: 1 });
    expect(e.takeCounts().size).toBe(0);
    expect(e.undocumented(['f', 'g', 'ghost'])).toEqual(['f', 'ghost']);
  });
});
