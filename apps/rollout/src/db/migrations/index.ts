/** rollout's migrations, oldest first. Append only. */
import { Initial1763790000000 } from './1763790000000-initial';
import { RolloutCauses1763800000000 } from './1763800000000-rollout-causes';

export const migrations = [Initial1763790000000, RolloutCauses1763800000000];
