/**
 * The first import of a service whose work is many small requests (flags' evaluation API): it
 * keeps Node's own heap sizing unless RUNWAY_HEAP says otherwise. With the compact profile's
 * fixed 1 MB young generation, 20,000 evaluations a second meant a scavenge every few
 * milliseconds; `bench flags` measured about 10% fewer requests a second.
 */
import { applyHeapProfile } from './heap';

try {
  applyHeapProfile(process.env.RUNWAY_HEAP ?? 'default');
} catch (e) {
  process.stderr.write(`runway: cannot start: ${(e as Error).message}\n`);
  process.exit(1);
}
