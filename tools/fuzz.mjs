#!/usr/bin/env node
/**
 * `npm run fuzz [-- --runs N] [-- <jest args>]`: the fuzz suite (test/fuzz) at full strength:
 * 10,000 generated malformed inputs on every HTTP route and every consumed subject of every
 * service (`npm test` runs the same files with a few dozen). Set FUZZ_SEED to replay a run.
 * The last line is one JSON object: inputs per route and subject, 5xx answers, crashes,
 * dead-lettered messages and the duration.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ensureInstalled, ensureNats, ensurePostgres, run } from './infra.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--runs');
const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : Number(process.env.FUZZ_RUNS ?? 10_000);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: npm run fuzz [-- --runs <inputs per route and subject>] [jest args]');
  process.exit(2);
}
const started = Date.now();
ensureInstalled();
const pg = await ensurePostgres(() => undefined);
const nats = await ensureNats(() => undefined);
if (build() !== 0) process.exit(1);

const reports = mkdtempSync(join(tmpdir(), 'runway-fuzz-'));
const seed = process.env.FUZZ_SEED ?? String(Date.now() % 2 ** 31);
const code = run('npx', ['jest', '--selectProjects', 'integration', '--testPathPatterns', 'test/fuzz/', '--testTimeout', String(4 * 3600_000), ...args], {
  env: { DATABASE_URL: pg.url, NATS_URL: nats.url, FUZZ_RUNS: String(runs), FUZZ_SEED: seed, FUZZ_REPORT_DIR: reports },
});

const summary = { name: 'fuzz', runsPerTarget: runs, seed: Number(seed), passed: code === 0, http: {}, events: {}, inputs: 0, fiveXX: 0, otherHttpFailures: 0, crashes: 0, deadLettered: 0, messagesWithoutReason: 0, durationS: 0 };
for (const file of readdirSync(reports).sort()) {
  const r = JSON.parse(readFileSync(join(reports, file), 'utf8'));
  if (file.endsWith('.http.json')) {
    summary.http[r.service] = { routes: r.routes, inputs: r.inputs, statuses: r.statuses, fiveXX: r.fiveXX, durationS: Math.round(r.durationMs / 1000) };
    summary.fiveXX += r.fiveXX;
    summary.otherHttpFailures += r.otherFailures;
  } else {
    summary.events[r.service] = { subjects: r.subjects, inputs: r.inputs, deadLettered: r.deadLettered, durationS: Math.round(r.durationMs / 1000) };
    summary.deadLettered += r.deadLettered;
    summary.messagesWithoutReason += r.withoutReason;
  }
  summary.inputs += r.inputs;
  summary.crashes += r.crashes;
}
rmSync(reports, { recursive: true, force: true });
summary.durationS = Math.round((Date.now() - started) / 1000);
await pg.stop?.();
console.log(JSON.stringify(summary));
process.exit(code);
