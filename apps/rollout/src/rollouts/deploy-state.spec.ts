import { nextDeployState, rolloutStateOf } from './deploy-state';

describe('deploy and rollout states', () => {
  it('moves a deploy forward only, whatever order reports arrive in', () => {
    expect(nextDeployState('requested', 'started')).toBe('started');
    expect(nextDeployState('started', 'succeeded')).toBe('succeeded');
    expect(nextDeployState('succeeded', 'started')).toBe('succeeded');
    expect(nextDeployState('failed', 'rolled-back')).toBe('rolled-back');
    expect(nextDeployState('rolled-back', 'failed')).toBe('rolled-back');
  });

  it('derives the rollout state from its deploys', () => {
    expect(rolloutStateOf([])).toBe('no-servers');
    expect(rolloutStateOf(['succeeded', 'succeeded'])).toBe('succeeded');
    expect(rolloutStateOf(['succeeded', 'started'])).toBe('in-progress');
    expect(rolloutStateOf(['succeeded', 'rolled-back'])).toBe('failed');
  });
});
