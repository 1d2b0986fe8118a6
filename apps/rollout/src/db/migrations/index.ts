/** rollout's migrations, oldest first. Append only. */
import { Initial1763790000000 } from './1763790000000-initial';
import { RolloutCauses1763800000000 } from './1763800000000-rollout-causes';
import { WavesAndWindows1763830000000 } from './1763830000000-waves-and-windows';
import { LeadTime1763840000000 } from './1763840000000-lead-time';
import { Cowboys1763850000000 } from './1763850000000-cowboys';
import { OneRolloutPerTrack1764000000000 } from './1764000000000-one-rollout-per-track';
import { Convergence1764940000000 } from './1764940000000-convergence';

export const migrations = [
  Initial1763790000000, RolloutCauses1763800000000, WavesAndWindows1763830000000, LeadTime1763840000000, Cowboys1763850000000,
  OneRolloutPerTrack1764000000000, Convergence1764940000000,
];
