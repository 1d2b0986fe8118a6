/**
 * `npm run bench -- flags [--seconds 10] [--connections 50] [--evals 10000000]`: how fast flags
 * are answered, over HTTP and in-process.
 *
 * Set-up (not measured): the flags service as a real process on its own database and NATS
 * namespace, 50 documented flags × 5 rules (default, server, team, percent and user scopes),
 * and an sdk token.
 *
 *  1. OFREP over HTTP: autocannon, `--connections` connections for `--seconds` s, POSTing single
 *     flag evaluations that cycle through the 50 flags and 50 contexts. Goal ≥ 22,000 req/s.
 *     Floor, same run, same client: a bare Fastify server in its own process that parses the
 *     same JSON bodies and answers a constant of the same shape.
 *  2. SDK in-process: a FlagClient fed by the service evaluates `--evals` times over 50 flags and
 *     1,000 mixed contexts, five rounds; the best round counts. Goal ≥ 10,000,000/s.
 *     Floor: the same loop doing only the map lookup of the flag (what any evaluator must do).
 *  3. Propagation: 30 rule edits; from the PUT's answer until an SDK client, following NATS,
 *     has the new version. Floor: a JetStream publish → consume round trip.
 *
 * Human-readable lines first; the last line is one JSON object.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { type FlagContext, FlagClient } from '@runway/sdk';
import { createIsolatedDatabase, dropNamespace, freePort, TEST_ADMIN_TOKEN, uniqueNamespace } from '@runway/testing';
import { startService } from '../tools/stack.cjs';
import {
  intFlag, measureJetStreamRoundTrip, requireEnv, roundResult, runBenchmark, summarize, wallMs, withTimeout,
} from './lib';

const ARGS = process.argv.slice(2);
const SECONDS = intFlag(ARGS, 'seconds', 10);
const CONNECTIONS = intFlag(ARGS, 'connections', 50);
const EVALS = intFlag(ARGS, 'evals', 10_000_000);
const FLAGS = 50;
const GOAL_REQ_S = 22_000;
const GOAL_EVALS_S = 10_000_000;
const EDITS = 30;

const NATS_URL = requireEnv('NATS_URL');

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const undo: { what: string; fn: () => Promise<unknown> }[] = [];
async function cleanup(): Promise<void> {
  while (undo.length) {
    const { what, fn } = undo.pop()!;
    try {
      await withTimeout(fn(), 20_000, `cleanup: ${what}`);
    } catch (e) {
      process.stderr.write(`cleanup: ${what} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}

// ── the floor's server: a child process running this file with `--floor-server` ───────────────

if (process.argv.includes('--floor-server')) {
  // Loaded only in the child; Fastify is what the service is built on.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fastify = (require('fastify') as typeof import('fastify')).default({ logger: false });
  const answer = { key: 'flag-7', value: 'on', reason: 'TARGETING_MATCH', variant: 'team:qa', metadata: { version: 2, priority: 10, domain: 'string' } };
  fastify.post('/ofrep/v1/evaluate/flags/:key', async () => answer);
  void fastify.listen({ port: Number(process.env.FLOOR_PORT), host: '127.0.0.1' }).then(() => process.send?.('ready'));
} else {
  runBenchmark({ name: 'flags', watchdogMs: 300_000 + SECONDS * 4000, main, cleanup });
}

function rulesText(): string {
  const lines: string[] = [];
  for (let f = 0; f < FLAGS; f++) {
    const flag = `flag-${f}`;
    lines.push(`${flag} default 0 off`, `${flag} server.lpnet 10 production`, `${flag} team:qa 20 qa`, `${flag} percent:30 30 split`, `${flag} user:user-${f} 40 mine`);
  }
  return lines.join('\n');
}

function contexts(n: number): FlagContext[] {
  return Array.from({ length: n }, (_, i) => ({
    targetingKey: `user-${i}`,
    user: `user-${i}`,
    teams: i % 5 === 0 ? ['qa', 'dev'] : ['dev'],
    server: i % 3 === 0 ? 'lpnet' : 'edge',
    pageId: i % 7 === 0 ? 'Person:+edit' : 'Project:+index',
  }));
}

async function load(url: string, token: string): Promise<autocannon.Result> {
  const ctxs = contexts(FLAGS);
  const requests = Array.from({ length: FLAGS }, (_, i) => ({
    method: 'POST' as const,
    path: `/ofrep/v1/evaluate/flags/flag-${(i * 7) % FLAGS}`,
    body: JSON.stringify({ context: ctxs[i] }),
  }));
  return autocannon({
    url, connections: CONNECTIONS, duration: SECONDS, requests,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
}

async function startFloorServer(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = fork(__filename, ['--floor-server'], { env: { ...process.env, FLOOR_PORT: String(port) }, execArgv: ['-r', join(__dirname, 'register.cjs')] });
  await withTimeout(new Promise<void>((resolve) => child.once('message', () => resolve())), 30_000, 'floor server start');
  return { url: `http://127.0.0.1:${port}`, child };
}

async function put(url: string, path: string, body: unknown): Promise<{ version: number }> {
  const res = await fetch(`${url}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`PUT ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { version: number };
}

function evalRate(client: FlagClient, n: number): { rate: number; floor: number; sink: number } {
  const names = Array.from({ length: FLAGS }, (_, i) => `flag-${i}`);
  const ctxs = contexts(1000);
  const evaluator = client.current;
  let sink = 0;
  let best = 0;
  let floorBest = 0;
  const lookup = new Map(names.map((n) => [n, { n }]));
  for (let round = 0; round < 5; round++) {
    let t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const v = evaluator.value(names[i % FLAGS], ctxs[i % 1000]);
      if (v !== undefined) sink += v.length;
    }
    best = Math.max(best, n / (Number(process.hrtime.bigint() - t) / 1e9));
    t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const v = lookup.get(names[i % FLAGS]);
      if (v !== undefined && ctxs[i % 1000].server !== undefined) sink += v.n.length;
    }
    floorBest = Math.max(floorBest, n / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  return { rate: best, floor: floorBest, sink };
}

async function main(): Promise<void> {
  const db = await createIsolatedDatabase();
  undo.push({ what: 'drop the database', fn: () => db.drop() });
  const namespace = uniqueNamespace();
  undo.push({ what: 'drop the NATS namespace', fn: () => dropNamespace(NATS_URL, namespace) });
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-flags-'));
  undo.push({ what: 'remove the work directory', fn: async () => rmSync(dir, { recursive: true, force: true }) });
  const port = await freePort();
  const svc = await startService(
    'flags',
    { DATABASE_URL: db.url, NATS_URL, RUNWAY_NAMESPACE: namespace, RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'warn' },
    { logDir: join(dir, 'logs'), port },
  );
  undo.push({ what: 'stop flags', fn: () => svc.kill() });
  const url = svc.url;
  log(`flags benchmark: ${FLAGS} flags × 5 rules, ${CONNECTIONS} connections for ${SECONDS} s, ${EVALS.toLocaleString('en')} SDK evaluations a round`);
  for (let f = 0; f < FLAGS; f++) await put(url, `/flags/flag-${f}`, { title: `Flag ${f}`, domain: 'string', default: 'off', comment: 'benchmark flag' });
  await put(url, '/rules', { text: rulesText(), comment: 'benchmark rules' });
  const tokenRes = await fetch(`${url}/tokens`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench sdk', roles: ['sdk'] }),
  });
  const { token } = (await tokenRes.json()) as { token: string };

  // 1. OFREP over HTTP, with the floor in the same run.
  const floorServer = await startFloorServer();
  undo.push({ what: 'stop the floor server', fn: async () => floorServer.child.kill() });
  await load(url, token); // warm-up is the same as a run: JIT, caches, connections
  const floorRun = await load(floorServer.url, token);
  floorServer.child.kill();
  const run = await load(url, token);
  if (run.non2xx > 0 || run.errors > 0) throw new Error(`OFREP answered ${run.non2xx} non-2xx and ${run.errors} errors`);
  log(`OFREP single flag: ${Math.round(run.requests.average)} req/s, p50 ${run.latency.p50} ms, p99 ${run.latency.p99} ms (${run.requests.total} requests)`);
  log(`  floor (bare Fastify, same bodies): ${Math.round(floorRun.requests.average)} req/s, p99 ${floorRun.latency.p99} ms; ratio ${(run.requests.average / floorRun.requests.average).toFixed(2)}`);

  // 2. The SDK, in this process.
  const client = await FlagClient.start({ url, token, natsUrl: NATS_URL, namespace, reportIntervalMs: 0 });
  undo.push({ what: 'close the SDK client', fn: () => client.close() });
  const sdk = evalRate(client, EVALS);
  log(`SDK in-process: ${(sdk.rate / 1e6).toFixed(2)} M evaluations/s (best of 5); floor (the flag lookup alone) ${(sdk.floor / 1e6).toFixed(2)} M/s`);

  // 3. Propagation of an edit to an SDK client following NATS.
  const delays: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    const { version } = await put(url, '/rules', { text: `${rulesText()}\nflag-0 user:edit-${i} 50 edited`, comment: `edit ${i}` });
    const answered = wallMs();
    const deadline = answered + 10_000;
    while (client.version < version) {
      if (wallMs() > deadline) throw new Error(`the SDK did not reach version ${version} within 10 s`);
      await new Promise((r) => setImmediate(r));
    }
    delays.push(wallMs() - answered);
  }
  const prop = summarize(delays);
  const js = await measureJetStreamRoundTrip({ databaseUrl: db.url, natsUrl: NATS_URL, namespace, iterations: 100 });
  log(`propagation to the SDK after an edit: p50 ${prop.p50.toFixed(2)} ms, p99 ${prop.p99.toFixed(2)} ms (${EDITS} edits); floor: JetStream round trip p50 ${js.p50.toFixed(2)} ms`);

  const result = roundResult({
    name: 'flags',
    ofrep_req_s: run.requests.average,
    ofrep_p50_ms: run.latency.p50,
    ofrep_p99_ms: run.latency.p99,
    floor_req_s: floorRun.requests.average,
    ratio: run.requests.average / floorRun.requests.average,
    sdk_evals_per_s: sdk.rate,
    sdk_floor_per_s: sdk.floor,
    propagation_p50_ms: prop.p50,
    propagation_p99_ms: prop.p99,
    jetstream_roundtrip_ms: js.p50,
    goal_req_s_met: run.requests.average >= GOAL_REQ_S,
    goal_evals_met: sdk.rate >= GOAL_EVALS_S,
  });
  log(`goals: OFREP ≥ ${GOAL_REQ_S} req/s: ${result.goal_req_s_met ? 'met' : 'NOT met'}; SDK ≥ ${GOAL_EVALS_S / 1e6} M/s: ${result.goal_evals_met ? 'met' : 'NOT met'}`);
  await cleanup();
  log(JSON.stringify(result));
  if (sdk.sink < 0) log(''); // keeps the loops' work observable
}
