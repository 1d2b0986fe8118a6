import { ago, details, duration, firstLine, revLabel, shortSha, table } from './output';

describe('output', () => {
  it('draws a borderless table with a header, dashes for empty cells', () => {
    expect(table(['HOST', 'UP'], [['app1.lpnet', true], ['app22', null]])).toBe(['HOST        UP', 'app1.lpnet  yes', 'app22       -'].join('\n'));
  });

  it('draws label/value rows', () => {
    expect(details([['tip', 'r46'], ['skipped', undefined], ['blocked by', 'nothing']])).toBe(['tip         r46', 'blocked by  nothing'].join('\n'));
  });

  it('shortens shas and labels revisions', () => {
    expect(shortSha('3f2a9c0d1e4b5a6978c0')).toBe('3f2a9c0d1e');
    expect(shortSha(null)).toBe('-');
    expect(revLabel({ revno: 42, sha: '3f2a9c0d1e4b5a6978c0' })).toBe('r42 3f2a9c0d1e');
    expect(revLabel({ revno: null, sha: 'abc1234' })).toBe('abc1234');
    expect(revLabel(null)).toBe('-');
  });

  it('writes durations and ages compactly', () => {
    expect(duration(45)).toBe('45s');
    expect(duration(12 * 60 + 5)).toBe('12m');
    expect(duration(3 * 3600 + 5 * 60)).toBe('3h05m');
    expect(duration(50 * 3600)).toBe('2d02h');
    const now = new Date('2026-05-01T12:00:00Z');
    expect(ago('2026-05-01T11:30:00Z', now)).toBe('30m ago');
    expect(ago('2026-05-01T14:00:00Z', now)).toBe('in 2h00m');
    expect(ago(null, now)).toBe('-');
  });

  it('keeps the first line of a message, cut to length', () => {
    expect(firstLine('Fix the OOPS\n\nLong body')).toBe('Fix the OOPS');
    expect(firstLine('x'.repeat(80), 10)).toBe('xxxxxxxxx…');
    expect(firstLine(null)).toBe('');
  });
});
