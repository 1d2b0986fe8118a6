/**
 * How a deploy's state may move, whatever order reports arrive in: forward only, so a late
 * `started` never overwrites `succeeded`; and what a rollout's deploys say about it.
 */
import type { DeployStatus } from '@runway/contracts';
import type { DeployState } from './rollout.entity';

const RANK: Record<DeployState, number> = { pending: -1, requested: 0, started: 1, succeeded: 2, failed: 2, 'rolled-back': 3, cancelled: 4 };

export function nextDeployState(current: DeployState, reported: DeployStatus): DeployState {
  if (current === 'pending' || current === 'cancelled') return current;
  if (RANK[reported] > RANK[current]) return reported;
  return current;
}

/** Where a rollout stands: a failed server stops it; a finished batch lets the next one go. */
export type Progress =
  | { kind: 'failed'; deploy: { host: string; status: DeployState; outputTail: string | null } }
  | { kind: 'batch-running' }
  | { kind: 'batch-done'; next: number | null };
