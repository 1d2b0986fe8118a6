import { decidePromotion, deployKindFor } from './promotion-rules';

describe('promotion rules', () => {
  it('promotes the first approval and any later revision', () => {
    expect(decidePromotion(null, { revno: 3, sha: 'aaaaaaa' })).toEqual({ action: 'promote' });
    expect(decidePromotion({ revno: 3, sha: 'aaaaaaa' }, { revno: 4, sha: 'bbbbbbb' })).toEqual({ action: 'promote' });
  });

  it('never moves backwards, and never promotes the same revision twice', () => {
    expect(decidePromotion({ revno: 5, sha: 'ccccccc' }, { revno: 4, sha: 'bbbbbbb' })).toMatchObject({ action: 'skip', reason: /backwards/ });
    expect(decidePromotion({ revno: 5, sha: 'ccccccc' }, { revno: 5, sha: 'ccccccc' })).toMatchObject({ action: 'skip', reason: /already/ });
  });

  it('needs a downtime deploy exactly when the range holds a DB revision', () => {
    expect(deployKindFor(true)).toBe('downtime');
    expect(deployKindFor(false)).toBe('no-downtime');
  });
});
