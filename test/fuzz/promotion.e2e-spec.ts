/** The fuzz on promotion: see fuzz-service.ts; `npm run fuzz` sends 10,000 inputs per route and subject. */
import { promotion } from '../../apps/promotion/src/definition';
import { fuzzService } from './fuzz-service';

fuzzService(promotion);
