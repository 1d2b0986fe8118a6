/**
 * `npm run chaos [-- --landings 10000 --agents 20 --replicas 2 --cluster --kill-every-ms 3000 --seed 7]`:
 * the full chaos run (see chaos.ts). Prints progress, then one JSON summary as the last line;
 * exits 1 on any loss, double or disagreement with the model.
 * `npm run chaos -- --domain histories --runs N [--seed S] [--parallel K]`: the generated-histories
 * run instead (histories/runner.ts).
 * `npm run chaos -- --domain rollout --runs N [--seed S] [--parallel K] [--steps a-b] [--agents a-b] [--tame]`: random operators and
 * dying servers around the real rollout service and agents (rollout/runner.ts).
 */
import { runChaos } from './chaos';
import { historiesCli } from './histories/runner';
import { rolloutCli } from './rollout/runner';

const args = process.argv.slice(2);
const num = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const cluster = args.includes('--cluster');
const domain = args.includes('--domain') ? args[args.indexOf('--domain') + 1] : undefined;

if (domain === 'histories') {
  // Generated git histories through qa-gate and promotion (issue 13): see histories/runner.ts.
  historiesCli(args).catch((e: unknown) => {
    process.stderr.write(`histories run failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
} else if (domain === 'rollout') {
  // Random operators and dying servers around rollout and its agents (issue 14): see rollout/runner.ts.
  rolloutCli(args).catch((e: unknown) => {
    process.stderr.write(`rollout run failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
} else if (domain !== undefined) {
  process.stderr.write(`unknown --domain ${domain} (known: histories, rollout)\n`);
  process.exit(2);
} else runChaos({
  landings: num('landings', 10_000),
  agents: num('agents', 20),
  replicas: num('replicas', 2),
  natsNodes: cluster ? 3 : 1,
  killEveryMs: num('kill-every-ms', 3000),
  restartNats: true,
  restartPostgres: !args.includes('--no-postgres-restart'),
  malformed: num('malformed', 30),
  seed: num('seed', Date.now() % 100_000),
  quiesceTimeoutMs: num('quiesce-timeout-s', 600) * 1000,
  logLevel: args.includes('--log-level') ? args[args.indexOf('--log-level') + 1] : 'warn',
  log: (line) => process.stdout.write(`${line}\n`),
}).then(
  (s) => {
    if (s.failures.length) process.stdout.write(`failures:\n  ${s.failures.join('\n  ')}\n`);
    process.stdout.write(`lost: ${s.lost}, doubled: ${s.doubled}\n`);
    process.stdout.write(`${JSON.stringify({ name: cluster ? 'chaos-cluster' : 'chaos', ...s })}\n`);
    process.exit(s.failures.length ? 1 : 0);
  },
  (e: unknown) => {
    process.stderr.write(`chaos run failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
