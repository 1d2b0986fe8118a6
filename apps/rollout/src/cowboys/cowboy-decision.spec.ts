import { decideCowboys, type LiveCowboy } from './cowboy-decision';

const cowboy = (patchHash: string, extra: Partial<LiveCowboy> = {}): LiveCowboy => ({ patchHash, reason: null, policy: 'hold', fixedBy: null, ...extra });

describe('cowboy decisions before a deploy', () => {
  const fixed = (sha: string) => sha.startsWith('f1');

  it('retires a cowboy whose fix the revision contains, whatever its policy', () => {
    expect(decideCowboys([cowboy('aaa', { fixedBy: 'f1a2b3c' }), cowboy('bbb', { policy: 'carry', fixedBy: 'f1ffff0' })], fixed)).toEqual({
      holdBecause: null, carry: [], retire: ['aaa', 'bbb'],
    });
  });

  it('holds the server for a hold cowboy not yet fixed, saying why', () => {
    const d = decideCowboys([cowboy('c0ffee1234567890', { reason: 'OOM in search', fixedBy: 'e2e2e2e' })], fixed);
    expect(d.holdBecause).toBe('cowboy c0ffee123456: OOM in search (waits for its fix e2e2e2e)');
    expect(d.carry).toEqual([]);
  });

  it('carries a carry cowboy, and holds for no reason when there is none', () => {
    expect(decideCowboys([cowboy('ccc', { policy: 'carry' })], fixed)).toEqual({ holdBecause: null, carry: ['ccc'], retire: [] });
    expect(decideCowboys([], fixed)).toEqual({ holdBecause: null, carry: [], retire: [] });
    expect(decideCowboys([cowboy('ddd')], fixed).holdBecause).toMatch(/no fix known yet/);
  });
});
