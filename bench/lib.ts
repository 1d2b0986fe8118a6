/**
 * Helpers shared by the benchmarks: summary statistics, time bounds, command-line flags, and
 * the floor, the cost of the raw parts (one Postgres commit, one JetStream round trip)
 * measured in the same run against the same servers, so that a figure can be read as "so many
 * times the floor" whatever machine it ran on.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JsMsg } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { Client } from 'pg';

/** Wall-clock milliseconds with sub-millisecond precision, comparable with Date.now(). */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Nearest-rank percentile (p in 0..100) of `values`; NaN if there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    min: n ? Math.min(...values) : Number.NaN,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: n ? Math.max(...values) : Number.NaN,
    mean: n ? values.reduce((a, b) => a + b, 0) / n : Number.NaN,
  };
}

export function formatMs(x: number): string {
  return `${x.toFixed(2)} ms`;
}

export class TimeoutError extends Error {}

/** Rejects with a TimeoutError naming `what` if `p` has not settled within `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns something truthy; throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await sleep(50);
  }
}

/** `--name value` or `--name=value` from argv, as a positive integer; `fallback` when absent. */
export function intFlag(argv: readonly string[], name: string, fallback: number): number {
  let raw: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) raw = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) raw = a.slice(name.length + 3);
  }
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, not ${JSON.stringify(raw)}`);
  return v;
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; run benchmarks with \`npm run bench -- <name>\``);
  return v;
}

/** Runs at most `limit` of `tasks` at once, in order of index. Rejects on the first failure. */
export async function runPool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failed !== undefined) throw failed;
}

// ---------------------------------------------------------------------------------------------
// The floor

export interface FloorOptions {
  /** A URL of a database the benchmark may create a table in (an isolated one). */
  databaseUrl: string;
  natsUrl: string;
  /** The run's NATS namespace: the floor stream is named under it, so dropNamespace removes it. */
  namespace: string;
  iterations?: number;
  warmup?: number;
}

/**
 * Median time of `BEGIN; INSERT one row; COMMIT` on one connection, in a plain (WAL-logged)
 * table, so each commit waits for the WAL flush as the services' transactions do.
 */
