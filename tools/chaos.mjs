#!/usr/bin/env node
/**
 * `npm run chaos [-- args]`: builds, then runs test/chaos/run.ts. It starts its own Postgres
 * (the system's initdb, in a temporary directory) and its own nats-server(s), so it can kill
 * and restart them; it needs Postgres's binaries and nats-server on this machine. Arguments go
 * to run.ts (e.g. `-- --cluster` for the three-node NATS cluster variant).
 */
import { join } from 'node:path';
import { build, ensureInstalled, ROOT, run } from './infra.mjs';

ensureInstalled();
if (build() !== 0) process.exit(1);
process.exit(run('node', ['-r', join(ROOT, 'bench', 'register.cjs'), join(ROOT, 'test', 'chaos', 'run.ts'), ...process.argv.slice(2)]));
