/**
 * DORA's four keys against a fixture computed by hand (the arithmetic is in the comments), so
 * the definitions in dora.ts and in the README hold as numbers, not only as words.
 */
import { Events, type RolloutChangedV1 } from '@runway/contracts';
import { computeDora, percentile, rolloutsFrom } from './dora';
import type { EntryRow } from './trail.repository';

const sha = (n: number) => `${n}`.padStart(2, '0').repeat(20);
let seq = 0;

/** A rollout's path: its `rollout-changed` entries, planned at `start`, ending `status` at `end`. */
function rollout(id: string, cause: RolloutChangedV1['cause'], revno: number, revisions: number[], start: string, status: 'succeeded' | 'failed', end: string): EntryRow[] {
  const base = { rolloutId: id, track: cause === 'manual' ? 'manual' : 'promoted', cause, revision: sha(revno), revno, kind: 'no-downtime', batches: 2, revisions: revisions.map(sha), skipped: [] };
  const row = (time: string, d: Partial<RolloutChangedV1>): EntryRow => ({
    seq: String(++seq), event_id: `${id}-${seq}`, type: Events.RolloutChanged.type, time: new Date(time), source: 'runway/rollout', subject: base.track,
    actor: 'runway', actor_kind: 'runway', actor_roles: [], reason: null, correlation_id: null, summary: '', revisions: [], hosts: [], rollout_id: id,
    track: base.track, revno, event: { data: { ...base, ...d } },
  });
  return [row(start, { status: 'queued', batch: 0 }), row(start, { status: 'in-progress', batch: 0 }), row(end, { status, batch: 1 })];
}

const at = (s: string) => `2026-12-0${s}:00.000Z`;

describe('DORA four keys, on a hand-computed fixture (window 1 Dec 00:00 to 3 Dec 00:00, two days)', () => {
  const entries = [
    ...rollout('A', 'promoted', 3, [1, 2, 3], at('1T10:00'), 'succeeded', at('1T10:10')),
    ...rollout('B', 'promoted', 5, [4, 5], at('1T14:00'), 'failed', at('1T14:05')),
    ...rollout('C', 'catch-up', 3, [], at('1T15:00'), 'succeeded', at('1T15:02')),
    ...rollout('D', 'promoted', 6, [4, 5, 6], at('2T09:00'), 'succeeded', at('2T09:20')),
    ...rollout('E', 'manual', 3, [], at('2T11:00'), 'succeeded', at('2T11:05')),
    ...rollout('F', 'promoted', 8, [7, 8], at('2T16:00'), 'succeeded', at('2T16:10')),
  ];
  const hosts = new Map(['A', 'B', 'C', 'D', 'E', 'F'].map((id) => [id, ['app1', 'app2']]));
  const everywhere = [
    ...[1, 2, 3].map((n) => ({ sha: sha(n), revno: n, at: at('1T10:12') })),
    ...[4, 5, 6].map((n) => ({ sha: sha(n), revno: n, at: at('2T09:25') })),
    ...[7, 8].map((n) => ({ sha: sha(n), revno: n, at: at('2T16:15') })),
    { sha: sha(9), revno: 9, at: at('3T08:00') },
  ];
  const landed: [number, string][] = [[1, '1T08:00'], [2, '1T08:30'], [3, '1T09:00'], [4, '1T12:00'], [5, '1T13:00'], [6, '2T08:00'], [7, '2T12:00'], [8, '2T13:00'], [9, '3T07:00']];
  const dora = computeDora({
    since: new Date(at('1T00:00')), until: new Date(at('3T00:00')), environment: 'production',
    rollouts: rolloutsFrom(entries, hosts),
    everywhere,
    landedAt: new Map(landed.map(([n, t]) => [sha(n), at(t)])),
    badMarks: [{ sha: sha(8), revno: 8, at: at('2T18:00'), by: 'ada' }],
    cowboys: [{ host: 'app1', at: at('1T12:00'), patchHash: 'c0ffee0123' }],
  });

  it('deployment frequency: A, D, E and F succeeded (C is a catch-up, B failed): 4 in 2 days', () => {
    expect(dora.deploymentFrequency).toMatchObject({ deployments: 4, perDay: 2, days: [{ day: '2026-12-01', deployments: 1 }, { day: '2026-12-02', deployments: 3 }] });
    expect(dora.deploymentFrequency.rollouts.map((r) => r.rolloutId)).toEqual(['A', 'D', 'E', 'F']);
  });

  it('lead time for changes: eight revisions ran everywhere in the window; p50 2 h 12 min, p90 21 h 25 min', () => {
    // Seconds landed → everywhere: r1 7920, r2 6120, r3 4320, r4 77100, r5 73500, r6 5100, r7 15300, r8 11700 (r9: after the window).
    expect(dora.leadTimeForChanges.revisions.map((r) => [r.revno, r.seconds])).toEqual([
      [1, 7920], [2, 6120], [3, 4320], [4, 77100], [5, 73500], [6, 5100], [7, 15300], [8, 11700],
    ]);
    // Sorted: 4320 5100 6120 7920 | 11700 15300 73500 77100. Nearest rank: p50 = 4th, p90 = 8th.
    expect(dora.leadTimeForChanges).toMatchObject({ count: 8, p50: 7920, p90: 77100 });
  });

  it('change failure rate: of five changes, A (a cowboy), B (failed), D (rolled back) and F (r8 marked bad) failed: 0.8', () => {
    expect(dora.changeFailureRate).toMatchObject({ changes: 5, failed: 4, rate: 0.8 });
    expect(dora.changeFailureRate.failures.map((f) => [f.rolloutId, f.why, f.at])).toEqual([
      ['A', 'cowboy', at('1T12:00')],
      ['B', 'failed', at('1T14:05')],
      ['D', 'rolled-back', at('2T11:00')],
      ['F', 'bad-revision', at('2T18:00')],
    ]);
    expect(dora.changeFailureRate.failures[3].detail).toBe('r8 marked bad by ada');
  });

  it('time to restore: each failure until the next revision ran everywhere; p50 14 h, p90 21 h 25 min', () => {
    expect(dora.timeToRestore.restorations.map((r) => [r.rolloutId, r.seconds, r.restoredBy])).toEqual([
      ['A', 77100, sha(4)], // 1 Dec 12:00 → 2 Dec 09:25
      ['B', 69600, sha(4)], // 1 Dec 14:05 → 2 Dec 09:25
      ['D', 18900, sha(7)], // 2 Dec 11:00 → 2 Dec 16:15
      ['F', 50400, sha(9)], // 2 Dec 18:00 → 3 Dec 08:00
    ]);
    // Sorted 18900 50400 69600 77100: p50 = 2nd, p90 = 4th.
    expect(dora.timeToRestore).toMatchObject({ count: 4, p50: 50400, p90: 77100 });
  });

  it('a failure not restored yet is listed without an end and left out of the percentiles', () => {
    const open = computeDora({
      since: new Date(at('1T00:00')), until: new Date(at('3T00:00')), environment: 'production',
      rollouts: rolloutsFrom(rollout('G', 'promoted', 2, [2], at('1T10:00'), 'failed', at('1T10:05')), new Map()),
      everywhere: [], landedAt: new Map(), badMarks: [], cowboys: [],
    });
    expect(open.timeToRestore).toMatchObject({ count: 0, p50: null, restorations: [{ rolloutId: 'G', restoredAt: null, seconds: null }] });
    expect(open.changeFailureRate.rate).toBe(1);
    expect(open.deploymentFrequency.deployments).toBe(0);
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5], 90)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });
});