export async function measurePgCommit(opts: FloorOptions): Promise<Summary> {
  const iterations = opts.iterations ?? 200;
  const warmup = opts.warmup ?? 20;
  const client = new Client({ connectionString: opts.databaseUrl, connectionTimeoutMillis: 5000, statement_timeout: 5000 });
  await client.connect();
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    const times: number[] = [];
    for (let i = 0; i < warmup + iterations; i++) {
      const payload = JSON.stringify({ id: randomUUID(), i });
      const t0 = performance.now();
      await client.query('BEGIN');
      await client.query('INSERT INTO bench_floor (payload) VALUES ($1)', [payload]);
      await client.query('COMMIT');
      const t1 = performance.now();
      if (i >= warmup) times.push(t1 - t0);
    }
    await client.query('DROP TABLE bench_floor');
    return summarize(times);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Median time from publishing one message to a file-storage stream (with a message id, as the
 * outbox relay does) to receiving it from a durable pull consumer through `consume()` (as
 * EventConsumer does). The stream and consumer are made for the measurement and removed after.
 */
export async function measureJetStreamRoundTrip(opts: FloorOptions): Promise<Summary> {
  const iterations = opts.iterations ?? 200;
  const warmup = opts.warmup ?? 20;
  const prefix = opts.namespace ? `${opts.namespace.toUpperCase().replace(/-/g, '_')}_` : '';
  const stream = `${prefix}BENCH_FLOOR`;
  const subject = `${opts.namespace ? `${opts.namespace}.` : ''}benchfloor.rt`;
  const durable = 'bench_floor';
  const nc = await connect({ servers: opts.natsUrl, name: 'runway-bench-floor', timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: stream, subjects: [subject], storage: StorageType.File, num_replicas: 1, retention: RetentionPolicy.Limits,
      duplicate_window: nanos(15 * 60_000),
    });
    try {
      await jsm.consumers.add(stream, {
        durable_name: durable, filter_subject: subject, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(30_000), max_ack_pending: 64,
      });
      const js = jetstream(nc);
      const consumer = await js.consumers.get(stream, durable);
      const messages = await consumer.consume({ max_messages: 16 });
      const it = messages[Symbol.asyncIterator]();
      const times: number[] = [];
      try {
        for (let i = 0; i < warmup + iterations; i++) {
          const id = randomUUID();
          const t0 = performance.now();
          const ack = js.publish(subject, JSON.stringify({ id, i }), { msgID: id, timeout: 5000 });
          const got: IteratorResult<JsMsg> = await withTimeout(it.next(), 5000, 'JetStream floor message');
          const t1 = performance.now();
          await ack;
          if (got.done) throw new Error('the floor consumer stopped');
          const seen: unknown = got.value.json();
          if (!isRecord(seen) || seen.id !== id) throw new Error('the floor consumer delivered an unexpected message');
          got.value.ack();
          if (i >= warmup) times.push(t1 - t0);
        }
      } finally {
        messages.stop();
      }
      return summarize(times);
    } finally {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
}

export interface Floor {
  commit: Summary;
  roundtrip: Summary;
  commit_ms: number;
  roundtrip_ms: number;
  hops: number;
  floor_ms: number;
}

/** floor_ms = hops × (median commit + median JetStream round trip). */
export async function measureFloor(opts: FloorOptions & { hops: number }): Promise<Floor> {
  const commit = await measurePgCommit(opts);
  const roundtrip = await measureJetStreamRoundTrip(opts);
  return {
    commit, roundtrip, commit_ms: commit.p50, roundtrip_ms: roundtrip.p50, hops: opts.hops,
    floor_ms: opts.hops * (commit.p50 + roundtrip.p50),
  };
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Rounds every number in a flat result to 2 decimals, keeping key order. */
export function roundResult<T extends Record<string, unknown>>(result: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result)) {
    if (typeof v === 'number') out[k] = round2(v);
    else if (isRecord(v)) out[k] = roundResult(v);
    else out[k] = v;
  }
  return out as T;
}

/** The state of this process's one benchmark run, for code that must stop once it is failing. */
export const benchState = { failing: false, finished: false };

export interface Benchmark {
  name: string;
  /** The whole run fails after this long. */
  watchdogMs: number;
  /** However cleanup goes after a failure, the process ends after this long. */
  cleanupTimeoutMs?: number;
  main(): Promise<void>;
  cleanup(): Promise<void>;
  /** Where logs were kept after a failure, if anywhere. */
  keptAt?(): string | null;
}

/**
 * Runs a benchmark to its end: exit 0 when `main` resolves; on any failure (a throw, an
 * unhandled rejection, the watchdog, SIGINT or SIGTERM) one cleanup, bounded in time, then
 * exit 1. What fails after the first failure is only noted.
 */
export function runBenchmark(b: Benchmark): void {
  const fail = async (e: unknown): Promise<void> => {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    if (benchState.finished) process.exit(1);
    if (benchState.failing) {
      process.stderr.write(`(after the failure) ${message.split('\n')[0]}\n`);
      return;
    }
    benchState.failing = true;
    clearTimeout(watchdog);
    setTimeout(() => process.exit(1), b.cleanupTimeoutMs ?? 180_000);
    process.stderr.write(`${b.name} benchmark failed: ${message}\n`);
    const kept = b.keptAt?.();
    if (kept) process.stderr.write(`logs kept in ${kept}\n`);
    await b.cleanup();
    process.exit(1);
  };
  const watchdog = setTimeout(() => void fail(new TimeoutError(`the whole run took longer than ${b.watchdogMs / 1000} s`)), b.watchdogMs);
  process.on('unhandledRejection', (e) => void fail(e));
  process.once('SIGINT', () => void fail(new Error('interrupted (SIGINT)')));
  process.once('SIGTERM', () => void fail(new Error('terminated (SIGTERM)')));
  b.main().then(
    () => {
      if (benchState.failing) return; // the failure's cleanup exits
      benchState.finished = true;
      clearTimeout(watchdog);
      process.exit(0);
    },
    (e: unknown) => fail(e),
  );
}
