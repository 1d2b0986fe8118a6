#!/usr/bin/env node
/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts after a build. Each benchmark prints
 * JSON as its last line, with the floor (raw Postgres / raw NATS) measured in the same run.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build, ensureInstalled, ensureNats, ensurePostgres, ROOT, run } from './infra.mjs';

const [name, ...args] = process.argv.slice(2);
const dir = join(ROOT, 'bench');
const available = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', ''));
if (!name || !existsSync(join(dir, `${name}.bench.ts`))) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [args]`);
  process.exit(2);
}
ensureInstalled();
const pg = await ensurePostgres(() => undefined);
const nats = await ensureNats(() => undefined);
if (build() !== 0) process.exit(1);
const code = run('node', ['-r', join(ROOT, 'bench', 'register.cjs'), join(dir, `${name}.bench.ts`), ...args], {
  env: { DATABASE_URL: pg.url, NATS_URL: nats.url },
});
await pg.stop?.();
process.exit(code);
