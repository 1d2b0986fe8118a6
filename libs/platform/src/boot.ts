/**
 * The first import of every service's `main.ts`, before any library loads: sizes the V8 heap
 * (see heap.ts). Set this late, the young generation has already grown while Nest, TypeORM and
 * Fastify were loading, and stays grown: measured, rollout then idles at 143 MB instead of 110.
 */
import { applyHeapProfile } from './heap';

try {
  applyHeapProfile();
} catch (e) {
  process.stderr.write(`runway: cannot start: ${(e as Error).message}\n`);
  process.exit(1);
}
