/**
 * `npm run bench -- fanout [--agents 1000] [--concurrency 32] [--log-level warn] [--node-options "<flags>"] [--keep-logs]`:
 * one promotion rolled out to a thousand servers at once. `--concurrency` bounds the set-up's
 * parallel requests; `--log-level` and `--node-options` are rollout's LOG_LEVEL and NODE_OPTIONS.
 *
 * rollout runs as a real process (isolated database, its own namespace, ROLLOUT_BATCH_SIZE=0 so
 * every server is in one batch). The agents are simulated in this process (bench/fleet.ts): each
 * has its own NATS connection, agent token, registration, heartbeat and durable consumer, and
 * answers a request with `started` then `succeeded` at once. Setting all that up is not
 * measured, only reported.
 *
 * Measured: from publishing ONE `promoted` event until
 *   (a) every agent has received its `deploy-requested`,
 *   (b) every agent's `succeeded` report has been published (acknowledged by JetStream),
 *   (c) GET /rollouts shows the rollout `succeeded` (polled every 100 ms until (b), then every
 *       25 ms; rollout's own finished_at is printed beside it),
 * with rollout's resident memory (VmRSS) sampled every 20 ms. Goal: (b) ≤ 2 s, peak RSS ≤ 150 MB.
 * Missing a goal is a result, not a failure: the exit status is non-zero only when the run fails.
 *
 * The floor, in the same run: the same fan-out without rollout or Postgres. N `deploy-requested`
 * events (one per host subject) are published at once from this process, through the same
 * per-host consumers and the same agent code; the reports go to a stream of the benchmark's own
 * instead of rollout's, and the time is until every `succeeded` report has been received back
 * here. A first, unmeasured floor round proves every consumer is live and warms the agents.
 *
 * Where the time goes is read afterwards from rollout's own tables (rollout and deploy rows,
 * outbox publish times, inbox claim times), and from samples taken during the run: Postgres
 * sessions of rollout waiting on a lock, CPU of rollout, its Postgres sessions, nats-server (when
 * it runs on this machine), this process and the machine, and rollout's /metrics.
 *
 * Human-readable lines first; the last line is one JSON object.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, type Msg, nanos, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { type CloudEvent, type DeployRequestedV1, durableName, Events, parseEvent, type PromotedV1, Subjects, subjectToken } from '@runway/contracts';
import { createIsolatedDatabase, dropNamespace, freePort, randomSha, TEST_ADMIN_TOKEN, uniqueNamespace } from '@runway/testing';
import { Client } from 'pg';
import { type ProcessHandle, startService } from '../tools/stack.cjs';
import { Fleet, type FleetSetup, Round } from './fleet';
import {
  intFlag, isRecord, requireEnv, roundResult, runBenchmark, sleep, summarize, TimeoutError, wallMs, withTimeout,
} from './lib';

const ARGS = process.argv.slice(2);
const N = intFlag(ARGS, 'agents', 1000);
const CONCURRENCY = intFlag(ARGS, 'concurrency', 32);
const LOG_LEVEL = stringFlag(ARGS, 'log-level', 'warn');
/** `--node-options "<flags>"`: NODE_OPTIONS for rollout's process (V8 heap settings, say). */
const ROLLOUT_NODE_OPTIONS = stringFlag(ARGS, 'node-options', '');
/** Keep the work directory (rollout's log) even when the run succeeds. */
const KEEP_LOGS = ARGS.includes('--keep-logs');
const ENVIRONMENT = 'lpnet';
const BRANCH = 'production-stable';
const GOAL_REPORTED_MS = 2000;
const GOAL_RSS_MB = 150;
/** The measured rollout, and each floor round, must be over within this. */
const ROUND_TIMEOUT_MS = 60_000 + N * 30;
/** The first floor round also waits for every consumer to be live. */
const READY_TIMEOUT_MS = 120_000 + N * 60;
const QUIET_TIMEOUT_MS = 60_000 + N * 30;
const RSS_SAMPLE_MS = 20;
/** GET /rollouts every 25 ms once every report is out; every 100 ms before, so as to load rollout less. */
const ROLLOUT_POLL_MS = 25;
const ROLLOUT_POLL_EARLY_MS = 100;
const LOCK_SAMPLE_MS = 50;
/** The whole run can never take longer than this; and cleanup after a failure, than CLEANUP_TIMEOUT_MS more. */
const WATCHDOG_MS = 300_000 + N * 400;
const CLEANUP_TIMEOUT_MS = 240_000;

const DATABASE_URL = requireEnv('DATABASE_URL');
const NATS_URL = requireEnv('NATS_URL');

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function stringFlag(argv: readonly string[], name: string, fallback: string): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && argv[i + 1] !== undefined) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return fallback;
}

