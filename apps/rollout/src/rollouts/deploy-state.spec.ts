import { nextDeployState } from './deploy-state';

describe('deploy and rollout states', () => {
  it('moves a deploy forward only, whatever order reports arrive in', () => {
    expect(nextDeployState('requested', 'started')).toBe('started');
    expect(nextDeployState('started', 'succeeded')).toBe('succeeded');
    expect(nextDeployState('succeeded', 'started')).toBe('succeeded');
    expect(nextDeployState('failed', 'rolled-back')).toBe('rolled-back');
    expect(nextDeployState('rolled-back', 'failed')).toBe('rolled-back');
  });

  it('ignores reports for deploys never requested or cancelled', () => {
    expect(nextDeployState('pending', 'succeeded')).toBe('pending');
    expect(nextDeployState('cancelled', 'succeeded')).toBe('cancelled');
  });
});
