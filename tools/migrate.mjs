#!/usr/bin/env node
/** `npm run migrate`: applies every service's pending migrations to DATABASE_URL (or the local default). */
import { build, ensureDatabase, ensureInstalled, ensurePostgres, run } from './infra.mjs';

ensureInstalled();
const pg = await ensurePostgres();
const url = process.env.DATABASE_URL ?? (await ensureDatabase(pg.url, 'runway'));
if (build() !== 0) process.exit(1);
let failed = 0;
for (const service of ['qa-gate', 'promotion', 'rollout', 'flags', 'trail']) {
  failed += run('node', [`apps/${service}/dist/main.js`, 'migrate'], { env: { DATABASE_URL: url, PORT: '0' } }) === 0 ? 0 : 1;
}
await pg.stop?.();
process.exit(failed ? 1 : 0);