function ms(x: number): string {
  return `${x.toFixed(2)} ms`;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: things to undo, last first. Each is bounded in time and never throws.

const undo: { what: string; fn: () => Promise<unknown>; timeoutMs?: number }[] = [];
let keepDir: string | null = null;
/** rollout's memory just after it started, before any agent. */
let rssIdle: Memory | null = null;
/** Set once cleanup begins, so that rollout exiting then is not taken for a crash. */
let stopping = false;

async function cleanup(): Promise<void> {
  stopping = true;
  while (undo.length) {
    const { what, fn, timeoutMs } = undo.pop()!;
    try {
      await withTimeout(fn(), timeoutMs ?? 20_000, `cleanup: ${what}`);
    } catch (e) {
      process.stderr.write(`cleanup: ${what} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Samplers

interface Memory {
  /** VmRSS, and of it RssAnon (heap, stacks, buffers) and RssFile (mapped files: the node binary, mostly), in kB. */
  rss: number;
  anon: number;
  file: number;
}

/** Resident memory of a process, from /proc/<pid>/status. */
function readMemory(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    const rss = kb('VmRSS');
    return Number.isNaN(rss) ? null : { rss, anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return null;
  }
}

function describeMemory(m: Memory | null): string {
  return m ? `${(m.rss / 1024).toFixed(1)} MB (anonymous ${(m.anon / 1024).toFixed(1)}, file-backed ${(m.file / 1024).toFixed(1)})` : 'n/a';
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3, utime 14 and stime 15 (1-based, of the whole line).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The machine's CPU time, busy and total, in clock ticks, from /proc/stat. */
function readMachineCpu(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Processes of a command name on this machine (best effort: none if NATS runs elsewhere). */
function pidsNamed(comm: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

function cpuOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (readCpuSeconds(pid) ?? 0), 0);
}

interface CpuUse {
  wallS: number;
  rolloutS: number;
  /** rollout's Postgres backends (its pool's sessions). */
  postgresS: number;
  natsS: number | null;
  benchS: number;
  machineBusy: number;
}

/** CPU seconds used over an interval by rollout, its Postgres sessions, nats-server, this process, and the machine. */
class CpuMeter {
  private readonly t0 = wallMs();
  private readonly rollout: number;
  private readonly postgres: number;
  private readonly nats: number;
  private readonly bench = process.cpuUsage();
  private readonly machine = readMachineCpu();

  constructor(
    private readonly rolloutPid: number,
    private readonly postgresPids: readonly number[],
    private readonly natsPids: readonly number[],
  ) {
    this.rollout = readCpuSeconds(rolloutPid) ?? 0;
    this.postgres = cpuOf(postgresPids);
    this.nats = cpuOf(natsPids);
  }

  read(): CpuUse {
    const bench = process.cpuUsage(this.bench);
    const machine = readMachineCpu();
    return {
      wallS: (wallMs() - this.t0) / 1000,
      rolloutS: (readCpuSeconds(this.rolloutPid) ?? 0) - this.rollout,
      postgresS: cpuOf(this.postgresPids) - this.postgres,
      natsS: this.natsPids.length ? cpuOf(this.natsPids) - this.nats : null,
      benchS: (bench.user + bench.system) / 1e6,
      machineBusy: machine.total > this.machine.total ? (machine.busy - this.machine.busy) / (machine.total - this.machine.total) : Number.NaN,
    };
  }
}

function describeCpu(c: CpuUse): string {
  const pct = (x: number) => `${((x / c.wallS) * 100).toFixed(0)}%`;
  return (
    `CPU over ${c.wallS.toFixed(2)} s: rollout ${c.rolloutS.toFixed(2)} s (${pct(c.rolloutS)} of a core), its Postgres sessions ${c.postgresS.toFixed(2)} s (${pct(c.postgresS)}), ` +
    `nats-server ${c.natsS === null ? 'n/a' : `${c.natsS.toFixed(2)} s (${pct(c.natsS)})`}, this process (the ${N} agents) ${c.benchS.toFixed(2)} s (${pct(c.benchS)}); ` +
    `machine ${(c.machineBusy * 100).toFixed(0)}% busy of ${cpuCount()} cores`
  );
}

function cpuCount(): number {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  } catch {
    return Number.NaN;
  }
}

class RssSampler {
  peak: Memory | null = null;
  samples = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pid: number) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  private sample(): void {
    const m = readMemory(this.pid);
    if (m === null) return;
    this.samples++;
    if (!this.peak || m.rss > this.peak.rss) this.peak = m;
  }
}

/** How many of rollout's Postgres sessions wait on a lock, are active, or idle in a transaction. */
class SessionSampler {
  readonly lockWaiting: number[] = [];
  readonly active: number[] = [];
  readonly idleInTx: number[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly client: Client,
    private readonly database: string,
  ) {}

  start(): void {
    this.stopped = false;
    this.running = (async () => {
      while (!this.stopped) {
        try {
          const { rows } = await this.client.query<{ lock: number; active: number; idle_tx: number }>(
            `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS lock,
                    count(*) FILTER (WHERE state = 'active')::int AS active,
                    count(*) FILTER (WHERE state = 'idle in transaction')::int AS idle_tx
               FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'runway-rollout%'`,
            [this.database],
          );
          this.lockWaiting.push(rows[0].lock);
          this.active.push(rows[0].active);
          this.idleInTx.push(rows[0].idle_tx);
        } catch {
          /* a sample lost is no harm */
        }
        await sleep(LOCK_SAMPLE_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

// ---------------------------------------------------------------------------------------------
// Replies received back here (core NATS subscriptions, not JetStream consumers)

class ReplyWatcher {
  private wanted: ReadonlySet<string> | null = null;
  private prefix = '';
  private got = new Map<string, number>();
  private resolve: ((at: number) => void) | null = null;
  private readonly subs: Subscription[] = [];
  unreadable = 0;
  failed: string | null = null;

  constructor(private readonly nc: NatsConnection) {}

  async start(subjects: string[]): Promise<void> {
    for (const s of subjects) this.subs.push(this.nc.subscribe(s, { callback: (err, msg) => this.onMsg(err, msg) }));
    await this.nc.flush();
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  /** From now on, counts the `succeeded` replies of `hosts` arriving on subjects under `prefix`. */
  open(hosts: ReadonlySet<string>, prefix: string): void {
    this.wanted = hosts;
    this.prefix = prefix;
    this.got = new Map();
    this.resolve = null;
  }

  async wait(timeoutMs: number, what: string): Promise<number> {
    const wanted = this.wanted;
    if (!wanted) throw new Error('no replies are awaited');
    const all = new Promise<number>((resolve) => {
      if (this.got.size === wanted.size) resolve(Math.max(...this.got.values()));
      else this.resolve = resolve;
    });
    try {
      return await withTimeout(all, Math.max(1, timeoutMs), what);
    } catch (e) {
      if (e instanceof TimeoutError) throw new TimeoutError(`${e.message} (${this.got.size}/${wanted.size} received)`);
      throw e;
    }
  }

  private onMsg(err: Error | null, msg: Msg): void {
    const at = wallMs();
    if (err || !this.wanted || !msg.subject.startsWith(this.prefix)) return;
    let v: unknown;
    try {
      v = JSON.parse(msg.string());
    } catch {
      this.unreadable++;
      return;
    }
    if (!isRecord(v) || !isRecord(v.data) || typeof v.data.host !== 'string') {
      this.unreadable++;
      return;
    }
    const { host, status } = v.data;
    if (status === 'failed' || status === 'rolled-back') this.failed ??= `${host} reported ${status}`;
    if (status !== 'succeeded' || !this.wanted.has(host) || this.got.has(host)) return;
    this.got.set(host, at);
    if (this.got.size === this.wanted.size) this.resolve?.(at);
  }
}

// ---------------------------------------------------------------------------------------------
// The run

interface Bench {
  namespace: string;
  subjects: Subjects;
  dbName: string;
  dbUrl: string;
  dir: string;
  rollout: ProcessHandle & { url: string };
  rolloutPid: number;
  fleet: Fleet;
  hosts: ReadonlySet<string>;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  replies: ReplyWatcher;
  /** For the quiet checks and the breakdown. */
  pg: Client;
  /** For the session sampler only. */
  pgSampler: Client;
  rolloutConsumers: { stream: string; name: string }[];
  floorPrefix: string;
  /** Rejects if rollout exits while the benchmark still needs it. */
  died: Promise<never>;
}

function guarded<T>(b: Bench, p: Promise<T>): Promise<T> {
  return Promise.race([p, b.died]);
}

function authHeaders(): Record<string, string> {
  return { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { headers: authHeaders(), signal: AbortSignal.timeout(10_000) });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

/** Waits until rollout has nothing left to do: every consumer drained and acked, the outbox empty. */
async function waitQuiet(b: Bench, what: string): Promise<number> {
  const t0 = wallMs();
  await guarded(
    b,
    (async () => {
      const deadline = t0 + QUIET_TIMEOUT_MS;
      let busy = '';
      for (;;) {
        busy = '';
        for (const c of b.rolloutConsumers) {
          const info = await b.jsm.consumers.info(c.stream, c.name);
          if (info.num_pending + info.num_ack_pending > 0) busy += ` ${c.name}: ${info.num_pending} pending, ${info.num_ack_pending} unacked;`;
        }
        const { rows } = await b.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM rollout.outbox WHERE published_at IS NULL`);
        if (rows[0].n > 0) busy += ` outbox: ${rows[0].n} unpublished;`;
        if (!busy) return;
        if (wallMs() > deadline) throw new TimeoutError(`${what}: rollout still busy after ${QUIET_TIMEOUT_MS} ms:${busy}`);
        await sleep(100);
      }
    })(),
  );
  return wallMs() - t0;
}

