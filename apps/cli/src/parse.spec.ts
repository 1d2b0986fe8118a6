import { parseDuration, parseKeyValue, parseLandingId, parseNonNegativeInt, parsePositiveInt, parseReason, parseRevisionRef, parseSince, parseUntil } from './parse';

describe('command-line values', () => {
  const now = new Date('2026-05-01T12:00:00Z');

  it('reads revnos and shas the way promotion does', () => {
    expect(parseRevisionRef('r42')).toEqual({ kind: 'revno', revno: 42 });
    expect(parseRevisionRef('42')).toEqual({ kind: 'revno', revno: 42 });
    expect(parseRevisionRef('R7')).toEqual({ kind: 'revno', revno: 7 });
    expect(parseRevisionRef('1234567')).toEqual({ kind: 'sha', sha: '1234567' });
    expect(parseRevisionRef('3F2A9C0D')).toEqual({ kind: 'sha', sha: '3f2a9c0d' });
    expect(() => parseRevisionRef('r0')).toThrow(/not a revision/);
    expect(() => parseRevisionRef('main')).toThrow(/not a revision/);
    expect(() => parseRevisionRef('abc')).toThrow(/not a revision/);
  });

  it('reads durations', () => {
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('2d')).toBe(172800);
    expect(parseDuration('1w')).toBe(604800);
    expect(parseDuration('soon')).toBeNull();
    expect(parseDuration('2026-05-01')).toBeNull();
  });

  it('reads --until as a time ahead, ISO or relative', () => {
    expect(parseUntil('2h', now)).toBe('2026-05-01T14:00:00.000Z');
    expect(parseUntil('2026-05-02T08:00Z', now)).toBe('2026-05-02T08:00:00.000Z');
    expect(parseUntil('2026-05-02T10:00:00+02:00', now)).toBe('2026-05-02T08:00:00.000Z');
    expect(() => parseUntil('0m', now)).toThrow(/future/);
    expect(() => parseUntil('tomorrow', now)).toThrow(/not a time/);
  });

  it('reads --since as a time past, ISO or relative', () => {
    expect(parseSince('3h', now)).toBe('2026-05-01T09:00:00.000Z');
    expect(parseSince('2026-04-30', now)).toBe('2026-04-30T00:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/not a time/);
  });

  it('reads key=value, keeping = in the value', () => {
    expect(parseKeyValue('country=br')).toEqual(['country', 'br']);
    expect(parseKeyValue('q=a=b')).toEqual(['q', 'a=b']);
    expect(() => parseKeyValue('=x')).toThrow(/key=value/);
    expect(() => parseKeyValue('x')).toThrow(/key=value/);
  });

  it('reads whole numbers', () => {
    expect(parsePositiveInt('20')).toBe(20);
    expect(() => parsePositiveInt('0')).toThrow();
    expect(() => parsePositiveInt('-1')).toThrow();
    expect(() => parsePositiveInt('1.5')).toThrow();
    expect(parseNonNegativeInt('0')).toBe(0);
  });

  it('reads landing ids, which are numbers', () => {
    expect(parseLandingId('12')).toBe('12');
    expect(parseLandingId(' 900719925474099312 ')).toBe('900719925474099312');
    expect(() => parseLandingId('12a')).toThrow(/not a landing id/);
    expect(() => parseLandingId('-1')).toThrow(/not a landing id/);
  });

  it('reads an operator\'s reason: trimmed, at least 3 characters', () => {
    expect(parseReason('  app3 died mid-deploy ')).toBe('app3 died mid-deploy');
    expect(() => parseReason(' ok ')).toThrow(/at least 3 characters/);
    expect(() => parseReason('x'.repeat(4097))).toThrow(/at most 4096/);
  });
});
