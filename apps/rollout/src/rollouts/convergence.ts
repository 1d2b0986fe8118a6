/**
 * Convergence as pure functions: which servers must be caught up, and which have drifted.
 *
 * Each track has a baseline: the revision it last rolled out (a promotion's or QA tip's
 * rollout that succeeded, or an operator's rollout to all of production). A server should run
 * its track's baseline, or the revision an operator put on it by hand since (a pin), whichever
 * came later. A server is *behind* when what it runs does not contain that (released from a
 * hold, back after an outage, newly registered, skipped by a rollout); it has *drifted* when it
 * runs something other than what Runway last put there (a hand deploy). Either way, once it is
 * reachable, unheld, and no rollout is on its way to it, a catch-up rollout puts the desired
 * revision on it. A server that runs something newer that Runway put there (a rollout that
 * failed after it) is neither: nothing sends it back.
 */
import { type Content, covers, sameSha } from '../positions/positions';
import type { Track } from './track';

export interface ConvergeServer {
  host: string;
  track: Track;
  reachable: boolean;
  held: boolean;
  /** A rollout is on its way to it. */
  busy: boolean;
  running: string | null;
  lastDeployed: string | null;
  pin: { sha: string; at: Date } | null;
}

export interface Baseline {
  sha: string;
  at: Date;
}

export type Why = 'behind' | 'drifted';

export interface CatchUp {
  host: string;
  track: Track;
  /** The revision it should run. */
  target: string;
  why: Why;
}

/** The revision a server should run: its track's baseline, or a later pin. */
export function desired(s: Pick<ConvergeServer, 'pin'>, baseline: Baseline | null): string | null {
  if (s.pin && (!baseline || s.pin.at.getTime() > baseline.at.getTime())) return s.pin.sha;
  return baseline?.sha ?? null;
}

/** Runs something other than what Runway last put there. */
export function drifted(s: Pick<ConvergeServer, 'running' | 'lastDeployed'>): boolean {
  return s.lastDeployed !== null && s.running !== null && !sameSha(s.running, s.lastDeployed);
}

/**
 * The servers to catch up now, each with its target and why. `content` tells what a revision
 * contains (unknown: undefined).
 */
export function catchUps(
  servers: readonly ConvergeServer[],
  baselines: Partial<Record<Track, Baseline | null>>,
  content: (sha: string) => Content | undefined,
): CatchUp[] {
  const out: CatchUp[] = [];
  for (const s of servers) {
    if (!s.reachable || s.held || s.busy) continue;
    const target = desired(s, baselines[s.track] ?? null);
    if (!target) continue;
    if (drifted(s) && !sameSha(s.running!, target)) {
      out.push({ host: s.host, track: s.track, target, why: 'drifted' });
      continue;
    }
    const runs = { sha: s.running, content: s.running ? (content(s.running) ?? null) : null };
    if (!covers(runs, { sha: target, content: content(target) ?? null })) out.push({ host: s.host, track: s.track, target, why: 'behind' });
  }
  return out;
}