async function setUp(): Promise<{ b: Bench; setup: FleetSetup; serviceS: number }> {
  const db = await createIsolatedDatabase(DATABASE_URL);
  undo.push({ what: 'drop the database', fn: () => db.drop() });
  const namespace = uniqueNamespace();
  undo.push({ what: 'drop the namespace (its streams, and with them every consumer)', fn: () => dropNamespace(NATS_URL, namespace) });
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-fanout-'));
  undo.push({ what: 'remove the work directory', fn: async () => (keepDir === dir ? undefined : rmSync(dir, { recursive: true, force: true })) });
  keepDir = dir; // kept (with rollout's log) unless the run succeeds
  const subjects = new Subjects(namespace);

  const t0 = wallMs();
  const env: Record<string, string> = {
    DATABASE_URL: db.url, NATS_URL, RUNWAY_NAMESPACE: namespace, RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL,
    AGENT_HEARTBEAT_TIMEOUT_SECONDS: '600', ROLLOUT_BATCH_SIZE: '0',
  };
  if (ROLLOUT_NODE_OPTIONS) env.NODE_OPTIONS = ROLLOUT_NODE_OPTIONS;
  let rollout: (ProcessHandle & { url: string }) | null = null;
  undo.push({ what: 'stop rollout', fn: async () => rollout?.stop() });
  rollout = await startService('rollout', env, { logDir: join(dir, 'logs'), port: await freePort() });
  const rolloutPid = rollout.pid;
  if (rolloutPid === undefined) throw new Error('rollout has no pid');
  const serviceS = (wallMs() - t0) / 1000;
  rssIdle = readMemory(rolloutPid);
  log(`rollout started in ${serviceS.toFixed(2)} s (pid ${rolloutPid}, ${rollout.url}, namespace ${namespace}, database ${db.name}, log ${rollout.logFile})`);
  const handle = rollout;
  const died = new Promise<never>((_, reject) => {
    void handle.exited.then(({ code, signal }) => {
      if (!stopping) reject(new Error(`rollout exited (${code ?? signal}) during the benchmark; see ${handle.logFile}`));
    });
  });
  died.catch(() => undefined);

  const pg = new Client({ connectionString: db.url, connectionTimeoutMillis: 5000, statement_timeout: 10_000 });
  await pg.connect();
  undo.push({ what: 'close the Postgres connection', fn: () => pg.end() });
  const pgSampler = new Client({ connectionString: db.url, connectionTimeoutMillis: 5000, statement_timeout: 10_000, application_name: 'runway-bench-sampler' });
  await pgSampler.connect();
  undo.push({ what: 'close the sampler Postgres connection', fn: () => pgSampler.end() });

  const nc = await connect({ servers: NATS_URL, name: 'runway-bench-fanout', timeout: 5000 });
  undo.push({ what: 'close the benchmark NATS connection', fn: () => nc.close() });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);

  // rollout's own consumers, made when it started: the quiet checks watch them.
  const rolloutConsumers: { stream: string; name: string }[] = [];
  for (const stream of [subjects.eventStream, subjects.telemetryStream]) {
    for await (const info of jsm.consumers.list(stream)) {
      if (info.name.startsWith('rollout__')) rolloutConsumers.push({ stream, name: info.name });
    }
  }
  const reportedDurable = durableName('rollout', Events.DeployReported.type);
  if (!rolloutConsumers.some((c) => c.name === reportedDurable)) throw new Error(`rollout has no consumer ${reportedDurable}`);

  // The floor's replies go to a stream of their own, stored like rollout's events (file, 1 replica).
  const floorPrefix = `${namespace}.benchfanout.`;
  await jsm.streams.add({
    name: `${namespace.toUpperCase().replace(/-/g, '_')}_BENCH_FANOUT`, subjects: [`${floorPrefix}>`], storage: StorageType.File, num_replicas: 1,
    retention: RetentionPolicy.Limits, duplicate_window: nanos(15 * 60_000),
  });

  const replies = new ReplyWatcher(nc);
  await replies.start([subjects.allOf(Events.DeployReported.type), `${floorPrefix}reported.>`]);
  undo.push({ what: 'unsubscribe', fn: async () => replies.stop() });

  log(`setting up ${N} simulated agents (${CONCURRENCY} at a time):`);
  const fleet = new Fleet({
    natsUrl: NATS_URL, namespace, rolloutUrl: rollout.url, adminToken: TEST_ADMIN_TOKEN, size: N, environment: ENVIRONMENT,
    concurrency: CONCURRENCY, progress: log,
  });
  undo.push({ what: 'stop the simulated agents (consumers, then connections)', fn: () => fleet.stop(), timeoutMs: 120_000 });
  const b: Bench = {
    namespace, subjects, dbName: db.name, dbUrl: db.url, dir, rollout, rolloutPid, fleet, hosts: new Set(fleet.hosts), nc, js, jsm, replies, pg,
    pgSampler, rolloutConsumers, floorPrefix, died,
  };
  const setup = await guarded(b, fleet.start());
  return { b, setup, serviceS };
}

