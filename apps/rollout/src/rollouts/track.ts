/**
 * A track is the servers one kind of rollout keeps current: production follows promotions, the
 * QA environments follow the QA tip. A track runs one rollout at a time, so waves stay in order
 * and every wave has reported healthy before a newer revision reaches the next one.
 *
 *   - A rollout *holds* its track from the moment it starts: while its downtime preflight runs
 *     (claimed in its window), while it deploys, and while an operator has paused it
 *     mid-deploy. Were a preflight superseded by every newer arrival, promotions that came
 *     faster than a preflight takes would put a downtime deploy off for ever.
 *   - A rollout that has not started yet (queued behind the one that holds the track, waiting
 *     for its window or cadence slot, blocked by a failed preflight, or paused in any of those)
 *     is superseded by a newer arrival, which carries its range and its downtime.
 *   - An arrival older than one already planned deploys nothing: servers never go backwards.
 *
 * However fast promotions come, a track therefore has at most one rollout deploying and one
 * waiting, and each server gets one deploy per rollout that runs, never one per promotion.
 */
import type { RolloutState, RolloutTrack } from './rollout.entity';

export type Track = Extract<RolloutTrack, 'promoted' | 'qa-tip'>;

export const TRACKS: readonly Track[] = ['promoted', 'qa-tip'];

export function isTrack(track: RolloutTrack): track is Track {
  return (TRACKS as readonly string[]).includes(track);
}

const NOT_STARTED: readonly RolloutState[] = ['queued', 'waiting-window', 'blocked'];

/** Every status a rollout that has not started may have (paused ones included: see `notStarted`). */
export const NOT_STARTED_STATES: RolloutState[] = [...NOT_STARTED, 'paused'];

type Shape = { status: RolloutState; pausedFrom: RolloutState | null };

/** In preflight, deploying, or paused mid-deploy: the next rollout of the track waits for it. */
export function holdsTrack(r: Shape): boolean {
  return r.status === 'preflight' || r.status === 'in-progress' || (r.status === 'paused' && r.pausedFrom === 'in-progress');
}

/**
 * Planned but not started, so a newer arrival may take its place. One paused in its preflight
 * counts: resuming sends it back to wait for its window and run the preflight again.
 */
export function notStarted(r: Shape): boolean {
  if (r.status === 'paused') return r.pausedFrom !== null && (NOT_STARTED.includes(r.pausedFrom) || r.pausedFrom === 'preflight');
  return NOT_STARTED.includes(r.status);
}

export type Arrival =
  /** Older than one already planned: recorded, deploys nothing. */
  | { kind: 'stale'; newest: number }
  /** The track is held: it waits, queued, and starts when the track is free. */
  | { kind: 'queue' }
  | { kind: 'start' };

/**
 * What becomes of a promotion or QA tip arriving at its track. One whose revno is unknown
 * cannot be ordered, so it is never taken for stale.
 */
export function arrive(revno: number | null, newestPlanned: number | null, trackHeld: boolean): Arrival {
  if (revno !== null && newestPlanned !== null && revno <= newestPlanned) return { kind: 'stale', newest: newestPlanned };
  return trackHeld ? { kind: 'queue' } : { kind: 'start' };
}
