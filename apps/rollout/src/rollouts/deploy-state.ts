/**
 * How a deploy's state may move, whatever order reports arrive in: forward only, so a late
 * `started` never overwrites `succeeded`, and a rollout's state follows from its deploys.
 */
import type { DeployStatus } from '@runway/contracts';
import type { DeployState, RolloutState } from './rollout.entity';

const RANK: Record<DeployState, number> = { requested: 0, started: 1, succeeded: 2, failed: 2, 'rolled-back': 3 };

export function nextDeployState(current: DeployState, reported: DeployStatus): DeployState {
  if (RANK[reported] > RANK[current]) return reported;
  return current;
}

export function rolloutStateOf(deploys: DeployState[]): RolloutState {
  if (deploys.length === 0) return 'no-servers';
  if (deploys.some((d) => d === 'failed' || d === 'rolled-back')) return 'failed';
  if (deploys.every((d) => d === 'succeeded')) return 'succeeded';
  return 'in-progress';
}
