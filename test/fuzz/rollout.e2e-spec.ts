/** The fuzz on rollout: see fuzz-service.ts; `npm run fuzz` sends 10,000 inputs per route and subject. */
import { rollout } from '../../apps/rollout/src/definition';
import { fuzzService } from './fuzz-service';

fuzzService(rollout);
