/**
 * `npm run bench -- qa-gate [--revisions 100000] [--changes 500] [--landings 20000] [--concurrency 64]`
 *   `[--keep-logs] [--log-level warn] [--profile] [--log-slow-ms N]`
 *
 * `--profile`: qa-gate writes a V8 CPU profile of each phase, kept with the logs (it slows
 * qa-gate down). `--log-slow-ms N`: Postgres logs every statement of the bench's databases that
 * takes N ms or more (0: all), with its plan (auto_explain, nested statements included), in its
 * server log under the database's name.
 *
 * The two targets of qa-gate, each beside its floor measured in the same run on the same servers:
 *
 * A. Deployable recomputation on a branch of `--revisions` revisions with a random status mix:
 *    ≤ 5 ms per status change. qa-gate runs as a real process on an isolated database; the
 *    revisions are inserted with SQL (as if read from git), the frontier is computed once, then
 *    `--changes` status changes go over HTTP one at a time (PATCH /revisions/:id/qa: status
 *    write, recompute and outbox write in one transaction), mostly at and just above the
 *    frontier. Beside each one, in the same loop: the floor (a trivial authenticated GET,
 *    GET /health/live, one Postgres UPDATE+COMMIT and a SELECT 1), and, from this process with
 *    plain `pg`, the recompute's own queries plus the real DeployableWalk (read only; it also
 *    tells which revision blocks) and the status change's statements rolled back. Then, on its
 *    own, GET /deployable as many times (the explain walk, up to 5000 rows).
 *
 * B. Landings through POST /buildbot, end to end (HTTP → DB → revision-landed on JetStream):
 *    ≥ 2,000/s. A fresh qa-gate on a fresh database and namespace gets `--landings` finished,
 *    successful buildbot bodies (the HttpStatusPush fixture, each with its own build id and
 *    sha) with 64 requests (`--concurrency`) in flight on keep-alive connections. `per_s`
 *    counts until the last revision-landed event is on the stream; `http_accept_per_s` until
 *    the last 202; the database must then hold exactly r1..rM, once each. Then the floor: a
 *    bare node:http server answering 202 to the same bodies with the same client, single-row
 *    INSERT (autocommit) with 10 connections, and JetStream publishes awaited in windows of
 *    256 (as the outbox relay does). CPU use by process over each phase comes from /proc; a
 *    warning says when processes outside the benchmark took a share of the machine.
 *
 * Human-readable lines first; the last line is one JSON object.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, type Msg, nanos } from '@nats-io/transport-node';
import { Client, type QueryResultRow } from 'pg';
import { Events, type QaStatus, Subjects } from '@runway/contracts';
import { createIsolatedDatabase, dropNamespace, freePort, type IsolatedDatabase, TEST_ADMIN_TOKEN, uniqueNamespace } from '@runway/testing';
import { DeployableWalk, type RevisionQa } from '../apps/qa-gate/src/revisions/deployable';
import { issueToken, type ProcessHandle, ROOT, startService } from '../tools/stack.cjs';
import {
  benchState, formatMs, intFlag, isRecord, requireEnv, roundResult, runBenchmark, runPool, sleep, summarize, type Summary, TimeoutError, waitFor, wallMs, withTimeout,
} from './lib';

const ARGS = process.argv.slice(2);
const REVISIONS = intFlag(ARGS, 'revisions', 100_000);
const CHANGES = intFlag(ARGS, 'changes', 500);
const LANDINGS = intFlag(ARGS, 'landings', 20_000);
const KEEP_LOGS = ARGS.includes('--keep-logs');
const LOG_LEVEL = stringFlag(ARGS, 'log-level', 'warn');
const PROFILE = ARGS.includes('--profile');
const LOG_SLOW_MS = ((raw: string) => {
  if (raw === '') return null;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--log-slow-ms must be a whole number of milliseconds, not ${JSON.stringify(raw)}`);
  return v;
})(stringFlag(ARGS, 'log-slow-ms', ''));

const BRANCH = 'stable';
const STATUS_TARGET_MS = 5;
const LANDING_TARGET_PER_S = 2000;
/** Status changes and explains done before measuring (JIT, pools, caches); they count in the frontier's move. */
const WARMUP_CHANGES = 20;
/** Changes land at random this far above the frontier. */
const WINDOW = 3000;
/** As DeployableService (not exported there): the walk reads 64 rows, then four times more each time, up to 4096. */
const FIRST_CHUNK = 64;
const MAX_CHUNK = 4096;
/** Landings in flight at once in B (and in its HTTP floor). */
const CONCURRENCY = intFlag(ARGS, 'concurrency', 64);
const WARMUP_POSTS = 500;
const PG_FLOOR_CONNECTIONS = 10;
const JS_WINDOW = 256;
const REQUEST_TIMEOUT_MS = 30_000;
/** Phase B fails if no response and no event arrives for this long. */
const STALL_TIMEOUT_MS = 20_000;
const WATCHDOG_MS = 300_000 + REVISIONS * 2 + CHANGES * 400 + LANDINGS * 15;

const DATABASE_URL = requireEnv('DATABASE_URL');
const NATS_URL = requireEnv('NATS_URL');
const FIXTURE = join(ROOT, 'apps', 'qa-gate', 'test', 'fixtures', 'buildbot', 'build-finished-success.json');

function stringFlag(argv: readonly string[], name: string, fallback: string): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && argv[i + 1] !== undefined) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return fallback;
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A deterministic PRNG (mulberry32), so that two runs seed and change the same things. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Cleanup: things to undo, last first. Each is bounded in time and never throws.

const undo: { what: string; fn: () => Promise<unknown> }[] = [];
/** Set once the run has failed: nothing new may start, the cleanup is under way. */
let workDir: string | null = null;
let keepWorkDir = true;

async function cleanup(): Promise<void> {
  while (undo.length) {
    const { what, fn } = undo.pop()!;
    try {
      await withTimeout(fn(), 20_000, `cleanup: ${what}`);
    } catch (e) {
      process.stderr.write(`cleanup: ${what} failed: ${errorText(e)}\n`);
    }
  }
}

async function isolatedDatabase(label: string): Promise<IsolatedDatabase> {
  if (benchState.failing) throw new Error('the run has failed; not creating a database');
  const db = await createIsolatedDatabase(DATABASE_URL);
  undo.push({ what: `drop database ${label}`, fn: () => db.drop() });
  if (benchState.failing) throw new Error('the run has failed');
  return db;
}

// ---------------------------------------------------------------------------------------------
// HTTP: node:http on keep-alive connections, which costs the client less than fetch.

interface HttpAnswer {
  status: number;
  body: string;
}

class HttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets: number) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(method: string, path: string, opts: { token?: string; body?: Buffer } = {}): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.body) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = opts.body.length;
      }
      const req = http.request({ agent: this.agent, host: this.host, port: this.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new TimeoutError(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function json(answer: HttpAnswer, what: string): unknown {
  try {
    return JSON.parse(answer.body);
  } catch {
    throw new Error(`${what}: answered ${answer.status} with a body that is not JSON: ${answer.body.slice(0, 300)}`);
  }
}

function expectStatus(answer: HttpAnswer, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: answered ${answer.status}, expected ${status}: ${answer.body.slice(0, 500)}`);
}

// ---------------------------------------------------------------------------------------------
// Processes and CPU

interface QaGate {
  handle: ProcessHandle & { url: string };
  http: HttpClient;
}

async function startQaGate(db: IsolatedDatabase, namespace: string, label: string): Promise<QaGate> {
  if (benchState.failing) throw new Error('the run has failed; not starting qa-gate');
  if (LOG_SLOW_MS !== null) {
    const admin = new Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5000 });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${db.name} SET log_min_duration_statement = ${LOG_SLOW_MS}`);
      await admin.query(`ALTER DATABASE ${db.name} SET session_preload_libraries = 'auto_explain'`);
      await admin.query(`ALTER DATABASE ${db.name} SET auto_explain.log_min_duration = ${LOG_SLOW_MS}`);
      await admin.query(`ALTER DATABASE ${db.name} SET auto_explain.log_nested_statements = on`);
    } finally {
      await admin.end();
    }
  }
  const dir = workDir ?? mkdtempSync(join(tmpdir(), 'runway-bench-qa-gate-'));
  if (!workDir) {
    workDir = dir;
    undo.push({ what: 'remove the work directory', fn: async () => (keepWorkDir ? undefined : rmSync(dir, { recursive: true, force: true })) });
  }
  const env: Record<string, string | undefined> = {
    DATABASE_URL: db.url, NATS_URL, RUNWAY_NAMESPACE: namespace, RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL,
    // No git repository: landings count as read from git at once.
    QA_GIT_REPOSITORY: undefined,
  };
  if (PROFILE) env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${profilerPreload(dir, label)}`.trim();
  const handles: ProcessHandle[] = [];
  undo.push({ what: `stop qa-gate (${label})`, fn: () => Promise.all(handles.map((h) => h.stop())) });
  const handle = await startService('qa-gate', env, { logDir: join(dir, `logs-${label}`), port: await freePort() });
  handles.push(handle);
  const client = new HttpClient(handle.url, CONCURRENCY);
  undo.push({ what: `close the HTTP agent (${label})`, fn: async () => client.close() });
  return { handle, http: client };
}

/**
 * A preload that profiles the whole process with the inspector and writes `qa-gate-<label>.cpuprofile`
 * at exit (`--cpu-prof` is not allowed in NODE_OPTIONS). Open it in Chrome DevTools or speedscope.
 */
function profilerPreload(dir: string, label: string): string {
  const file = join(dir, `profiler-${label}.cjs`);
  const out = join(dir, `qa-gate-${label}.cpuprofile`);
  writeFileSync(
    file,
    `'use strict';
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 250 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(${JSON.stringify(out)}, JSON.stringify(res.profile));
  });
});
`,
  );
  return file;
}

function checkAlive(qa: QaGate): void {
  if (benchState.failing) throw new Error('the run has failed');
  const p = qa.handle.proc;
  if (p.exitCode !== null || p.signalCode !== null) throw new Error(`qa-gate exited (${p.exitCode ?? p.signalCode}); see ${qa.handle.logFile}`);
}

const CLOCK_TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** Where the machine's CPU went, in seconds since boot, from /proc. */
interface CpuSnapshot {
  at: number;
  /** This process. */
  bench: number;
  qaGate: number;
  /** Postgres backends serving this benchmark's database. */
  pgOurs: number;
  /** Postgres's own processes (WAL writer, checkpointer, autovacuum...), shared by everyone. */
  pgShared: number;
  nats: number;
  /** Everything else: other sessions' tests and builds, other databases' backends. */
  others: number;
}

function cpuSnapshot(qaGatePid: number | undefined, database: string): CpuSnapshot {
  const at = wallMs();
  const u = process.cpuUsage();
  const snap: CpuSnapshot = { at, bench: (u.user + u.system) / 1e6, qaGate: 0, pgOurs: 0, pgShared: 0, nats: 0, others: 0 };
  let machineBusy = 0;
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
    const t = cpu.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    machineBusy = (t.reduce((a, b) => a + b, 0) - t[3] - (t[4] ?? 0) - (t[8] ?? 0) - (t[9] ?? 0)) / CLOCK_TICKS;
  } catch {
    machineBusy = Number.NaN;
  }
  let accounted = snap.bench;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    /* no /proc */
  }
  for (const e of entries) {
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const sec = (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
      if (pid === qaGatePid) snap.qaGate += sec;
      else if (comm === 'nats-server') snap.nats += sec;
      else if (comm === 'postgres' || comm.startsWith('postgres')) {
        const title = readFileSync(`/proc/${e}/cmdline`, 'utf8');
        if (title.includes(` ${database} `)) snap.pgOurs += sec;
        else if (/postgres: [^:]+: (checkpointer|background writer|walwriter|autovacuum|logical replication|stats|archiver)/.test(title) || !title.includes(':')) snap.pgShared += sec;
        else continue;
      } else continue;
      accounted += sec;
    } catch {
      /* gone meanwhile */
    }
  }
  // Processes that exit between two snapshots are lost from the sums but not from /proc/stat,
  // so `others` also holds whatever short-lived processes did.
  snap.others = machineBusy - accounted;
  return snap;
}

interface CpuUse {
  line: string;
  /** Fraction of one CPU, by part. */
  shares: Record<string, number>;
  /** Fraction of the whole machine used by processes outside this benchmark. */
  othersShare: number;
}

function cpuUse(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const wall = (b.at - a.at) / 1000;
  const parts: [string, string, number][] = [
    ['bench', 'bench client', b.bench - a.bench],
    ['qa_gate', 'qa-gate', b.qaGate - a.qaGate],
    ['postgres', 'its Postgres backends', b.pgOurs - a.pgOurs],
    ['postgres_shared', 'Postgres background', b.pgShared - a.pgShared],
    ['nats_server', 'nats-server', b.nats - a.nats],
    ['others', 'other processes', Math.max(0, b.others - a.others)],
  ];
  const cores = cpus().length;
  const shares: Record<string, number> = {};
  for (const [k, , v] of parts) shares[k] = v / wall;
  return {
    line: `CPU over ${wall.toFixed(2)} s on ${cores} CPUs: ${parts.map(([, name, v]) => `${name} ${v.toFixed(2)} s (${((v / wall) * 100).toFixed(0)}%)`).join(', ')}`,
    shares,
    othersShare: shares.others / cores,
  };
}

// ---------------------------------------------------------------------------------------------
// Postgres

async function pgClient(url: string, searchPath?: string): Promise<Client> {
  const c = new Client({
    connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: 120_000,
    ...(searchPath ? { options: `-c search_path=${searchPath}` } : {}),
  });
  await c.connect();
  undo.push({ what: 'close a Postgres connection', fn: () => c.end() });
  return c;
}

async function rows<T extends QueryResultRow>(c: Client, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await c.query<T>(sql, params)).rows;
}

// ---------------------------------------------------------------------------------------------
// A. Status changes on a long branch

type ChangeKind = 'unblock' | 'ok' | 'needs-testing' | 'bad' | 'bad+fix';

interface Seeded {
  /** Revision id by revno (index 0 unused). */
  ids: string[];
  shas: string[];
  /** Status by revno, as seeded; the changes keep it current. */
  status: QaStatus[];
  counts: Record<QaStatus, number>;
  fixed: number;
  seconds: number;
}

const SEED_MIX: [QaStatus, number][] = [['ok', 0.8], ['untestable', 0.05], ['no-qa', 0.05], ['needs-testing', 0.05], ['bad', 0.05]];

/** Inserts `n` revisions on stable as if landed and read from git, with the random status mix. */
async function seedRevisions(c: Client, n: number): Promise<Seeded> {
  const t0 = performance.now();
  const rnd = prng(20100331);
  const status: QaStatus[] = new Array<QaStatus>(n + 1);
  const fixedBy = new Array<number | null>(n + 1).fill(null);
  const fixes = new Array<number | null>(n + 1).fill(null);
  const shas = new Array<string>(n + 1).fill('');
  for (let r = 1; r <= n; r++) {
    const x = rnd();
    let acc = 0;
    status[r] = 'ok';
    for (const [s, p] of SEED_MIX) {
      acc += p;
      if (x < acc) {
        status[r] = s;
        break;
      }
    }
    shas[r] = randomBytes(20).toString('hex');
  }
  // Half of the bad revisions have their fix landed 1..5 revisions later; the fix passes.
  let fixed = 0;
  for (let r = 1; r <= n; r++) {
    if (status[r] !== 'bad' || rnd() < 0.5) continue;
    const f = r + 1 + Math.floor(rnd() * 5);
    if (f > n || fixes[f] !== null || status[f] === 'bad') continue;
    status[f] = 'ok';
    fixedBy[r] = f;
    fixes[f] = r;
    fixed++;
  }
  const counts: Record<QaStatus, number> = { ok: 0, untestable: 0, 'no-qa': 0, 'needs-testing': 0, bad: 0 };
  for (let r = 1; r <= n; r++) counts[status[r]]++;

  const batch = 20_000;
  for (let from = 1; from <= n; from += batch) {
    const to = Math.min(n, from + batch - 1);
    const revnos: number[] = [];
    for (let r = from; r <= to; r++) revnos.push(r);
    await c.query(
      `INSERT INTO revisions (branch, revno, sha, author, landed_at, reported_by, qa_status, db, fixed_by_revno, fixes_revno, enriched_at, recorded_at)
       SELECT $1, t.r, t.s, 'Bench <bench@example.com>', now() - make_interval(secs => ($2::int - t.r) * 60), 'bench seed', t.q, t.d, t.f, t.x, now(), now()
         FROM unnest($3::int[], $4::text[], $5::text[], $6::bool[], $7::int[], $8::int[]) AS t(r, s, q, d, f, x)`,
      [
        BRANCH, n, revnos, revnos.map((r) => shas[r]), revnos.map((r) => status[r]), revnos.map((r) => r % 200 === 0),
        revnos.map((r) => fixedBy[r]), revnos.map((r) => fixes[r]),
      ],
    );
  }
  await c.query(
    `INSERT INTO branch_state (branch, tip_revno, tip_sha, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (branch) DO UPDATE SET tip_revno = $2, tip_sha = $3, updated_at = now()`,
    [BRANCH, n, shas[n]],
  );
  await c.query('VACUUM ANALYZE revisions');
  const ids = new Array<string>(n + 1).fill('');
  for (const row of await rows<{ id: string; revno: number }>(c, 'SELECT id, revno FROM revisions WHERE branch = $1', [BRANCH])) ids[row.revno] = row.id;
  return { ids, shas, status, counts, fixed, seconds: (performance.now() - t0) / 1000 };
}

interface DeployableView {
  deployable: number;
  blocker: { revno: number; id: string; kind: string } | null;
  waiting: number;
}

function readDeployable(body: unknown): DeployableView {
  if (!isRecord(body)) throw new Error('GET /deployable: not an object');
  const d = body.deployable;
  const b = body.blocker;
  return {
    deployable: isRecord(d) && typeof d.revno === 'number' ? d.revno : 0,
    blocker: isRecord(b) && typeof b.revno === 'number' && typeof b.id === 'string' && typeof b.kind === 'string' ? { revno: b.revno, id: b.id, kind: b.kind } : null,
    waiting: typeof body.waiting === 'number' ? body.waiting : 0,
  };
}

const WALK_SQL = `SELECT revno, sha, qa_status, fixed_by_revno, db, enriched_at IS NOT NULL AS enriched
                    FROM revisions WHERE branch = $1 AND revno > $2 ORDER BY revno LIMIT $3`;

interface WalkRow extends QueryResultRow {
  revno: number;
  sha: string;
  qa_status: QaStatus;
  fixed_by_revno: number | null;
  db: boolean;
  enriched: boolean;
}

interface RecomputeReplay {
  ms: number;
  rows: number;
  jsMs: number;
  /** What the walk found: the deployable revno (unchanged if it did not move) and the blocker's. */
  deployable: number;
  blocker: number | null;
}

/** What DeployableService.recompute reads and walks, with plain pg and the real DeployableWalk. Read only. */
async function replayRecompute(c: Client): Promise<RecomputeReplay> {
  const t0 = performance.now();
  const [state] = await rows<{ deployable_revno: number | null; tip_revno: number | null }>(c, 'SELECT * FROM branch_state WHERE branch = $1 LIMIT 1', [BRANCH]);
  const from = state?.deployable_revno ?? 0;
  const walk = new DeployableWalk(state?.tip_revno ?? Number.POSITIVE_INFINITY);
  let read = 0;
  let jsMs = 0;
  for (let cursor = from, size = FIRST_CHUNK; ; size = Math.min(size * 4, MAX_CHUNK)) {
    const chunk = await rows<WalkRow>(c, WALK_SQL, [BRANCH, cursor, size]);
    read += chunk.length;
    const t = performance.now();
    const qa: RevisionQa[] = chunk.map((r) => ({ revno: r.revno, sha: r.sha, status: r.qa_status, fixedByRevno: r.fixed_by_revno, db: r.db, enriched: r.enriched }));
    const more = walk.feed(qa);
    jsMs += performance.now() - t;
    if (chunk.length === 0 || !more || chunk.length < size) break;
    cursor = chunk[chunk.length - 1].revno;
  }
  const t = performance.now();
  const result = walk.finish();
  jsMs += performance.now() - t;
  return { ms: performance.now() - t0, rows: read, jsMs, deployable: Math.max(from, result.deployable?.revno ?? 0), blocker: result.blocker?.revno ?? null };
}

/**
 * The statements of one status change as RevisionsService runs them (find, lock, find, update,
 * history, outbox, branch state, walk, find), sent with plain pg on one connection and rolled
 * back: the database's share of a PATCH without Nest, TypeORM and the commit's WAL flush.
 */
async function replayStatusChange(c: Client, id: string, sha: string, status: QaStatus): Promise<number> {
  const t0 = performance.now();
  await c.query('SELECT * FROM revisions WHERE id = $1 LIMIT 1', [id]);
  await c.query('BEGIN');
  try {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`qa-gate.branch.${BRANCH}`]);
    const [rev] = await rows<{ qa_status: QaStatus }>(c, 'SELECT * FROM revisions WHERE branch = $1 AND sha = $2 LIMIT 1', [BRANCH, sha]);
    await c.query('UPDATE revisions SET qa_status = $2, status_changed_at = now() WHERE id = $1', [id, status]);
    await c.query('INSERT INTO qa_history (revision_id, from_status, to_status, by, note) VALUES ($1, $2, $3, $4, $5) RETURNING id, at', [
      id, rev?.qa_status ?? null, status, 'bench replay', null,
    ]);
    const envelope = { specversion: '1.0', id: randomUUID(), type: Events.QaStatusChanged.type, data: { branch: BRANCH, sha, to: status } };
    await c.query('INSERT INTO outbox (id, subject, type, envelope) VALUES ($1, $2, $3, $4)', [envelope.id, 'bench.replay', envelope.type, JSON.stringify(envelope)]);
    await replayRecompute(c);
    await c.query('SELECT * FROM revisions WHERE branch = $1 AND sha = $2 LIMIT 1', [BRANCH, sha]);
  } finally {
    await c.query('ROLLBACK');
  }
  return performance.now() - t0;
}

interface PhaseA {
  seeded: Seeded;
  change: Summary;
  byKind: Map<ChangeKind, number[]>;
  moving: number[];
  explain: Summary;
  explainWaiting: number;
  recompute: Summary;
  recomputeRows: Summary;
  walkJs: Summary;
  replay: Summary;
  floorGet: Summary;
  floorLive: Summary;
  floorUpdate: Summary;
  floorSelect: Summary;
  frontierStart: number;
  frontierEnd: number;
  moves: number;
  initialMs: number;
  /** Over the measured changes (with their floors and replays). */
  cpu: CpuUse;
  /** Null when this process's replay of the walk agrees with qa-gate's GET /deployable. */
  mirror: string | null;
}

async function phaseA(): Promise<PhaseA> {
  log(`A. status changes: ${REVISIONS} revisions on ${BRANCH}, ${CHANGES} changes (after ${WARMUP_CHANGES} warm-up), one at a time`);
  const db = await isolatedDatabase('A');
  const namespace = uniqueNamespace();
  undo.push({ what: 'drop namespace A', fn: () => dropNamespace(NATS_URL, namespace) });
  const qa = await startQaGate(db, namespace, 'a');
  const qaToken = await issueToken(qa.handle.url, TEST_ADMIN_TOKEN, { name: 'bench qa', roles: ['qa'] });
  log(`  qa-gate ${qa.handle.url} (pid ${qa.handle.pid}), database ${db.name}, namespace ${namespace}`);

  const c = await pgClient(db.url, 'qa_gate');
  const seeded = await seedRevisions(c, REVISIONS);
  const mix = Object.entries(seeded.counts).map(([s, k]) => `${s} ${k}`).join(', ');
  log(`  seeded ${REVISIONS} revisions with SQL in ${seeded.seconds.toFixed(1)} s (${mix}; ${seeded.fixed} bad ones have a landed fix)`);
  const plan = await rows<{ 'QUERY PLAN': string }>(c, `EXPLAIN (ANALYZE, BUFFERS) ${WALK_SQL}`, [BRANCH, 0, FIRST_CHUNK]);
  log(`  walk query plan: ${plan[0]?.['QUERY PLAN'].trim()}; ${plan.find((p) => p['QUERY PLAN'].startsWith('Execution Time'))?.['QUERY PLAN'] ?? ''}`);

  const patch = async (revno: number, body: Record<string, string>): Promise<number> => {
    const t0 = performance.now();
    const a = await qa.http.request('PATCH', `/revisions/${seeded.ids[revno]}/qa`, { token: qaToken, body: Buffer.from(JSON.stringify(body)) });
    const ms = performance.now() - t0;
    expectStatus(a, 200, `PATCH r${revno} ${JSON.stringify(body)}`);
    const rev = json(a, 'PATCH /revisions/:id/qa');
    if (!isRecord(rev) || rev.revno !== revno || rev.qaStatus !== body.status) throw new Error(`PATCH r${revno}: unexpected answer ${a.body.slice(0, 300)}`);
    return ms;
  };
  const explain = async (): Promise<{ ms: number; view: DeployableView }> => {
    const t0 = performance.now();
    const a = await qa.http.request('GET', `/deployable?branch=${BRANCH}`, { token: qaToken });
    const ms = performance.now() - t0;
    expectStatus(a, 200, 'GET /deployable');
    return { ms, view: readDeployable(json(a, 'GET /deployable')) };
  };

  // The frontier, computed once (from r0 to the first blocker), and settled.
  const initialMs = await patch(1, { status: 'ok', note: 'bench: initial frontier' });
  await waitFor(async () => (await rows<{ n: number }>(c, 'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL'))[0].n === 0, 30_000, 'the outbox to drain');
  const start = (await explain()).view;
  log(`  first recompute (PATCH r1 → ok) ${formatMs(initialMs)}: deployable r${start.deployable}, blocker ${start.blocker ? `r${start.blocker.revno} (${start.blocker.kind})` : 'none'}`);

  await c.query('CREATE TABLE IF NOT EXISTS public.bench_floor_update (id int PRIMARY KEY, n bigint NOT NULL)');
  await c.query('INSERT INTO public.bench_floor_update VALUES (1, 0) ON CONFLICT DO NOTHING');

  const rnd = prng(7);
  const changeMs: number[] = [];
  const byKind = new Map<ChangeKind, number[]>();
  const moving: number[] = [];
  const explainMs: number[] = [];
  const explainWaiting: number[] = [];
  const recomputeMs: number[] = [];
  const recomputeRows: number[] = [];
  const walkJs: number[] = [];
  const replayMs: number[] = [];
  const floorGet: number[] = [];
  const floorLive: number[] = [];
  const floorUpdate: number[] = [];
  const floorSelect: number[] = [];
  let moves = 0;

  // The blocker to act on comes from this process's replay of the recompute (the same walk on
  // the same rows), so that no GET /deployable runs between the changes; it is measured after.
  let state = await replayRecompute(c);
  let cpu0 = cpuSnapshot(qa.handle.pid, db.name);
  for (let i = 0; i < WARMUP_CHANGES + CHANGES; i++) {
    checkAlive(qa);
    const measured = i >= WARMUP_CHANGES;
    if (i === WARMUP_CHANGES) cpu0 = cpuSnapshot(qa.handle.pid, db.name);
    const frontier = state.deployable;
    // 40%: QA marks the blocker ok, which moves the frontier; else a revision just above it.
    let kind: ChangeKind;
    let revno: number;
    const body: Record<string, string> = { status: 'ok' };
    const x = rnd();
    if (x < 0.4 && state.blocker !== null) {
      kind = 'unblock';
      revno = state.blocker;
    } else {
      const y = rnd();
      body.status = y < 0.5 ? 'ok' : y < 0.75 ? 'needs-testing' : 'bad';
      // A revision whose status differs: setting the status it has already changes nothing.
      let found: number | null = null;
      for (let tries = 0; tries < 1000 && found === null; tries++) {
        const r = Math.min(REVISIONS, frontier + 1 + Math.floor(rnd() * WINDOW));
        if (seeded.status[r] !== body.status) found = r;
      }
      if (found === null) throw new Error(`no revision left to change above r${frontier}; run with more --revisions`);
      revno = found;
      kind = body.status === 'ok' ? 'ok' : body.status === 'needs-testing' ? 'needs-testing' : 'bad';
      const fix = revno + 1 + Math.floor(rnd() * 5);
      if (body.status === 'bad' && rnd() < 0.5 && fix <= REVISIONS) {
        kind = 'bad+fix';
        body.fixedBy = String(fix);
      }
    }
    body.note = `bench change ${i}`;
    const ms = await patch(revno, body);
    seeded.status[revno] = body.status as QaStatus;

    // The floor and the replays, beside each change, on the same state.
    let t0 = performance.now();
    expectStatus(await qa.http.request('GET', `/revisions?branch=${BRANCH}&limit=1`, { token: qaToken }), 200, 'GET /revisions');
    const getMs = performance.now() - t0;
    t0 = performance.now();
    expectStatus(await qa.http.request('GET', '/health/live'), 200, 'GET /health/live');
    const liveMs = performance.now() - t0;
    t0 = performance.now();
    await c.query('BEGIN');
    await c.query('UPDATE public.bench_floor_update SET n = n + 1 WHERE id = 1');
    await c.query('COMMIT');
    const updateMs = performance.now() - t0;
    t0 = performance.now();
    await c.query('SELECT 1');
    const selectMs = performance.now() - t0;
    const rc = await replayRecompute(c);
    state = rc;
    const replay = await replayStatusChange(c, seeded.ids[revno], seeded.shas[revno], body.status as QaStatus);

    if (!measured) continue;
    changeMs.push(ms);
    byKind.set(kind, [...(byKind.get(kind) ?? []), ms]);
    floorGet.push(getMs);
    floorLive.push(liveMs);
    floorUpdate.push(updateMs);
    floorSelect.push(selectMs);
    recomputeMs.push(rc.ms);
    recomputeRows.push(rc.rows);
    walkJs.push(rc.jsMs);
    replayMs.push(replay);
    if (rc.deployable > frontier) {
      moves++;
      moving.push(ms);
    }
  }
  const cpu = cpuUse(cpu0, cpuSnapshot(qa.handle.pid, db.name));

  // GET /deployable on its own, as many times, once the changes are done.
  let end = start;
  for (let i = 0; i < WARMUP_CHANGES + CHANGES; i++) {
    checkAlive(qa);
    const e = await explain();
    end = e.view;
    if (i < WARMUP_CHANGES) continue;
    explainMs.push(e.ms);
    explainWaiting.push(e.view.waiting);
  }
  const mirror = state.deployable === end.deployable && state.blocker === (end.blocker?.revno ?? null);
  await waitFor(async () => (await rows<{ n: number }>(c, 'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL'))[0].n === 0, 30_000, 'the outbox to drain after the changes');
  await qa.handle.stop();

  return {
    seeded, change: summarize(changeMs), byKind, moving, explain: summarize(explainMs), explainWaiting: summarize(explainWaiting).p50,
    recompute: summarize(recomputeMs), recomputeRows: summarize(recomputeRows), walkJs: summarize(walkJs), replay: summarize(replayMs),
    floorGet: summarize(floorGet), floorLive: summarize(floorLive), floorUpdate: summarize(floorUpdate), floorSelect: summarize(floorSelect),
    frontierStart: start.deployable, frontierEnd: end.deployable, moves, initialMs,
    cpu,
    mirror: mirror ? null : `the replayed walk says deployable r${state.deployable}, blocker r${state.blocker}; GET /deployable says r${end.deployable}, blocker r${end.blocker?.revno}`,
  };
}

// ---------------------------------------------------------------------------------------------
// B. Landings per second through POST /buildbot

function bodyMaker(): (buildid: number, sha: string, complete: boolean) => Buffer {
  const fixture: unknown = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  if (!isRecord(fixture) || !isRecord(fixture.properties)) throw new Error(`${FIXTURE}: not a buildbot build`);
  const got = fixture.properties.got_revision;
  const oldSha = Array.isArray(got) && typeof got[0] === 'string' ? got[0] : null;
  if (!oldSha) throw new Error(`${FIXTURE}: no got_revision`);
  const make = (complete: boolean): string => {
    const b: Record<string, unknown> = { ...fixture, buildid: -424242, number: -424242, url: 'BUILD_URL', complete };
    if (!complete) {
      b.results = null;
      b.complete_at = null;
      b.state_string = 'building';
    }
    return JSON.stringify(b);
  };
  const finished = make(true);
  const started = make(false);
  return (buildid, sha, complete) =>
    Buffer.from(
      (complete ? finished : started)
        .replaceAll(oldSha, sha)
        .replaceAll('-424242', String(buildid))
        .replace('"BUILD_URL"', `"http://127.0.0.1:8010/#builders/1/builds/${buildid}"`),
    );
}

interface PhaseB {
  perS: number;
  acceptPerS: number;
  seconds: number;
  acceptSeconds: number;
  post: Summary;
  endToEnd: Summary;
  batches: number;
  commitSpanS: number;
  relayBatches: number;
  lastCommitAfterS: number;
  lastPublishAfterS: number;
  selfConsumedAtEnd: number;
  selfConsumerTx: number;
  cpu: CpuUse;
  /** CPU milliseconds per landing while they came in. */
  qaGateCpuMs: number;
  postgresCpuMs: number;
  floorHttp: number;
  floorPg: number;
  floorJs: number;
  warmupSeconds: number;
}

async function phaseB(): Promise<PhaseB> {
  log(`B. landings: ${LANDINGS} buildbot posts (finished, SUCCESS), ${CONCURRENCY} in flight on keep-alive connections, after ${WARMUP_POSTS} "build started" posts`);
  const db = await isolatedDatabase('B');
  const namespace = uniqueNamespace();
  undo.push({ what: 'drop namespace B', fn: () => dropNamespace(NATS_URL, namespace) });
  const subjects = new Subjects(namespace);
  const qa = await startQaGate(db, namespace, 'b');
  const token = await issueToken(qa.handle.url, TEST_ADMIN_TOKEN, { name: 'bench buildbot', roles: ['buildbot'] });
  log(`  qa-gate ${qa.handle.url} (pid ${qa.handle.pid}), database ${db.name}, namespace ${namespace}`);
  const c = await pgClient(db.url, 'qa_gate');

  const make = bodyMaker();
  const shas = Array.from({ length: LANDINGS }, () => randomBytes(20).toString('hex'));
  const index = new Map(shas.map((s, i) => [s, i]));
  const bodies = shas.map((sha, i) => make(i + 1, sha, true));
  const warm = Array.from({ length: WARMUP_POSTS }, (_, i) => make(LANDINGS + 1 + i, randomBytes(20).toString('hex'), false));

  const nc = await connect({ servers: NATS_URL, name: 'runway-bench-qa-gate', timeout: 5000 });
  undo.push({ what: 'close the NATS connection', fn: () => nc.close() });
  const subject = subjects.event(Events.RevisionLanded.type, BRANCH);
  const eventAt = new Float64Array(LANDINGS);
  let events = 0;
  let lastProgress = wallMs();
  let unexpected: string | null = null;
  let allEvents!: () => void;
  const eventsDone = new Promise<void>((resolve) => (allEvents = resolve));
  const sub = nc.subscribe(subject, {
    callback: (err: Error | null, msg: Msg) => {
      const at = wallMs();
      if (err) {
        unexpected ??= `subscription: ${err.message}`;
        return;
      }
      let sha: unknown;
      try {
        const e: unknown = JSON.parse(msg.string());
        sha = isRecord(e) && isRecord(e.data) ? e.data.sha : undefined;
      } catch {
        unexpected ??= `an unreadable message on ${msg.subject}`;
        return;
      }
      const i = typeof sha === 'string' ? index.get(sha) : undefined;
      if (i === undefined) {
        unexpected ??= `a revision-landed event for an unknown sha ${String(sha)}`;
        return;
      }
      if (eventAt[i] !== 0) return; // seen already (a republish JetStream will have dropped)
      eventAt[i] = at;
      lastProgress = at;
      if (++events === LANDINGS) allEvents();
    },
  });
  undo.push({ what: 'unsubscribe', fn: async () => sub.unsubscribe() });
  await nc.flush();

  const post = async (body: Buffer): Promise<HttpAnswer> => qa.http.request('POST', '/buildbot', { token, body });
  const w0 = wallMs();
  await runPool(WARMUP_POSTS, CONCURRENCY, async (i) => {
    const a = await post(warm[i]);
    expectStatus(a, 202, 'POST /buildbot (warm-up)');
  });
  const warmupSeconds = (wallMs() - w0) / 1000;
  log(`  warm-up: ${WARMUP_POSTS} "build started" posts in ${warmupSeconds.toFixed(2)} s (recorded as build events; they land nothing)`);
  await sleep(500);

  const sentAt = new Float64Array(LANDINGS);
  const answeredAt = new Float64Array(LANDINGS);
  let stalled: Error | null = null;
  let failStall!: (e: Error) => void;
  const stall = new Promise<never>((_, reject) => (failStall = reject));
  stall.catch(() => undefined);
  const watch = setInterval(() => {
    try {
      checkAlive(qa);
      if (unexpected) throw new Error(unexpected);
    } catch (e) {
      stalled ??= e instanceof Error ? e : new Error(String(e));
    }
    if (!stalled && wallMs() - lastProgress > STALL_TIMEOUT_MS) {
      stalled = new TimeoutError(`landings: nothing moved for ${STALL_TIMEOUT_MS} ms (${events} of ${LANDINGS} events seen)`);
    }
    if (stalled) failStall(stalled);
  }, 250);

  const cpu0 = cpuSnapshot(qa.handle.pid, db.name);
  const first = wallMs();
  let accepted = 0;
  try {
    const posts = runPool(LANDINGS, CONCURRENCY, async (i) => {
      sentAt[i] = wallMs();
      const a = await post(bodies[i]);
      answeredAt[i] = wallMs();
      lastProgress = answeredAt[i];
      expectStatus(a, 202, `POST /buildbot (build ${i + 1})`);
      const r = json(a, 'POST /buildbot');
      if (!isRecord(r) || r.landed !== true || !isRecord(r.revision) || r.revision.recorded !== true) {
        throw new Error(`POST /buildbot (build ${i + 1}): did not land: ${a.body.slice(0, 300)}`);
      }
      accepted++;
    });
    await Promise.race([posts, stall]);
    const allAccepted = wallMs();
    await Promise.race([eventsDone, stall]);
    const cpu1 = cpuSnapshot(qa.handle.pid, db.name);
    let last = first;
    for (const at of eventAt) last = Math.max(last, at);
    if (accepted !== LANDINGS) throw new Error(`only ${accepted} of ${LANDINGS} posts accepted`);

    // On the stream, exactly once each?
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(subjects.eventStream, { subjects_filter: subject });
    const onStream = info.state.subjects?.[subject] ?? 0;
    if (onStream !== LANDINGS) throw new Error(`the stream holds ${onStream} revision-landed events on ${subject}, expected ${LANDINGS}`);

    // In the database, exactly once each, with revnos 1..M?
    const [dbc] = await rows<{ n: number; revnos: number; lo: number; hi: number; ours: number }>(
      c,
      `SELECT count(*)::int AS n, count(DISTINCT revno)::int AS revnos, min(revno) AS lo, max(revno) AS hi,
              count(*) FILTER (WHERE sha = ANY($2::text[]))::int AS ours
         FROM revisions WHERE branch = $1`,
      [BRANCH, shas],
    );
    if (dbc.n !== LANDINGS || dbc.revnos !== LANDINGS || dbc.lo !== 1 || dbc.hi !== LANDINGS || dbc.ours !== LANDINGS) {
      throw new Error(`the database holds ${dbc.n} revisions on ${BRANCH} (${dbc.revnos} revnos, r${dbc.lo}..r${dbc.hi}, ${dbc.ours} of ours); expected exactly ${LANDINGS}, r1..r${LANDINGS}`);
    }
    const [tx] = await rows<{ batches: number; first_ms: number; last_ms: number }>(
      c,
      `SELECT count(DISTINCT recorded_at)::int AS batches, extract(epoch FROM min(recorded_at))::float8 * 1000 AS first_ms,
              extract(epoch FROM max(recorded_at))::float8 * 1000 AS last_ms FROM revisions WHERE branch = $1`,
      [BRANCH],
    );
    const [relay] = await rows<{ batches: number; last_ms: number }>(
      c,
      `SELECT count(DISTINCT published_at)::int AS batches, extract(epoch FROM max(published_at))::float8 * 1000 AS last_ms
         FROM outbox WHERE type = $1`,
      [Events.RevisionLanded.type],
    );
    const [inbox] = await rows<{ n: number; tx: number }>(
      c,
      `SELECT count(*)::int AS n, count(DISTINCT processed_at)::int AS tx FROM inbox WHERE type = $1`,
      [Events.RevisionLanded.type],
    );

    const seconds = (last - first) / 1000;
    const acceptSeconds = (allAccepted - first) / 1000;
    const postMs = Array.from(sentAt, (s, i) => answeredAt[i] - s);
    const e2e = Array.from(sentAt, (s, i) => eventAt[i] - s);
    const cpu = cpuUse(cpu0, cpu1);
    clearInterval(watch);
    await qa.handle.stop();

    const floorHttp = await httpFloor(bodies);
    const floorPg = await pgFloor(db.url, shas);
    const floorJs = await jsFloor(namespace, bodies[0].length);

    return {
      perS: LANDINGS / seconds, acceptPerS: LANDINGS / acceptSeconds, seconds, acceptSeconds, post: summarize(postMs), endToEnd: summarize(e2e),
      batches: tx.batches, commitSpanS: (tx.last_ms - tx.first_ms) / 1000, relayBatches: relay.batches,
      lastCommitAfterS: (tx.last_ms - first) / 1000, lastPublishAfterS: (relay.last_ms - first) / 1000,
      selfConsumedAtEnd: inbox.n, selfConsumerTx: inbox.tx, cpu, floorHttp,
      qaGateCpuMs: ((cpu1.qaGate - cpu0.qaGate) * 1000) / LANDINGS, postgresCpuMs: ((cpu1.pgOurs - cpu0.pgOurs) * 1000) / LANDINGS, floorPg, floorJs, warmupSeconds,
    };
  } finally {
    clearInterval(watch);
  }
}

/** Requests per second of a bare node:http server (its own process) answering 202 to the same bodies, same client. */
async function httpFloor(bodies: Buffer[]): Promise<number> {
  const code = `
    const http = require('node:http');
    const s = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let b;
        try { b = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { res.statusCode = 400; res.end(); return; }
        const out = JSON.stringify({ build: { id: b.buildid, complete: b.complete, duplicate: false }, landed: true, reason: null });
        res.writeHead(202, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      });
    });
    s.keepAliveTimeout = 72000;
    s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
    process.on('SIGTERM', () => process.exit(0));
  `;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  undo.push({
    what: 'stop the floor HTTP server',
    fn: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  });
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', (c) => reject(new Error(`the floor HTTP server exited (${c})`)));
    }),
    10_000,
    'the floor HTTP server to listen',
  );
  const client = new HttpClient(`http://127.0.0.1:${port}`, CONCURRENCY);
  try {
    await runPool(Math.min(WARMUP_POSTS, bodies.length), CONCURRENCY, async (i) => expectStatus(await client.request('POST', '/buildbot', { body: bodies[i] }), 202, 'floor POST'));
    const t0 = performance.now();
    await runPool(bodies.length, CONCURRENCY, async (i) => {
      const a = await client.request('POST', '/buildbot', { token: 'x', body: bodies[i] });
      expectStatus(a, 202, 'floor POST');
      json(a, 'floor POST');
    });
    return bodies.length / ((performance.now() - t0) / 1000);
  } finally {
    client.close();
    child.kill('SIGTERM');
    await withTimeout(exited, 10_000, 'the floor HTTP server to stop');
  }
}