/** Every simulated agent is a registered, reachable server of rollout's. */
async function checkServers(b: Bench): Promise<void> {
  const body = await getJson(`${b.rollout.url}/servers`);
  if (!Array.isArray(body)) throw new Error('GET /servers did not answer a list');
  const reachable = new Set<string>();
  for (const s of body as unknown[]) if (isRecord(s) && typeof s.host === 'string' && s.reachable === true) reachable.add(s.host);
  const missing = [...b.hosts].filter((h) => !reachable.has(h));
  if (missing.length) throw new Error(`${missing.length} agents are not reachable servers of rollout's (first: ${missing.slice(0, 3).join(', ')})`);
}

// ---- the floor --------------------------------------------------------------------------------

interface FloorRun {
  /** All from the first publish (ms). */
  published: number;
  requested: number;
  reported: number;
  received: number;
  repeated: number;
  cpu: CpuUse;
}

async function floorRound(b: Bench, label: string, timeoutMs: number): Promise<FloorRun> {
  const round = new Round(label, b.hosts, (host) => `${b.floorPrefix}reported.${subjectToken(host)}`);
  b.replies.open(b.hosts, `${b.floorPrefix}reported.`);
  const sha = randomSha();
  const rolloutId = randomUUID();
  const requests = [...b.hosts].map((host) => {
    const data: DeployRequestedV1 = {
      deployId: randomUUID(), rolloutId, host, environment: ENVIRONMENT, revision: sha, kind: 'no-downtime', carryCowboys: [],
    };
    const event: CloudEvent<DeployRequestedV1> = {
      specversion: '1.0', id: randomUUID(), source: 'runway/bench-fanout', type: Events.DeployRequested.type, subject: host,
      time: new Date().toISOString(), datacontenttype: 'application/json', correlationid: rolloutId, data,
    };
    return { subject: b.subjects.event(Events.DeployRequested.type, host), id: event.id, body: JSON.stringify(event) };
  });
  const check = parseEvent(requests[0].body);
  if (!check.ok) throw new Error(`the floor's deploy-requested is not a valid event: ${check.reason}`);
  const cpu = await cpuMeter(b);
  b.fleet.open(round);
  try {
    const t0 = wallMs();
    const deadline = t0 + timeoutMs;
    // All at once on one connection, acks awaited together: the fastest a publisher can fan out.
    await guarded(b, withTimeout(Promise.all(requests.map((r) => b.js.publish(r.subject, r.body, { msgID: r.id, timeout: 30_000 }))), timeoutMs, `${label}: publishing`));
    const published = wallMs() - t0;
    const requested = (await guarded(b, round.waitRequested(deadline - wallMs()))) - t0;
    const reported = (await guarded(b, round.waitReported(deadline - wallMs()))) - t0;
    const received = (await guarded(b, b.replies.wait(deadline - wallMs(), `${label}: succeeded replies to arrive here`))) - t0;
    return { published, requested, reported, received, repeated: round.repeated, cpu: cpu.read() };
  } finally {
    b.fleet.close();
  }
}

