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

export type Progress =
  | { kind: 'failed'; deploy: { host: string; status: DeployState; outputTail: string | null } }
  | { kind: 'batch-running' }
  | { kind: 'batch-done'; next: number | null };

/** Where a rollout stands: a failed server stops it; a finished batch lets the next one go. */
export function progressOf(deploys: { host: string; batch: number; status: DeployState; outputTail: string | null }[], currentBatch: number): Progress {
  const failed = deploys.find((d) => d.status === 'failed' || d.status === 'rolled-back');
  if (failed) return { kind: 'failed', deploy: failed };
  const current = deploys.filter((d) => d.batch === currentBatch);
  if (current.some((d) => d.status !== 'succeeded')) return { kind: 'batch-running' };
  const later = deploys.filter((d) => d.batch > currentBatch).map((d) => d.batch);
  return { kind: 'batch-done', next: later.length ? Math.min(...later) : null };
}
