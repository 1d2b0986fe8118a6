#!/usr/bin/env node
/**
 * `npm test`: everything, in order, stopping at the first failure.
 *   install (if needed) → git and Chromium (found or installed) → Postgres and NATS (found or
 *   started) → build → typecheck → lint →
 *   unit tests → integration and end-to-end tests (real Postgres, NATS and processes).
 * Extra arguments go to Jest, e.g. `npm test -- apps/qa-gate`.
 */
import { build, ensureChromium, ensureGit, ensureInstalled, ensureNats, ensurePostgres, run } from './infra.mjs';

const started = Date.now();
const step = (name) => console.log(`\n▶ ${name}`);
const fail = (name) => {
  console.error(`\n✖ ${name} failed after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exit(1);
};

ensureInstalled();
step('what the tests need from outside npm');
try {
  console.log(`  git: ${ensureGit()}`);
  const chromium = ensureChromium();
  console.log(`  Chromium: ${chromium.path} (${chromium.source})`);
} catch (e) {
  console.error(`\n✖ ${e.message}`);
  process.exit(1);
}
step('Postgres and NATS');
const pg = await ensurePostgres();
const nats = await ensureNats();
console.log(`  Postgres: ${pg.source}\n  NATS: ${nats.source}`);
const env = { DATABASE_URL: pg.url, NATS_URL: nats.url };
const jestArgs = process.argv.slice(2);

step('build');
if (build() !== 0) fail('build');
step('typecheck');
if (run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) !== 0) fail('typecheck');
step('lint');
if (run('npx', ['eslint', '--max-warnings=0', '.']) !== 0) fail('lint');
step('unit tests');
if (run('npx', ['jest', '--selectProjects', 'unit', '--passWithNoTests', ...jestArgs], { env }) !== 0) fail('unit tests');
step('integration and end-to-end tests');
if (run('npx', ['jest', '--selectProjects', 'integration', '--passWithNoTests', ...jestArgs], { env }) !== 0) fail('integration tests');

await pg.stop?.();
console.log(`\n✔ all checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(0);