// ---- the measured rollout ----------------------------------------------------------------------

interface RolloutRun {
  t0: number;
  promotionId: string;
  rolloutId: string;
  ack: number;
  /** First seen in-progress / succeeded by the poll, ms after t0. */
  plannedSeen: number | null;
  succeededSeen: number;
  /** rollout's own finished_at, ms after t0. */
  finishedAt: number;
  requested: number;
  reported: number;
  received: number;
  firstRequested: number;
  firstReported: number;
  requestedSpread: ReturnType<typeof summarize>;
  rssPeakMb: number;
  memBefore: Memory | null;
  memPeak: Memory | null;
  heapBefore: Heap;
  heapAfter: Heap;
  rssSamples: number;
  cpu: CpuUse;
  sessions: SessionSampler;
  /** The change in rollout's /metrics over the run. */
  metrics: Map<string, number>;
  repeated: number;
}

interface SeenRollout {
  id: string;
  status: string;
  finishedAt: string | null;
  failure: string | null;
}

/** Polls GET /rollouts until the rollout of `promotionId` is over; resolves when it succeeded. */
async function pollRollout(
  b: Bench, promotionId: string, t0: number, deadline: number, seen: { planned: number | null; stop: boolean; reported: boolean },
): Promise<{ at: number; rollout: SeenRollout }> {
  let last = 'not planned yet';
  while (!seen.stop) {
    try {
      const body = await getJson(`${b.rollout.url}/rollouts?limit=5`);
      const r = Array.isArray(body) ? (body as unknown[]).find((x) => isRecord(x) && x.sourceId === promotionId) : undefined;
      if (isRecord(r) && typeof r.id === 'string' && typeof r.status === 'string') {
        const rollout: SeenRollout = {
          id: r.id, status: r.status, finishedAt: typeof r.finishedAt === 'string' ? r.finishedAt : null, failure: typeof r.failure === 'string' ? r.failure : null,
        };
        last = rollout.status;
        if (seen.planned === null) seen.planned = wallMs() - t0;
        if (rollout.status === 'succeeded') return { at: wallMs(), rollout };
        if (!['queued', 'in-progress', 'paused', 'waiting-window'].includes(rollout.status)) {
          throw new Error(`the rollout ended ${rollout.status}${rollout.failure ? `: ${rollout.failure}` : ''}`);
        }
      }
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('the rollout ended')) throw e;
      last = e instanceof Error ? e.message : String(e);
    }
    if (wallMs() > deadline) throw new TimeoutError(`the rollout is not succeeded after ${ROUND_TIMEOUT_MS} ms (last seen: ${last})`);
    await sleep(seen.reported ? ROLLOUT_POLL_MS : ROLLOUT_POLL_EARLY_MS);
  }
  throw new Error('polling stopped');
}

