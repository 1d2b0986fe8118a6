/** The fuzz on flags: see fuzz-service.ts; `npm run fuzz` sends 10,000 inputs per route and subject. */
import { flags } from '../../apps/flags/src/definition';
import { fuzzService } from './fuzz-service';

fuzzService(flags);
