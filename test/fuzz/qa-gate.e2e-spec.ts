/** The fuzz on qa-gate: see fuzz-service.ts; `npm run fuzz` sends 10,000 inputs per route and subject. */
import { qaGate } from '../../apps/qa-gate/src/definition';
import { fuzzService } from './fuzz-service';

fuzzService(qaGate);
