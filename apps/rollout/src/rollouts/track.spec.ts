import { arrive, holdsTrack, notStarted } from './track';

describe('a track runs one rollout at a time', () => {
  it('is held from the preflight on, while deploying and paused mid-deploy, but by nothing that waits or has finished', () => {
    expect(holdsTrack({ status: 'preflight', pausedFrom: null })).toBe(true);
    expect(holdsTrack({ status: 'in-progress', pausedFrom: null })).toBe(true);
    expect(holdsTrack({ status: 'paused', pausedFrom: 'in-progress' })).toBe(true);
    for (const status of ['queued', 'waiting-window', 'blocked', 'succeeded', 'failed', 'no-servers', 'superseded'] as const) {
      expect([status, holdsTrack({ status, pausedFrom: null })]).toEqual([status, false]);
    }
    for (const from of ['waiting-window', 'queued', 'preflight', 'blocked'] as const) {
      expect([from, holdsTrack({ status: 'paused', pausedFrom: from })]).toEqual([from, false]);
    }
  });

  it('lets a newer arrival replace what has not started, paused or not, and nothing else', () => {
    for (const status of ['queued', 'waiting-window', 'blocked'] as const) {
      expect([status, notStarted({ status, pausedFrom: null })]).toEqual([status, true]);
      expect([status, notStarted({ status: 'paused', pausedFrom: status })]).toEqual([status, true]);
    }
    // Paused in its preflight, it will wait for its window again: not started.
    expect(notStarted({ status: 'paused', pausedFrom: 'preflight' })).toBe(true);
    for (const status of ['preflight', 'in-progress', 'succeeded', 'failed', 'no-servers', 'superseded'] as const) {
      expect([status, notStarted({ status, pausedFrom: null })]).toEqual([status, false]);
    }
    expect(notStarted({ status: 'paused', pausedFrom: 'in-progress' })).toBe(false);
  });

  it('starts an arrival on a free track, queues it on a held one, and deploys nothing for one older than planned', () => {
    expect(arrive(10, null, false)).toEqual({ kind: 'start' });
    expect(arrive(10, 9, false)).toEqual({ kind: 'start' });
    expect(arrive(10, 9, true)).toEqual({ kind: 'queue' });
    expect(arrive(9, 9, false)).toEqual({ kind: 'stale', newest: 9 });
    expect(arrive(8, 9, true)).toEqual({ kind: 'stale', newest: 9 });
    // A promotion without a revno cannot be ordered: it is never taken for stale.
    expect(arrive(null, 9, false)).toEqual({ kind: 'start' });
    expect(arrive(null, 9, true)).toEqual({ kind: 'queue' });
  });
});