/** Starts measuring CPU: rollout, its Postgres sessions (found now), nats-server if it runs here, this process. */
async function cpuMeter(b: Bench): Promise<CpuMeter> {
  const { rows } = await b.pg.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'runway-rollout%'`, [b.dbName],
  );
  return new CpuMeter(b.rolloutPid, rows.map((r) => r.pid), pidsNamed('nats-server'));
}

/** rollout's /metrics, the series of its deploy-reported consumer only: `name{labels}` → value. */
async function scrapeMetrics(b: Bench): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const res = await fetch(`${b.rollout.url}/metrics`, { headers: authHeaders(), signal: AbortSignal.timeout(10_000) });
    const consumer = `consumer="${durableName('rollout', Events.DeployReported.type)}"`;
    for (const line of (await res.text()).split('\n')) {
      if (line.startsWith('#') || !line.includes(consumer)) continue;
      const m = /^(\S+)\s+(\S+)$/.exec(line);
      if (m) out.set(m[1], Number(m[2]));
    }
  } catch {
    /* no metrics: the breakdown says n/a */
  }
  return out;
}

interface Heap {
  totalMb: number;
  usedMb: number;
}

/** rollout's V8 heap, from /metrics. */
async function scrapeHeap(b: Bench): Promise<Heap> {
  try {
    const res = await fetch(`${b.rollout.url}/metrics`, { headers: authHeaders(), signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / 1048576;
    return { totalMb: value('nodejs_heap_size_total_bytes'), usedMb: value('nodejs_heap_size_used_bytes') };
  } catch {
    return { totalMb: Number.NaN, usedMb: Number.NaN };
  }
}

function metric(m: Map<string, number>, name: string, labelPart = ''): number {
  let sum = 0;
  for (const [k, v] of m) if (k.startsWith(`${name}{`) && k.includes(labelPart)) sum += v;
  return sum;
}

async function measureRollout(b: Bench): Promise<RolloutRun> {
  const round = new Round('rollout', b.hosts, (host) => b.subjects.event(Events.DeployReported.type, host));
  b.replies.open(b.hosts, b.subjects.allOf(Events.DeployReported.type).slice(0, -1));
  const promotionId = randomUUID();
  const sha = randomSha();
  const data: PromotedV1 = {
    promotionId, branch: BRANCH, toSha: sha, toRevno: 1, revisions: [{ sha, db: false }], containsDbRevision: false, deployKind: 'no-downtime',
    cause: 'qa-passed', pendingMergeBack: [],
  };
  const event: CloudEvent<PromotedV1> = {
    specversion: '1.0', id: randomUUID(), source: 'runway/bench-fanout', type: Events.Promoted.type, subject: BRANCH, time: new Date().toISOString(),
    datacontenttype: 'application/json', correlationid: promotionId, data,
  };
  const body = JSON.stringify(event);
  const check = parseEvent(body);
  if (!check.ok) throw new Error(`the promoted event is not valid: ${check.reason}`);
  const subject = b.subjects.event(Events.Promoted.type, BRANCH);

  const rss = new RssSampler(b.rolloutPid);
  const memBefore = readMemory(b.rolloutPid);
  const heapBefore = await scrapeHeap(b);
  const sessions = new SessionSampler(b.pgSampler, b.dbName);
  const metricsBefore = await scrapeMetrics(b);
  const cpu = await cpuMeter(b);
  const seen = { planned: null as number | null, stop: false, reported: false };
  rss.start();
  sessions.start();
  b.fleet.open(round);
  try {
    const t0 = wallMs();
    const deadline = t0 + ROUND_TIMEOUT_MS;
    await guarded(b, b.js.publish(subject, body, { msgID: event.id, timeout: 5000 }));
    const ack = wallMs() - t0;
    const polled = pollRollout(b, promotionId, t0, deadline, seen);
    polled.catch(() => undefined);
    const requestedAt = await guarded(b, round.waitRequested(deadline - wallMs()));
    const reportedAt = await guarded(b, round.waitReported(deadline - wallMs()));
    seen.reported = true;
    const receivedAt = await guarded(b, b.replies.wait(deadline - wallMs(), 'rollout: succeeded reports to arrive here'));
    const { at: succeededAt, rollout } = await guarded(b, polled);
    const cpuUse = cpu.read();
    rss.stop();
    const metricsAfter = await scrapeMetrics(b);
    const heapAfter = await scrapeHeap(b);
    const metrics = new Map([...metricsAfter].map(([k, v]): [string, number] => [k, v - (metricsBefore.get(k) ?? 0)]));
    const requestedTimes = [...round.requested.values()].map((x) => x - t0);
    const finished = rollout.finishedAt ? Date.parse(rollout.finishedAt) - t0 : Number.NaN;
    return {
      t0, promotionId, rolloutId: rollout.id, ack, plannedSeen: seen.planned, succeededSeen: succeededAt - t0, finishedAt: finished,
      requested: requestedAt - t0, reported: reportedAt - t0, received: receivedAt - t0,
      firstRequested: Math.min(...requestedTimes), firstReported: Math.min(...[...round.reported.values()].map((x) => x - t0)),
      requestedSpread: summarize(requestedTimes), rssPeakMb: (rss.peak?.rss ?? Number.NaN) / 1024, memBefore, memPeak: rss.peak, heapBefore, heapAfter, rssSamples: rss.samples,
      cpu: cpuUse, sessions, metrics, repeated: round.repeated,
    };
  } finally {
    seen.stop = true;
    rss.stop();
    await sessions.stop();
    b.fleet.close();
  }
}

/** The rollout as rollout recorded it: every deploy succeeded, no server skipped. */
async function verifyRollout(b: Bench, rolloutId: string): Promise<void> {
  const r = await getJson(`${b.rollout.url}/rollouts/${rolloutId}`);
  if (!isRecord(r) || !Array.isArray(r.deploys)) throw new Error('GET /rollouts/:id did not answer a rollout with its deploys');
  const deploys = r.deploys as unknown[];
  const ok = deploys.filter((d) => isRecord(d) && d.status === 'succeeded' && typeof d.host === 'string' && b.hosts.has(d.host)).length;
  const skipped = Array.isArray(r.skipped) ? r.skipped.length : 0;
  if (r.status !== 'succeeded' || ok !== N || deploys.length !== N || skipped !== 0) {
    throw new Error(`the rollout is ${String(r.status)} with ${ok}/${deploys.length} deploys succeeded and ${skipped} servers skipped; expected ${N} of ${N}`);
  }
}

// ---- where the time went, from rollout's tables ------------------------------------------------

async function breakdown(b: Bench, run: RolloutRun): Promise<string[]> {
  const q = async <T extends Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]> => (await b.pg.query<T>(sql, params)).rows;
  const rel = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : ms(x - run.t0).padStart(11));
  const lines: string[] = [];
  const [promoted] = await q<{ at: number | null }>(
    `SELECT extract(epoch FROM processed_at)::float8 * 1000 AS at FROM rollout.inbox WHERE consumer = $1`,
    [durableName('rollout', Events.Promoted.type)],
  );
  const [ro] = await q<{ created: number; finished: number | null }>(
    `SELECT extract(epoch FROM created_at)::float8 * 1000 AS created, extract(epoch FROM finished_at)::float8 * 1000 AS finished FROM rollout.rollouts WHERE id = $1`,
    [run.rolloutId],
  );
  const [enq] = await q<{ first: number; last: number; n: number }>(
    `SELECT extract(epoch FROM min((envelope->>'time')::timestamptz))::float8 * 1000 AS first,
            extract(epoch FROM max((envelope->>'time')::timestamptz))::float8 * 1000 AS last, count(*)::int AS n
       FROM rollout.outbox WHERE type = $1 AND envelope->'data'->>'rolloutId' = $2`,
    [Events.DeployRequested.type, run.rolloutId],
  );
  const batches = await q<{ at: number; n: number }>(
    `SELECT extract(epoch FROM published_at)::float8 * 1000 AS at, count(*)::int AS n
       FROM rollout.outbox WHERE type = $1 AND envelope->'data'->>'rolloutId' = $2 GROUP BY published_at ORDER BY published_at`,
    [Events.DeployRequested.type, run.rolloutId],
  );
  const reports = await q<{ status: string; first: number; last: number; n: number }>(
    `SELECT split_part(event_id, ':', 2) AS status, extract(epoch FROM min(processed_at))::float8 * 1000 AS first,
            extract(epoch FROM max(processed_at))::float8 * 1000 AS last, count(*)::int AS n
       FROM rollout.inbox WHERE consumer = $1 GROUP BY 1 ORDER BY 1`,
    [durableName('rollout', Events.DeployReported.type)],
  );
  const [deps] = await q<{ first: number; last: number; n: number }>(
    `SELECT extract(epoch FROM min(updated_at))::float8 * 1000 AS first, extract(epoch FROM max(updated_at))::float8 * 1000 AS last,
            count(*) FILTER (WHERE status = 'succeeded')::int AS n FROM rollout.deploys WHERE rollout_id = $1`,
    [run.rolloutId],
  );
  lines.push(`where the time went (ms after the promoted publish; Postgres and rollout clocks are this machine's):`);
  lines.push(`  ${'promoted acknowledged by JetStream'.padEnd(62)} ${ms(run.ack).padStart(11)}`);
  lines.push(`  ${'rollout began its promoted transaction (inbox claim)'.padEnd(62)} ${rel(promoted?.at)}`);
  lines.push(`  ${'rollout planned it (rollouts.created_at)'.padEnd(62)} ${rel(ro?.created)}`);
  lines.push(`  ${`deploy-requested enqueued, first / last of ${enq?.n ?? 0}`.padEnd(62)} ${rel(enq?.first)} / ${rel(enq?.last)}`);
  lines.push(
    `  ${`outbox relay batches (transaction start, events)`.padEnd(62)} ${batches.map((x) => `${(x.at - run.t0).toFixed(0)} ms ×${x.n}`).join(', ') || 'n/a'}`,
  );
  lines.push(`  ${'first / last deploy-requested at its agent'.padEnd(62)} ${ms(run.firstRequested).padStart(11)} / ${ms(run.requested).padStart(11)}`);
  lines.push(`  ${'first / last succeeded report acknowledged by JetStream'.padEnd(62)} ${ms(run.firstReported).padStart(11)} / ${ms(run.reported).padStart(11)}`);
  for (const r of reports) {
    const rate = r.n > 1 && r.last > r.first ? ` (${((r.n - 1) / ((r.last - r.first) / 1000)).toFixed(0)}/s)` : '';
    lines.push(`  ${`rollout began its transaction for a ${r.status} report, first / last`.padEnd(62)} ${rel(r.first)} / ${rel(r.last)}   (${r.n}${rate})`);
  }
  lines.push(`  ${`deploy rows updated, first / last (${deps?.n ?? 0} succeeded)`.padEnd(62)} ${rel(deps?.first)} / ${rel(deps?.last)}`);
  lines.push(`  ${'rollout finished (finished_at)'.padEnd(62)} ${rel(ro?.finished)}`);
  lines.push(`  ${`seen succeeded by GET /rollouts (every ${ROLLOUT_POLL_MS} ms by then)`.padEnd(62)} ${ms(run.succeededSeen).padStart(11)}`);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, c) => a + c, 0) / xs.length : Number.NaN);
  const s = run.sessions;
  lines.push(
    `  rollout's Postgres sessions (${s.active.length} samples every ${LOCK_SAMPLE_MS} ms): waiting on a lock mean ${mean(s.lockWaiting).toFixed(1)} max ${Math.max(0, ...s.lockWaiting)}; ` +
      `active mean ${mean(s.active).toFixed(1)} max ${Math.max(0, ...s.active)}; idle in transaction mean ${mean(s.idleInTx).toFixed(1)} max ${Math.max(0, ...s.idleInTx)}`,
  );
  lines.push(`  ${describeCpu(run.cpu)}`);
  const handled = metric(run.metrics, 'runway_event_handler_seconds_count');
  const handlerS = metric(run.metrics, 'runway_event_handler_seconds_sum');
  const outcomes = ['applied', 'duplicate', 'retried'].map((o) => `${o} ${metric(run.metrics, 'runway_events_consumed_total', `outcome="${o}"`)}`).join(', ');
  lines.push(
    `  rollout's deploy-reported consumer (/metrics): ${handled} handled (${outcomes}), mean ${handled ? ms((handlerS / handled) * 1000) : 'n/a'} per event ` +
      `(inbox + handler + commit), ${handlerS.toFixed(2)} s in all over 8 at a time`,
  );  return lines;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  log(`fanout benchmark: ${N} agents, one promotion, rollout with ROLLOUT_BATCH_SIZE=0, LOG_LEVEL=${LOG_LEVEL}${ROLLOUT_NODE_OPTIONS ? `, NODE_OPTIONS=${ROLLOUT_NODE_OPTIONS}` : ''}`);
  log(`postgres ${new URL(DATABASE_URL).host}, nats ${NATS_URL}`);
  const setupStart = wallMs();
  const { b, setup } = await setUp();

  const ready = await floorRound(b, 'first floor round (readiness, warm-up)', READY_TIMEOUT_MS);
  log(`  first floor round (every consumer live, agents warm): all replies back after ${ms(ready.received)}`);
  await guarded(b, checkServers(b));
  const quietMs = await waitQuiet(b, 'before the measurement');
  log(`  all ${N} agents registered and reachable; rollout quiet after ${ms(quietMs)} more`);
  const setupS = (wallMs() - setupStart) / 1000;
  log(`set-up took ${setupS.toFixed(2)} s (tokens ${setup.tokens_s.toFixed(2)} s, connections ${setup.connections_s.toFixed(2)} s, registration ${setup.register_s.toFixed(2)} s, ` +
    `heartbeats ${setup.heartbeats_s.toFixed(2)} s, consumers ${setup.consumers_s.toFixed(2)} s)`);
  log(`  rollout RSS: ${describeMemory(rssIdle)} idle just after it started, ${describeMemory(readMemory(b.rolloutPid))} with ${N} agents set up; ` +
    `this process RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);

  const run = await measureRollout(b);
  await verifyRollout(b, run.rolloutId);
  log(`rollout of one promotion to ${N} servers (from the publish of promoted):`);
  log(`  (a) every agent had its deploy-requested      ${ms(run.requested).padStart(11)}   (first after ${ms(run.firstRequested)}; p50 ${ms(run.requestedSpread.p50)})`);
  log(`  (b) every succeeded report published (acked)  ${ms(run.reported).padStart(11)}   (received back here after ${ms(run.received)})`);
  log(`  (c) GET /rollouts shows it succeeded          ${ms(run.succeededSeen).padStart(11)}   (its finished_at: ${ms(run.finishedAt)})`);
  log(`  rollout RSS: ${describeMemory(run.memBefore)} before, peak ${describeMemory(run.memPeak)} (${run.rssSamples} samples every ${RSS_SAMPLE_MS} ms); ` +
    `V8 heap ${run.heapBefore.usedMb.toFixed(1)} MB used of ${run.heapBefore.totalMb.toFixed(1)} before, ${run.heapAfter.usedMb.toFixed(1)} of ${run.heapAfter.totalMb.toFixed(1)} after`);
  for (const line of await breakdown(b, run)) log(line);
  const quietAfter = await waitQuiet(b, 'after the rollout');
  log(`  rollout quiet again ${ms(quietAfter)} after the rollout showed succeeded`);

  const floor = await floorRound(b, 'floor', ROUND_TIMEOUT_MS);
  log(`floor, the same fan-out without rollout or Postgres (${N} deploy-requested published at once from here, through the same consumers and agents):`);
  log(`  all published (acked) ${ms(floor.published)}, every agent had its request ${ms(floor.requested)}, every succeeded report published ${ms(floor.reported)}, ` +
    `all received back here ${ms(floor.received)}`);
  log(`  ${describeCpu(floor.cpu)}`);

  const reportedOk = run.reported <= GOAL_REPORTED_MS;
  const rssOk = run.rssPeakMb <= GOAL_RSS_MB;
  log(`goals: all reported ≤ ${GOAL_REPORTED_MS} ms: ${reportedOk ? 'met' : 'NOT met'} (${ms(run.reported)}, ${(run.reported / floor.received).toFixed(1)}× the floor); ` +
    `rollout RSS ≤ ${GOAL_RSS_MB} MB: ${rssOk ? 'met' : 'NOT met'} (${run.rssPeakMb.toFixed(1)} MB)`);
  const f = b.fleet;
  if (f.log.warnings || f.log.errors || f.publishRetries || f.stray || run.repeated || floor.repeated || ready.repeated || b.replies.unreadable) {
    log(`agents: ${f.log.warnings} warnings, ${f.log.errors} errors, ${f.publishRetries} publishes retried, ${f.stray} requests outside a round, ` +
      `${run.repeated + floor.repeated + ready.repeated} repeated requests, ${b.replies.unreadable} unreadable replies`);
    for (const l of f.log.first) log(`  ${l}`);
  }
  if (b.replies.failed) throw new Error(`an agent reported a failure: ${b.replies.failed}`);

  const result = roundResult({
    name: 'fanout',
    agents: N,
    all_requested_ms: run.requested,
    all_reported_ms: run.reported,
    rollout_succeeded_ms: run.succeededSeen,
    rollout_rss_peak_mb: run.rssPeakMb,
    floor_ms: floor.received,
    setup_s: setupS,
  });
  if (KEEP_LOGS) log(`logs kept in ${join(b.dir, 'logs')}`);
  else keepDir = null;
  await cleanup();
  log(JSON.stringify(result));
}

runBenchmark({
  name: 'fanout',
  watchdogMs: WATCHDOG_MS,
  cleanupTimeoutMs: CLEANUP_TIMEOUT_MS,
  main,
  cleanup,
  keptAt: () => (keepDir ? join(keepDir, 'logs') : null),
});