/** Single-row INSERTs, each its own transaction (autocommit, so one WAL flush each), on 10 connections. */
async function pgFloor(url: string, shas: string[]): Promise<number> {
  const clients = await Promise.all(Array.from({ length: PG_FLOOR_CONNECTIONS }, () => pgClient(url)));
  await clients[0].query(`CREATE TABLE public.bench_floor_landing (id bigserial PRIMARY KEY, sha text NOT NULL UNIQUE, revno int NOT NULL, landed_at timestamptz NOT NULL DEFAULT now())`);
  let next = 0;
  const worker = async (c: Client, count: number) => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await c.query('INSERT INTO public.bench_floor_landing (sha, revno) VALUES ($1, $2)', [shas[i], i + 1]);
    }
  };
  await Promise.all(clients.map((c) => worker(c, Math.min(500, shas.length))));
  await clients[0].query('TRUNCATE public.bench_floor_landing');
  next = 0;
  const t0 = performance.now();
  await Promise.all(clients.map((c) => worker(c, shas.length)));
  const perS = shas.length / ((performance.now() - t0) / 1000);
  await clients[0].query('DROP TABLE public.bench_floor_landing');
  return perS;
}

/** Publishes to a file-storage stream with a message id, awaited in windows of 256 as the outbox relay does. */
async function jsFloor(namespace: string, size: number): Promise<number> {
  const stream = `${namespace.toUpperCase().replace(/-/g, '_')}_BENCH_PUBLISH`;
  const subject = `${namespace}.benchfloor.publish`;
  const nc = await connect({ servers: NATS_URL, name: 'runway-bench-qa-gate-floor', timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: stream, subjects: [subject], storage: StorageType.File, num_replicas: 1, retention: RetentionPolicy.Limits, duplicate_window: nanos(15 * 60_000),
    });
    try {
      const js = jetstream(nc);
      const payload = 'x'.repeat(Math.max(0, Math.min(size, 900) - 60));
      const publish = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i += JS_WINDOW) {
          const n = Math.min(JS_WINDOW, count - i);
          await Promise.all(
            Array.from({ length: n }, () => {
              const id = randomUUID();
              return js.publish(subject, JSON.stringify({ id, payload }), { msgID: id, timeout: 10_000 });
            }),
          );
        }
      };
      await publish(Math.min(1000, LANDINGS));
      const t0 = performance.now();
      await publish(LANDINGS);
      return LANDINGS / ((performance.now() - t0) / 1000);
    } finally {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

function warnIfDisturbed(cpu: CpuUse, what: string): void {
  if (cpu.othersShare > 0.1) {
    log(`  WARNING: processes outside this benchmark used ${(cpu.othersShare * 100).toFixed(0)}% of the machine during ${what}; these figures are disturbed, run again on a quiet machine`);
  }
}

function line(s: Summary): string {
  return `p50 ${formatMs(s.p50)}  p90 ${formatMs(s.p90)}  p99 ${formatMs(s.p99)}  mean ${formatMs(s.mean)}  max ${formatMs(s.max)}`;
}

async function main(): Promise<void> {
  log(`qa-gate benchmark: --revisions ${REVISIONS} --changes ${CHANGES} --landings ${LANDINGS} --concurrency ${CONCURRENCY}; qa-gate LOG_LEVEL=${LOG_LEVEL}`);
  log(`postgres ${new URL(DATABASE_URL).host}, nats ${NATS_URL}; ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  log('note: this client, qa-gate, Postgres and NATS all share the same CPUs; the client competes with the server.');
  log();

  const a = await phaseA();
  log(`  status change (PATCH /revisions/:id/qa round trip: HTTP, status write, recompute, outbox, one transaction; each changes the status), n=${a.change.n}:`);
  log(`    ${line(a.change)}`);
  for (const [kind, ms] of a.byKind) {
    const s = summarize(ms);
    log(`    ${kind.padEnd(14)} n=${String(s.n).padStart(4)}  p50 ${formatMs(s.p50)}  p99 ${formatMs(s.p99)}`);
  }
  const mv = summarize(a.moving);
  log(`    that moved the frontier n=${mv.n}: p50 ${formatMs(mv.p50)}  p99 ${formatMs(mv.p99)}`);
  log(`  frontier r${a.frontierStart} → r${a.frontierEnd}: moved ${a.frontierEnd - a.frontierStart} revisions in ${a.moves} of ${a.change.n} measured changes (warm-up changes included in the move)`);
  log(`  GET /deployable, ${a.explain.n} times after the changes (explain: walk of up to 5000 rows + next action; median ${a.explainWaiting} rows read): ${line(a.explain)}`);
  log(`  the recompute's own reads + DeployableWalk, plain pg from here (median ${a.recomputeRows.p50} rows): ${line(a.recompute)}`);
  log(`    of which DeployableWalk in JS: p50 ${formatMs(a.walkJs.p50)}  p99 ${formatMs(a.walkJs.p99)}`);
  log(`  the status change's statements, plain pg, rolled back (no WAL flush): ${line(a.replay)}`);
  log(`  floor: GET /revisions?limit=1 (auth + one indexed query) ${line(a.floorGet)}`);
  log(`         GET /health/live (no auth, no query)            ${line(a.floorLive)}`);
  log(`         Postgres BEGIN; UPDATE; COMMIT                  ${line(a.floorUpdate)}`);
  log(`         Postgres SELECT 1                               ${line(a.floorSelect)}`);
  // BEGIN; UPDATE; COMMIT is three round trips and one WAL flush; the replay's ROLLBACK stands for the COMMIT's round trip.
  const flush = Math.max(0, a.floorUpdate.p50 - 3 * a.floorSelect.p50);
  const nestOverhead = a.change.p50 - a.floorLive.p50 - a.replay.p50 - flush;
  log(`  ${a.cpu.line}`);
  warnIfDisturbed(a.cpu, 'the changes');
  if (a.mirror) log(`  WARNING: ${a.mirror}`);
  log(
    `  → status change p50 ${formatMs(a.change.p50)} ${a.change.p50 <= STATUS_TARGET_MS ? 'MEETS' : 'MISSES'} the ${STATUS_TARGET_MS} ms target; p99 ${formatMs(a.change.p99)} ${a.change.p99 <= STATUS_TARGET_MS ? 'meets' : 'misses'} it.` +
      ` p50 ≈ HTTP ${a.floorLive.p50.toFixed(2)} + statements ${a.replay.p50.toFixed(2)} + commit flush ${flush.toFixed(2)} + the rest (Nest, TypeORM, validation) ${nestOverhead.toFixed(2)} ms`,
  );
  log();

  const b = await phaseB();
  log(`  per_s ${b.perS.toFixed(2)} landings/s end to end (first POST → last revision-landed on the stream: ${b.seconds.toFixed(2)} s)`);
  log(`  http_accept_per_s ${b.acceptPerS.toFixed(2)} (all ${LANDINGS} answered 202 after ${b.acceptSeconds.toFixed(2)} s)`);
  log(`  POST round trip under load: ${line(b.post)}`);
  log(`  POST → event on the stream:  ${line(b.endToEnd)}`);
  log(`  ${b.batches} landing transactions (mean ${(LANDINGS / b.batches).toFixed(1)} landings each) started over ${b.commitSpanS.toFixed(2)} s; the last began ${b.lastCommitAfterS.toFixed(2)} s after the first POST`);
  log(`  ${b.relayBatches} relay publish batches (mean ${(LANDINGS / b.relayBatches).toFixed(1)} events each); the last marked published ${b.lastPublishAfterS.toFixed(2)} s after the first POST`);
  log(`  qa-gate's own revision-landed consumer (one inbox transaction per event, then ignores it) had consumed ${b.selfConsumedAtEnd} of ${LANDINGS} events in ${b.selfConsumerTx} transactions when the last event arrived`);
  log(`  ${b.cpu.line}`);
  warnIfDisturbed(b.cpu, 'the landings');
  log(`  per landing: qa-gate ${b.qaGateCpuMs.toFixed(3)} ms of CPU (one Node thread: at most ~${(1000 / b.qaGateCpuMs).toFixed(0)}/s), Postgres ${b.postgresCpuMs.toFixed(3)} ms`);
  const floorMin = Math.min(b.floorHttp, b.floorPg, b.floorJs);
  log(`  floor: bare node:http 202 to the same bodies, same client, ${CONCURRENCY} in flight: ${b.floorHttp.toFixed(2)} requests/s`);
  log(`         Postgres single-row INSERT (autocommit), ${PG_FLOOR_CONNECTIONS} connections: ${b.floorPg.toFixed(2)} commits/s`);
  log(`         JetStream publish with msg id, file storage, windows of ${JS_WINDOW}: ${b.floorJs.toFixed(2)} msgs/s`);
  log(`  → per_s ${b.perS.toFixed(2)} ${b.perS >= LANDING_TARGET_PER_S ? 'MEETS' : 'MISSES'} the ${LANDING_TARGET_PER_S}/s target; ${(b.perS / floorMin).toFixed(2)}× the lowest floor (${floorMin.toFixed(2)}/s)`);

  const result = roundResult({
    name: 'qa-gate',
    revisions: REVISIONS,
    status_changes: a.change.n,
    status_change_p50_ms: a.change.p50,
    status_change_p99_ms: a.change.p99,
    status_change_mean_ms: a.change.mean,
    status_change_max_ms: a.change.max,
    status_change_target_ms: STATUS_TARGET_MS,
    status_change_p50_meets_target: a.change.p50 <= STATUS_TARGET_MS,
    status_change_p99_meets_target: a.change.p99 <= STATUS_TARGET_MS,
    status_change_moving_p50_ms: mv.p50,
    explain_p50_ms: a.explain.p50,
    explain_p99_ms: a.explain.p99,
    recompute_sql_p50_ms: a.recompute.p50,
    recompute_sql_p99_ms: a.recompute.p99,
    walk_js_p50_ms: a.walkJs.p50,
    statements_rolled_back_p50_ms: a.replay.p50,
    floor_http_get_p50_ms: a.floorGet.p50,
    floor_http_live_p50_ms: a.floorLive.p50,
    floor_pg_update_commit_p50_ms: a.floorUpdate.p50,
    floor_pg_select_p50_ms: a.floorSelect.p50,
    frontier_start: a.frontierStart,
    frontier_end: a.frontierEnd,
    frontier_moved: a.frontierEnd - a.frontierStart,
    frontier_moves: a.moves,
    seed_s: a.seeded.seconds,
    other_load_during_changes: a.cpu.othersShare,
    other_load_during_landings: b.cpu.othersShare,
    landings: LANDINGS,
    concurrency: CONCURRENCY,
    per_s: b.perS,
    per_s_target: LANDING_TARGET_PER_S,
    per_s_meets_target: b.perS >= LANDING_TARGET_PER_S,
    http_accept_per_s: b.acceptPerS,
    landing_post_p50_ms: b.post.p50,
    landing_post_p99_ms: b.post.p99,
    landing_e2e_p50_ms: b.endToEnd.p50,
    landing_e2e_p99_ms: b.endToEnd.p99,
    landing_batches: b.batches,
    relay_batches: b.relayBatches,
    floor_http_per_s: b.floorHttp,
    floor_pg_commit_per_s: b.floorPg,
    floor_js_publish_per_s: b.floorJs,
    ratio_per_s_to_floor: b.perS / floorMin,
    qa_gate_cpu_ms_per_landing: b.qaGateCpuMs,
    postgres_cpu_ms_per_landing: b.postgresCpuMs,
    cpu_share_during_landings: b.cpu.shares,
  });
  keepWorkDir = KEEP_LOGS || PROFILE;
  if (keepWorkDir && workDir) log(`logs${PROFILE ? ' and CPU profiles' : ''} kept in ${workDir}`);
  await cleanup();
  log(JSON.stringify(result));
}

runBenchmark({ name: 'qa-gate', watchdogMs: WATCHDOG_MS, main, cleanup, keptAt: () => workDir });
