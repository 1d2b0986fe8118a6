import { nextDeployState, overdue } from './deploy-state';

describe('deploy and rollout states', () => {
  it('moves a deploy forward only, whatever order reports arrive in', () => {
    expect(nextDeployState('requested', 'started')).toBe('started');
    expect(nextDeployState('started', 'succeeded')).toBe('succeeded');
    expect(nextDeployState('succeeded', 'started')).toBe('succeeded');
    expect(nextDeployState('failed', 'rolled-back')).toBe('rolled-back');
    expect(nextDeployState('rolled-back', 'failed')).toBe('rolled-back');
  });

  it('ignores reports for deploys never requested, cancelled or skipped', () => {
    expect(nextDeployState('pending', 'succeeded')).toBe('pending');
    expect(nextDeployState('cancelled', 'succeeded')).toBe('cancelled');
    expect(nextDeployState('skipped', 'started')).toBe('skipped');
  });

  it('keeps a deploy failed for want of a report failed, when its report comes after all', () => {
    expect(nextDeployState('failed', 'succeeded')).toBe('failed');
  });

  it('finds a deploy sent out and not reported done within its deadline', () => {
    const at = new Date('2026-12-05T10:00:00Z');
    const later = (s: number) => new Date(at.getTime() + s * 1000);
    expect(overdue({ status: 'requested', requestedAt: at }, later(61), 60_000)).toBe(true);
    expect(overdue({ status: 'started', requestedAt: at }, later(61), 60_000)).toBe(true);
    expect(overdue({ status: 'started', requestedAt: at }, later(59), 60_000)).toBe(false);
    expect(overdue({ status: 'succeeded', requestedAt: at }, later(600), 60_000)).toBe(false);
    expect(overdue({ status: 'pending', requestedAt: at }, later(600), 60_000)).toBe(false);
  });
});
