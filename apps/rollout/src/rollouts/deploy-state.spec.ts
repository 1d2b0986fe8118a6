import { nextDeployState, progressOf } from './deploy-state';

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

  it('lets the next batch go only when the current one all succeeded, and stops on a failure', () => {
    const d = (host: string, batch: number, status: 'pending' | 'requested' | 'succeeded' | 'rolled-back') => ({ host, batch, status, outputTail: null });
    expect(progressOf([d('a', 0, 'succeeded'), d('b', 0, 'requested'), d('c', 1, 'pending')], 0)).toEqual({ kind: 'batch-running' });
    expect(progressOf([d('a', 0, 'succeeded'), d('b', 0, 'succeeded'), d('c', 1, 'pending')], 0)).toEqual({ kind: 'batch-done', next: 1 });
    expect(progressOf([d('a', 0, 'succeeded'), d('c', 1, 'succeeded')], 1)).toEqual({ kind: 'batch-done', next: null });
    expect(progressOf([d('a', 0, 'rolled-back'), d('b', 0, 'succeeded'), d('c', 1, 'pending')], 0)).toMatchObject({ kind: 'failed', deploy: { host: 'a' } });
  });
});
