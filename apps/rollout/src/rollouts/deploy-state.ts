/**
 * How a deploy's state may move, whatever order reports arrive in: forward only, so a late
 * `started` never overwrites `succeeded`; and what a rollout's deploys say about it.
 */
import type { DeployStatus } from '@runway/contracts';
import type { DeployState } from './rollout.entity';

const RANK: Record<DeployState, number> = { pending: -1, requested: 0, started: 1, succeeded: 2, failed: 2, 'rolled-back': 3, cancelled: 4, skipped: 4 };

export function nextDeployState(current: DeployState, reported: DeployStatus): DeployState {
  if (current === 'pending' || current === 'cancelled' || current === 'skipped') return current;
  if (RANK[reported] > RANK[current]) return reported;
  return current;
}

/** Where a rollout stands: a failed server stops it; a finished batch lets the next one go. */
export type Progress =
  | { kind: 'failed'; deploy: { host: string; status: DeployState; outputTail: string | null } }
  | { kind: 'batch-running' }
  | { kind: 'batch-done'; next: number | null };

/** When rollout fails a deploy sent out and not reported done: null once it is done. */
export function deadlineOf(d: { status: DeployState; requestedAt: Date | null }, deadlineMs: number): Date | null {
  return (d.status === 'requested' || d.status === 'started') && d.requestedAt ? new Date(d.requestedAt.getTime() + deadlineMs) : null;
}

/** A deploy sent out and not reported done within its deadline has failed. */
export function overdue(d: { status: DeployState; requestedAt: Date }, now: Date, deadlineMs: number): boolean {
  return (d.status === 'requested' || d.status === 'started') && now.getTime() - d.requestedAt.getTime() > deadlineMs;
}
