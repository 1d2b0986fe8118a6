import { deployKindFor } from './promotion-rules';

describe('promotion rules', () => {
  it('needs a downtime deploy exactly when the range holds a DB revision', () => {
    expect(deployKindFor(true)).toBe('downtime');
    expect(deployKindFor(false)).toBe('no-downtime');
  });
});
