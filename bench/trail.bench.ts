/**
 * `npm run bench -- trail [--events 20000] [--trail-events 1000000] [--requests 500] [--concurrency 4] [--keep-logs] [--profile]`
 *   `[--heap compact|default]`: how fast trail records the event stream, and how fast it tells a
 * revision's story. `--profile`: trail writes a V8 CPU profile of its whole run, kept with the
 * logs (it slows trail down). `--heap`: trail's RUNWAY_HEAP (libs/platform/src/heap.ts); absent,
 * trail's own default.
 *
 * trail runs as a real process from its dist, on an isolated database and NATS namespace.
 *
 *  1. Ingest. `--events` valid events of mixed types (per 10 revisions: landings, QA marks, QA
 *     tip, a QA rollout to 4 servers, QA approval; one promotion rolled out to 200 servers in 4
 *     batches with deploy-requested and started/succeeded deploy-reported from each; flag
 *     changes, holds, cowboys) are published into the namespace's event stream (provisioned
 *     here with the services' settings) before anything consumes it. Then:
 *       - the floor: a raw durable pull consumer (consume(), the same max_messages and
 *         max_ack_pending as trail's) over the same stream, writing batches of 500 into a plain
 *         table with one multi-row INSERT each, acknowledging after the commit;
 *       - trail is started and drains the backlog through its own consumer; its time runs from
 *         its first batch's transaction (the earliest `ingested_at`) until trail.entries holds
 *         every event (max(seq) polled every 20 ms, then count(*) to confirm; both on
 *         Postgres's clock, so trail's start-up does not count).
 *     Goal: trail ≥ 0.5 × the floor. Beside it, where the time goes: the CPU of trail, its
 *     Postgres backends and the machine (from /proc, also per batch: on a busy machine wall
 *     times stretch, CPU per unit of work much less); the CPU this process spends parsing and
 *     describing each event as trail does; and trail's own INSERT statement replayed from here,
 *     on the same rows, into an empty copy of trail.entries with the same indexes.
 *  2. Story. trail.entries is emptied and filled with `--trail-events` entries by SQL
 *     (generate_series; per 10 revisions the same shape as above, ~100 entries a revision with
 *     40-hex shas, and their trail.revisions rows), then VACUUM ANALYZE. GET /story/r<revno>
 *     for `--requests` random revisions, `--concurrency` at a time, after a warm-up. Goal:
 *     p99 ≤ 50 ms. Floor: the bare query `SELECT … FROM trail.entries WHERE revisions @>
 *     ARRAY[$1]` for the same revisions, as many at a time. Beside them, CPU per story (trail,
 *     Postgres), and the story made in this process with trail's own repository and story code:
 *     its SQL, telling, and JSON.
 *
 * Missing a goal is a result, not a failure. Human-readable lines first; the last line is one
 * JSON object.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { Client, Pool } from 'pg';
import type { DataSource } from 'typeorm';
import {
  type ActorKind, type EventDefinition, Events, parseEvent, type RolloutState, Subjects, TRAIL_DEAD_LETTER_TYPE,
} from '@runway/contracts';
import { DEFAULT_STREAM_SETTINGS, provisionStreams, subjectMismatch } from '@runway/messaging';
import { createIsolatedDatabase, dropNamespace, freePort, TEST_ADMIN_TOKEN, uniqueNamespace } from '@runway/testing';
import { describeEvent } from '../apps/trail/src/trail/entry';
import { rolloutWindow, tellStory } from '../apps/trail/src/trail/story';
import { TrailRepository } from '../apps/trail/src/trail/trail.repository';
import { type ProcessHandle, startService } from '../tools/stack.cjs';
import { intFlag, requireEnv, roundResult, runBenchmark, runPool, sleep, summarize, TimeoutError, wallMs, withTimeout } from './lib';

const ARGS = process.argv.slice(2);
const EVENTS = intFlag(ARGS, 'events', 20_000);
const TRAIL_EVENTS = intFlag(ARGS, 'trail-events', 1_000_000);
const REQUESTS = intFlag(ARGS, 'requests', 500);
const CONCURRENCY = intFlag(ARGS, 'concurrency', 4);
/** trail writes a V8 CPU profile (of both phases) when it stops, kept with the logs. */
const PROFILE = ARGS.includes('--profile');
/** `--heap <profile>`: trail's RUNWAY_HEAP (its own default, `compact`, when absent). */
const HEAP = stringFlag(ARGS, 'heap', '');
const KEEP_LOGS = ARGS.includes('--keep-logs') || PROFILE;
const WARMUP_REQUESTS = 50;
/** trail's TRAIL_BATCH_SIZE (its default), and the floor's batch. */
const BATCH = 500;
const GOAL_RATIO = 0.5;
const GOAL_P99_MS = 50;
const POLL_MS = 20;
/** Entries per 10 revisions (a "cycle"), in both the published events and the SQL-made trail. */
const CYCLE = 1000;
const CYCLE_MS = 2 * 3600_000;
const QA_BRANCH = 'stable';
const PROD_HOSTS = Array.from({ length: 200 }, (_, i) => `app${String(i + 1).padStart(3, '0')}.lpnet`);
const QA_HOSTS = ['qastaging1', 'qastaging2', 'qastaging3', 'qastaging4'];
const INGEST_TIMEOUT_MS = 120_000 + EVENTS * 5;
const WATCHDOG_MS = 900_000 + EVENTS * 20 + TRAIL_EVENTS;

const DATABASE_URL = requireEnv('DATABASE_URL');
const NATS_URL = requireEnv('NATS_URL');

function stringFlag(argv: readonly string[], name: string, fallback: string): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}` && argv[i + 1] !== undefined) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return fallback;
}

if (TRAIL_EVENTS < CYCLE) throw new Error(`--trail-events must be at least ${CYCLE} (one promotion's worth)`);

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const ms = (x: number) => `${x.toFixed(2)} ms`;
const perS = (x: number) => `${Math.round(x).toLocaleString('en')}/s`;

const undo: { what: string; fn: () => Promise<unknown> }[] = [];
let keepDir: string | null = null;
async function cleanup(): Promise<void> {
  while (undo.length) {
    const { what, fn } = undo.pop()!;
    try {
      await withTimeout(fn(), 30_000, `cleanup: ${what}`);
    } catch (e) {
      process.stderr.write(`cleanup: ${what} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Events as the services publish them

interface Outgoing {
  id: string;
  subject: string;
  body: string;
}

interface Who {
  source: string;
  name: string;
  kind: ActorKind;
  roles: string;
}

const runway = (service: string): Who => ({ source: `runway/${service}`, name: 'runway', kind: 'runway', roles: '' });
const person = (service: string, name: string, roles: string): Who => ({ source: `runway/${service}`, name, kind: 'token', roles });
const agent = (host: string): Who => ({ source: `runway/agent/${host}`, name: host, kind: 'agent', roles: 'agent' });
const sha = (revno: number) => createHash('sha1').update(`r${revno}`).digest('hex');
const iso = (at: number) => new Date(at).toISOString();
const S = 1000;

type Add = <T extends object>(def: EventDefinition<T>, data: T, at: number, who: Who, correlationid: string) => void;

/** One revision's life on the QA branch: 20 events. */
function qaEvents(add: Add, revno: number, t: number): void {
  const s = sha(revno);
  const corr = randomUUID();
  const rollout = randomUUID();
  const qaGate = runway('qa-gate');
  const rolloutSvc = runway('rollout');
  add(Events.RevisionLanded, {
    branch: QA_BRANCH, sha: s, revno, message: `Fix bug ${revno} in the checkout page\n\nLonger description of the change.`, author: `Dev ${revno % 40} <dev${revno % 40}@example.com>`,
    landedAt: iso(t), buildUrl: `https://buildbot.example.com/builders/stable/builds/${revno}`, reportedBy: 'buildbot', buildId: revno,
  }, t, person('qa-gate', 'buildbot', 'buildbot'), corr);
  add(Events.QaStatusChanged, { branch: QA_BRANCH, sha: s, revno, to: 'needs-testing', by: 'runway' }, t + 5 * S, qaGate, corr);
  add(Events.QaTipMoved, { branch: QA_BRANCH, sha: s, revno, previousSha: sha(revno - 1), containsDbRevision: false }, t + 10 * S, qaGate, corr);
  const change = (status: RolloutState, previousStatus: RolloutState | undefined, at: number) =>
    add(Events.RolloutChanged, {
      rolloutId: rollout, track: 'qa-tip', cause: 'qa-tip', status, previousStatus, revision: s, revno, kind: 'no-downtime', batch: 0, batches: 1,
      revisions: [s], skipped: [],
    }, at, rolloutSvc, corr);
  change('queued', undefined, t + 15 * S);
  const deployIds = QA_HOSTS.map(() => randomUUID());
  QA_HOSTS.forEach((host, h) => add(Events.DeployRequested, {
    deployId: deployIds[h], rolloutId: rollout, host, environment: 'qastaging', revision: s, revno, previousRevision: sha(revno - 1), kind: 'no-downtime',
    carryCowboys: [], wave: 'qa', batch: 0,
  }, t + (20 + h) * S, rolloutSvc, corr));
  change('in-progress', 'queued', t + 25 * S);
  for (const status of ['started', 'succeeded'] as const) {
    QA_HOSTS.forEach((host, h) => add(Events.DeployReported, {
      deployId: deployIds[h], rolloutId: rollout, host, revision: s, status,
      ...(status === 'succeeded' ? { durationMs: 28_000 + h * 700, outputTail: `Deploying ${s.slice(0, 10)}\nRunning migrations: none\nRestarting app servers... done` } : {}),
    }, t + (status === 'started' ? 30 : 60) * S + h * S, agent(host), corr));
  }
  change('succeeded', 'in-progress', t + 65 * S);
  const qa = person('qa-gate', `qa-${revno % 5}`, 'qa');
  add(Events.QaStatusChanged, { branch: QA_BRANCH, sha: s, revno, from: 'needs-testing', to: 'ok', by: qa.name, note: 'tested on qastaging' }, t + 300 * S, qa, corr);
  add(Events.QaPassed, {
    branch: QA_BRANCH, sha: s, revno, previousSha: sha(revno - 1), range: [{ sha: s, revno, db: false, summary: `Fix bug ${revno} in the checkout page` }],
    containsDbRevision: false, seq: revno,
  }, t + 305 * S, qaGate, corr);
}

/** One promotion of 10 revisions to 200 servers in 4 batches: 608 events. */
function productionEvents(add: Add, cycle: number, t: number): void {
  const first = cycle * 10 + 1;
  const tip = cycle * 10 + 10;
  const revisions = Array.from({ length: 10 }, (_, i) => ({ sha: sha(first + i), revno: first + i }));
  const shas = revisions.map((r) => r.sha);
  const corr = randomUUID();
  const rollout = randomUUID();
  const rolloutSvc = runway('rollout');
  add(Events.Promoted, {
    promotionId: randomUUID(), branch: 'production-stable', fromSha: sha(first - 1), toSha: sha(tip), toRevno: tip,
    revisions: revisions.map((r) => ({ ...r, db: false })), containsDbRevision: false, deployKind: 'no-downtime', cause: 'qa-passed', pendingMergeBack: [],
    move: 'fast-forward',
  }, t - 60 * S, runway('promotion'), corr);
  const change = (status: RolloutState, previousStatus: RolloutState | undefined, batch: number, at: number) =>
    add(Events.RolloutChanged, {
      rolloutId: rollout, track: 'promoted', cause: 'promoted', status, previousStatus, revision: sha(tip), revno: tip, kind: 'no-downtime', batch, batches: 4,
      revisions: shas, skipped: [],
    }, at, rolloutSvc, corr);
  change('queued', undefined, 0, t);
  for (let b = 0; b < 4; b++) {
    const start = t + (b * 150 + 1) * S;
    change('in-progress', b === 0 ? 'queued' : 'in-progress', b, start);
    const hosts = PROD_HOSTS.slice(b * 50, b * 50 + 50);
    const deployIds = hosts.map(() => randomUUID());
    hosts.forEach((host, h) => add(Events.DeployRequested, {
      deployId: deployIds[h], rolloutId: rollout, host, environment: 'lpnet', revision: sha(tip), revno: tip, previousRevision: sha(first - 1),
      kind: 'no-downtime', carryCowboys: [], wave: 'lpnet', batch: b,
    }, start + S + h * 20, rolloutSvc, corr));
    hosts.forEach((host, h) => add(Events.DeployReported, { deployId: deployIds[h], rolloutId: rollout, host, revision: sha(tip), status: 'started' }, start + 2 * S + h * 20, agent(host), corr));
    hosts.forEach((host, h) => add(Events.DeployReported, {
      deployId: deployIds[h], rolloutId: rollout, host, revision: sha(tip), status: 'succeeded', durationMs: 60_000 + (h % 30) * S,
      outputTail: `Deploying ${sha(tip).slice(0, 10)}\nRunning migrations: none\nRestarting app servers... done`,
    }, start + (62 + (h % 30)) * S, agent(host), corr));
  }
  change('succeeded', 'in-progress', 3, t + 620 * S);
  add(Events.RunningEverywhere, { revisions, at: iso(t + 630 * S) }, t + 630 * S, rolloutSvc, corr);
}

/** What else happens in a cycle's two hours: 192 events (flags, holds, cowboys, QA of production). */
function backgroundEvents(add: Add, cycle: number, t: number): void {
  for (let i = 0; i < 192; i++) {
    const at = t + i * 37 * S;
    const host = PROD_HOSTS[(cycle * 7 + i * 13) % 200];
    const revno = cycle * 10 + (i % 10) + 1;
    const corr = randomUUID();
    const m = i % 12;
    if (m < 4) {
      const who = person('flags', `flag-editor-${i % 3}`, 'flag-editor');
      add(Events.FlagChanged, { version: cycle * 192 + i + 1, flags: [`flag-${i % 50}`], comment: 'turn on for beta testers', by: who.name }, at, who, corr);
    } else if (m < 8) {
      add(Events.ServerChanged, { host, change: m % 2 === 0 ? 'held' : 'released', environment: 'lpnet', reason: 'disk check' }, at, person('rollout', `ops-${i % 4}`, 'operator'), corr);
    } else if (m < 10) {
      const who = person('rollout', `ops-${i % 4}`, 'operator');
      add(Events.CowboyApplied, {
        host, patchHash: sha(cycle * 1000 + i), reason: 'hot fix for a crash in the checkout page', appliedBy: who.name, detected: false, policy: 'carry',
      }, at, who, corr);
    } else if (m < 11) {
      add(Events.CowboyRemoved, { host, patchHash: sha(cycle * 1000 + i - 2), reason: `fixed in r${revno}`, retiredByRevision: sha(revno) }, at, runway('rollout'), corr);
    } else if (i % 24 === 11) {
      add(Events.PromotionHeld, { branch: 'production-stable', sha: sha(revno), revno, code: 'frozen', reason: 'release freeze' }, at, runway('promotion'), corr);
    } else {
      add(Events.ProductionQaChanged, { branch: QA_BRANCH, seq: cycle * 8 + i, productionRevno: cycle * 10 + 1, productionSha: sha(cycle * 10 + 1), bad: [] }, at, runway('qa-gate'), corr);
    }
  }
}

function ingestEvents(subjects: Subjects, n: number, startMs: number): Outgoing[] {
  const out: Outgoing[] = [];
  const add: Add = (def, data, at, who, correlationid) => {
    if (out.length >= n) return;
    const id = randomUUID();
    const key = def.key(data);
    const event = {
      specversion: '1.0', id, source: who.source, type: def.type, subject: key, time: iso(at), datacontenttype: 'application/json', correlationid,
      actor: who.name, actorkind: who.kind, ...(who.roles ? { actorroles: who.roles } : {}), data,
    };
    out.push({ id, subject: subjects.event(def.type, key), body: JSON.stringify(event) });
  };
  for (let cycle = 0; out.length < n; cycle++) {
    const t = startMs + cycle * CYCLE_MS;
    for (let k = 0; k < 10; k++) qaEvents(add, cycle * 10 + k + 1, t + k * 600 * S);
    productionEvents(add, cycle, t + 100 * 60 * S);
    backgroundEvents(add, cycle, t);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// CPU, from /proc

const CLOCK_TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

interface CpuSnapshot {
  at: number;
  bench: number;
  trail: number;
  /** Postgres backends serving this benchmark's database, by pid: one that ends between two snapshots is left out of both. */
  pg: Map<number, number>;
  nats: number;
  machine: number;
}

function cpuSnapshot(trailPid: number | undefined, database: string): CpuSnapshot {
  const u = process.cpuUsage();
  const snap: CpuSnapshot = { at: wallMs(), bench: (u.user + u.system) / 1e6, trail: 0, pg: new Map(), nats: 0, machine: Number.NaN };
  try {
    const t = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    snap.machine = (t.reduce((a, b) => a + b, 0) - t[3] - (t[4] ?? 0) - (t[8] ?? 0) - (t[9] ?? 0)) / CLOCK_TICKS;
  } catch {
    /* no /proc */
  }
  for (const e of procEntries()) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const sec = (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
      if (Number(e) === trailPid) snap.trail += sec;
      else if (comm === 'nats-server') snap.nats += sec;
      else if (comm.startsWith('postgres') && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(` ${database} `)) snap.pg.set(Number(e), sec);
    } catch {
      /* gone meanwhile */
    }
  }
  return snap;
}

function procEntries(): string[] {
  try {
    return readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
}

/** CPU seconds spent between two snapshots, by part, and the wall-clock seconds between them. */
interface CpuDelta {
  wall: number;
  bench: number;
  trail: number;
  pg: number;
  nats: number;
  machine: number;
}

function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): CpuDelta {
  let pg = 0;
  for (const [pid, sec] of b.pg) pg += sec - (a.pg.get(pid) ?? 0);
  return { wall: (b.at - a.at) / 1000, bench: b.bench - a.bench, trail: b.trail - a.trail, pg, nats: b.nats - a.nats, machine: b.machine - a.machine };
}

/**
 * CPU shares over a phase. On a busy machine wall-clock times stretch while CPU time per unit
 * of work stays about the same, so the lines also give CPU milliseconds per unit.
 */
function cpuLine(d: CpuDelta, main: 'trail' | 'this process', units: number, unit: string): string {
  const pct = (x: number) => `${((x / d.wall) * 100).toFixed(0)}%`;
  const per = (x: number) => `${((x * 1000) / units).toFixed(2)} ms`;
  const own = main === 'trail' ? d.trail : d.bench;
  return `CPU over ${d.wall.toFixed(2)} s (% of one core, ${cpus().length} cores): ${main} ${pct(own)}, its Postgres backends ${pct(d.pg)}, ` +
    `nats-server ${pct(d.nats)}, the whole machine ${pct(d.machine)}; per ${unit}: ${main} ${per(own)}, Postgres ${per(d.pg)}`;
}

/** trail's pid, found by its command line and namespace (the handle knows it only once it is ready). */
function findTrailPid(namespace: string): number | undefined {
  for (const e of procEntries()) {
    try {
      if (!readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(join('apps', 'trail', 'dist', 'main.js'))) continue;
      if (readFileSync(`/proc/${e}/environ`, 'utf8').split('\0').includes(`RUNWAY_NAMESPACE=${namespace}`)) return Number(e);
    } catch {
      /* gone, or not ours */
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// 1. Ingest

async function publishAll(nc: NatsConnection, events: Outgoing[]): Promise<number> {
  const js = jetstream(nc);
  const t0 = performance.now();
  const WINDOW = 512;
  for (let i = 0; i < events.length; i += WINDOW) {
    const acks = await Promise.all(events.slice(i, i + WINDOW).map((e) => js.publish(e.subject, e.body, { msgID: e.id, timeout: 10_000 })));
    if (acks.some((a) => a.duplicate)) throw new Error('JetStream took a published event for a duplicate');
  }
  return performance.now() - t0;
}

/**
 * Checks every event as trail will (so none is dead-lettered), and measures the CPU time, in µs
 * per event, of what trail does per message in JS before its INSERT; the better of two passes.
 */
function readAsTrail(subjects: Subjects, events: Outgoing[]): number {
  return Math.min(readPass(subjects, events), readPass(subjects, events));
}

function readPass(subjects: Subjects, events: Outgoing[]): number {
  const t0 = process.cpuUsage();
  for (const e of events) {
    const parsed = parseEvent(e.body);
    if (!parsed.ok) throw new Error(`an event of the benchmark is invalid: ${parsed.reason}\n${e.body.slice(0, 500)}`);
    const misdirected = subjectMismatch(subjects, e.subject, parsed.event);
    if (misdirected) throw new Error(`an event of the benchmark is misdirected: ${misdirected}`);
    describeEvent(parsed.event);
  }
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / events.length;
}

interface FloorRun {
  ms: number;
  perSecond: number;
  dbMsPerBatch: number;
  batches: number;
  cpu: CpuDelta;
}

/** A raw durable pull consumer over the event stream, 500 at a time into a plain table, acked after the commit. */
async function floorIngest(nc: NatsConnection, subjects: Subjects, dbUrl: string, dbName: string, n: number): Promise<FloorRun> {
  const c = new Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  const jsm = await jetstreamManager(nc);
  const durable = 'bench_trail_floor';
  try {
    await c.query(`CREATE TABLE bench_trail_floor (seq bigint PRIMARY KEY, subject text NOT NULL, event jsonb NOT NULL)`);
    await jsm.consumers.add(subjects.eventStream, {
      durable_name: durable, filter_subject: subjects.eventWildcard, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30_000), max_ack_pending: BATCH * 4, max_deliver: -1,
    });
    const consumer = await jetstream(nc).consumers.get(subjects.eventStream, durable);
    const cpu0 = cpuSnapshot(undefined, dbName);
    const messages = await consumer.consume({ max_messages: BATCH * 2 });
    let t0 = 0;
    let done = 0;
    let dbMs = 0;
    let batches = 0;
    let batch: JsMsg[] = [];
    const run = (async () => {
      for await (const m of messages) {
        if (done === 0 && batch.length === 0) t0 = wallMs();
        batch.push(m);
        if (batch.length < BATCH && done + batch.length < n) continue;
        const params: unknown[] = [];
        const rows = batch.map((x) => {
          params.push(x.seq, x.subject, x.string());
          return `($${params.length - 2}, $${params.length - 1}, $${params.length})`;
        });
        const tb = performance.now();
        await c.query('BEGIN');
        await c.query(`INSERT INTO bench_trail_floor (seq, subject, event) VALUES ${rows.join(', ')}`, params);
        await c.query('COMMIT');
        dbMs += performance.now() - tb;
        batches++;
        for (const x of batch) x.ack();
        done += batch.length;
        batch = [];
        if (done >= n) break;
      }
    })();
    await withTimeout(run, INGEST_TIMEOUT_MS, `the floor consumer (${done} of ${n} written)`).finally(() => messages.stop());
    const t1 = wallMs();
    const cpu1 = cpuSnapshot(undefined, dbName);
    const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM bench_trail_floor');
    if (rows[0].n !== n) throw new Error(`the floor table holds ${rows[0].n} events, not ${n}`);
    return { ms: t1 - t0, perSecond: n / ((t1 - t0) / 1000), dbMsPerBatch: dbMs / batches, batches, cpu: cpuDelta(cpu0, cpu1) };
  } finally {
    await jsm.consumers.delete(subjects.eventStream, durable).catch(() => undefined);
    await c.query('DROP TABLE IF EXISTS bench_trail_floor').catch(() => undefined);
    await c.end().catch(() => undefined);
  }
}

interface TrailRun {
  ms: number;
  perSecond: number;
  /** CPU from the first look that saw entries to the end, and how many events trail recorded meanwhile. */
  cpu: CpuDelta | null;
  cpuEvents: number;
  pidFound: boolean;
  readyBeforeDone: boolean;
}

/**
 * Starts trail on the filled stream and watches trail.entries fill: from its first batch's
 * transaction (the earliest ingested_at) to the poll that sees every event, both on Postgres's clock.
 */
async function trailIngest(env: Record<string, string>, dir: string, port: number, dbUrl: string, dbName: string, namespace: string, n: number): Promise<{ run: TrailRun; svc: ProcessHandle & { url: string } }> {
  const poller = new Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
  await poller.connect();
  undo.push({ what: 'close the poller', fn: () => poller.end() });
  const state: { svc?: ProcessHandle & { url: string }; error?: unknown; readyAt?: number; pid?: number } = {};
  const starting = startService('trail', env, { logDir: join(dir, 'logs'), port, readyMs: 120_000 }).then(
    (h) => {
      state.svc = h;
      state.readyAt = wallMs();
    },
    (e: unknown) => {
      state.error = e;
    },
  );
  // Registered now: a failure before trail is ready must not leave it running.
  undo.push({
    what: 'stop trail',
    fn: async () => {
      if (state.svc) return state.svc.stop();
      if (state.pid) process.kill(state.pid, 'SIGKILL');
    },
  });
  const deadline = Date.now() + INGEST_TIMEOUT_MS;
  let pid: number | undefined;
  let cpu0: CpuSnapshot | undefined;
  let cpuFrom = 0;
  let seen = 0;
  for (;;) {
    if (state.error) throw state.error;
    if (Date.now() > deadline) throw new TimeoutError(`trail did not record ${n} events within ${INGEST_TIMEOUT_MS} ms (max(seq) ${seen})`);
    pid ??= findTrailPid(namespace);
    state.pid = pid;
    let top = 0;
    let now = 0;
    try {
      const { rows } = await poller.query<{ top: string; now: number }>(
        `SELECT coalesce(max(seq), 0)::text AS top, extract(epoch FROM clock_timestamp())::float8 * 1000 AS now FROM trail.entries`,
      );
      top = Number(rows[0].top);
      now = rows[0].now;
    } catch (e) {
      // Until its migrations have run, there is no table to look at.
      if (!['42P01', '3F000'].includes((e as { code?: string }).code ?? '')) throw e;
    }
    seen = top;
    if (top > 0 && !cpu0) {
      cpu0 = cpuSnapshot(pid, dbName);
      cpuFrom = top;
    }
    if (top >= n) {
      const { rows } = await poller.query<{ n: number; first: number; dead: number }>(
        `SELECT count(*)::int AS n, extract(epoch FROM min(ingested_at))::float8 * 1000 AS first, count(*) FILTER (WHERE type = $1)::int AS dead FROM trail.entries`,
        [TRAIL_DEAD_LETTER_TYPE],
      );
      const r = rows[0];
      if (r.dead > 0) throw new Error(`trail dead-lettered ${r.dead} of the benchmark's events; see its log`);
      if (r.n >= n) {
        const cpu1 = cpuSnapshot(pid, dbName);
        const doneWall = wallMs();
        await withTimeout(starting, 120_000, 'trail start');
        if (state.error) throw state.error;
        if (r.n !== n) throw new Error(`trail.entries holds ${r.n} entries, not ${n}`);
        return {
          run: {
            ms: now - r.first, perSecond: n / ((now - r.first) / 1000), cpu: cpu0 && cpuFrom < n ? cpuDelta(cpu0, cpu1) : null, cpuEvents: n - cpuFrom,
            pidFound: pid !== undefined, readyBeforeDone: state.readyAt !== undefined && state.readyAt < doneWall,
          },
          svc: state.svc!,
        };
      }
    }
    await sleep(POLL_MS);
  }
}

const ENTRY_COLUMNS = `event_id, type, time, source, subject, actor, actor_kind, actor_roles, reason, correlation_id, causation_id, summary,
  revisions, hosts, rollout_id, track, revno, event`;

/** trail's INSERT (TrailRepository.insert), replayed from here on the rows trail wrote, into an empty copy of its table. */
async function replayTrailInserts(dbUrl: string, dbName: string): Promise<{ dbMsPerBatch: number; pgCpuMsPerBatch: number; jsonMsPerBatch: number; batches: number }> {
  const c = new Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(`CREATE TABLE bench_trail_replay (LIKE trail.entries INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
    const { rows } = await c.query<Record<string, unknown> & { time: Date }>(`SELECT ${ENTRY_COLUMNS} FROM trail.entries ORDER BY seq`);
    let dbMs = 0;
    let jsonMs = 0;
    let batches = 0;
    const cpu0 = cpuSnapshot(undefined, dbName);
    for (let i = 0; i < rows.length; i += BATCH) {
      const tj = performance.now();
      const json = JSON.stringify(rows.slice(i, i + BATCH).map((r) => ({ ...r, time: r.time.toISOString() })));
      const t0 = performance.now();
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO bench_trail_replay (${ENTRY_COLUMNS})
         SELECT ${ENTRY_COLUMNS}
           FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, type text, time timestamptz, source text, subject text, actor text, actor_kind text,
                actor_roles text[], reason text, correlation_id text, causation_id text, summary text, revisions text[], hosts text[], rollout_id text,
                track text, revno int, event jsonb)
         ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
        [json],
      );
      await c.query('COMMIT');
      const t1 = performance.now();
      jsonMs += t0 - tj;
      dbMs += t1 - t0;
      batches++;
    }
    const cpu = cpuDelta(cpu0, cpuSnapshot(undefined, dbName));
    return { dbMsPerBatch: dbMs / batches, pgCpuMsPerBatch: (cpu.pg * 1000) / batches, jsonMsPerBatch: jsonMs / batches, batches };
  } finally {
    await c.query('DROP TABLE IF EXISTS bench_trail_replay').catch(() => undefined);
    await c.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. A trail of TRAIL_EVENTS entries, made by SQL
//
// $1, $2: the first cycle and the one after the last; $3: the first cycle's start (epoch ms).
// Per cycle of 10 revisions, the same 1,000 entries as the published events above.

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const SQL_SHA = (x: string) => `(md5('r' || (${x})::text) || left(md5('s' || (${x})::text), 8))`;
const SQL_UUID = (x: string) => `md5(${x})::uuid::text`;
const SQL_ISO = (t: string) => `to_char((${t}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const CYCLE_T = `(to_timestamp($3::float8 / 1000) + grp * interval '2 hours')`;
const REVISIONS_OF_CYCLES = `FROM generate_series($1::int, $2::int - 1) AS grp, generate_series(0, 9) AS k,
  LATERAL (SELECT grp * 10 + k + 1 AS rv, ${CYCLE_T} + k * interval '10 minutes' AS t0) AS r`;
const PRODUCTION_OF_CYCLES = `FROM generate_series($1::int, $2::int - 1) AS grp,
  LATERAL (SELECT grp * 10 + 10 AS tip, ${CYCLE_T} + interval '100 minutes' AS t0, ${SQL_UUID(`'prod:' || grp`)} AS ro,
                  (SELECT array_agg(${SQL_SHA('grp * 10 + n')} ORDER BY n) FROM generate_series(1, 10) AS n) AS shas) AS p`;
const BACKGROUND_OF_CYCLES = `FROM generate_series($1::int, $2::int - 1) AS grp, generate_series(0, 191) AS i,
  LATERAL (SELECT ${CYCLE_T} + i * interval '37 seconds' AS t, i % 12 AS m, 'app' || lpad(((grp * 7 + i * 13) % 200 + 1)::text, 3, '0') || '.lpnet' AS host,
                  grp * 10 + i % 10 + 1 AS rv) AS b`;
const QA_HOST = `'qastaging' || h`;
const PROD_HOST = `'app' || lpad(h::text, 3, '0') || '.lpnet'`;
const OUTPUT_TAIL = `'Deploying ' || left(${SQL_SHA('tip')}, 10) || E'\\nRunning migrations: none\\nRestarting app servers... done'`;

/** INSERT into trail.entries from a SELECT of (event_id, type, time, source, subject, actor, actor_kind, actor_roles, correlation_id, summary, revisions, hosts, rollout_id, track, revno, data). */
function entriesFrom(select: string): string {
  return `INSERT INTO trail.entries (event_id, type, time, source, subject, actor, actor_kind, actor_roles, correlation_id, summary, revisions, hosts, rollout_id,
                                     track, revno, event)
    SELECT event_id, type, time, source, subject, actor, actor_kind, actor_roles, correlation_id, summary, revisions, hosts, rollout_id, track, revno,
           jsonb_build_object('specversion', '1.0', 'id', event_id, 'source', source, 'type', type, 'subject', subject, 'time', ${SQL_ISO('time')},
                              'datacontenttype', 'application/json', 'correlationid', correlation_id, 'actor', actor, 'actorkind', actor_kind,
                              'actorroles', array_to_string(actor_roles, ','), 'data', data)
      FROM (${select}) AS x(event_id, type, time, source, subject, actor, actor_kind, actor_roles, correlation_id, summary, revisions, hosts, rollout_id, track,
                            revno, data)`;
}

const FILL: { what: string; sql: string }[] = [
  {
    what: 'revision-landed',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'landed:' || rv`)}, ${lit(Events.RevisionLanded.type)}, t0, 'runway/qa-gate', ${lit(QA_BRANCH)}, 'buildbot', 'token',
      ARRAY['buildbot'], ${SQL_UUID(`'corr:' || rv`)}, 'r' || rv || ' landed on stable: Fix bug ' || rv || ' in the checkout page', ARRAY[${SQL_SHA('rv')}],
      '{}'::text[], NULL::text, NULL::text, rv,
      jsonb_build_object('branch', ${lit(QA_BRANCH)}, 'sha', ${SQL_SHA('rv')}, 'revno', rv, 'message', 'Fix bug ' || rv || ' in the checkout page',
        'author', 'Dev ' || (rv % 40) || ' <dev' || (rv % 40) || '@example.com>', 'landedAt', ${SQL_ISO('t0')},
        'buildUrl', 'https://buildbot.example.com/builders/stable/builds/' || rv, 'reportedBy', 'buildbot', 'buildId', rv)
      ${REVISIONS_OF_CYCLES}`),
  },
  {
    what: 'qa-status-changed',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'qa:' || rv || ':' || i`)}, ${lit(Events.QaStatusChanged.type)}, t0 + (CASE i WHEN 0 THEN 5 ELSE 300 END) * interval '1 second',
      'runway/qa-gate', ${lit(QA_BRANCH)}, who, CASE i WHEN 0 THEN 'runway' ELSE 'token' END, CASE i WHEN 0 THEN '{}'::text[] ELSE ARRAY['qa'] END,
      ${SQL_UUID(`'corr:' || rv`)}, 'r' || rv || ' marked ' || st || ' by ' || who || CASE i WHEN 0 THEN '' ELSE ' (was needs-testing): tested on qastaging' END,
      ARRAY[${SQL_SHA('rv')}], '{}'::text[], NULL::text, NULL::text, rv,
      jsonb_strip_nulls(jsonb_build_object('branch', ${lit(QA_BRANCH)}, 'sha', ${SQL_SHA('rv')}, 'revno', rv,
        'from', CASE i WHEN 0 THEN NULL ELSE 'needs-testing' END, 'to', st, 'by', who, 'note', CASE i WHEN 0 THEN NULL ELSE 'tested on qastaging' END))
      ${REVISIONS_OF_CYCLES}, generate_series(0, 1) AS i,
      LATERAL (SELECT CASE i WHEN 0 THEN 'needs-testing' ELSE 'ok' END AS st, CASE i WHEN 0 THEN 'runway' ELSE 'qa-' || (rv % 5) END AS who) AS q`),
  },
  {
    what: 'qa-tip-moved',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'tip:' || rv`)}, ${lit(Events.QaTipMoved.type)}, t0 + interval '10 seconds', 'runway/qa-gate', ${lit(QA_BRANCH)}, 'runway', 'runway',
      '{}'::text[], ${SQL_UUID(`'corr:' || rv`)}, 'QA tip of stable moved to r' || rv, ARRAY[${SQL_SHA('rv')}], '{}'::text[], NULL::text, NULL::text, rv,
      jsonb_build_object('branch', ${lit(QA_BRANCH)}, 'sha', ${SQL_SHA('rv')}, 'revno', rv, 'previousSha', ${SQL_SHA('rv - 1')}, 'containsDbRevision', false)
      ${REVISIONS_OF_CYCLES}`),
  },
  {
    what: 'rollout-changed (QA)',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'qaro:' || rv || ':' || i`)}, ${lit(Events.RolloutChanged.type)}, t0 + (ARRAY[15, 25, 65])[i + 1] * interval '1 second',
      'runway/rollout', 'qa-tip', 'runway', 'runway', '{}'::text[], ${SQL_UUID(`'corr:' || rv`)},
      'QA rollout of r' || rv || ' (qa-tip, no-downtime) ' || st || CASE i WHEN 1 THEN ', batch 1 of 1' ELSE '' END,
      ARRAY[${SQL_SHA('rv')}], '{}'::text[], ${SQL_UUID(`'qa:' || rv`)}, 'qa-tip', rv,
      jsonb_strip_nulls(jsonb_build_object('rolloutId', ${SQL_UUID(`'qa:' || rv`)}, 'track', 'qa-tip', 'cause', 'qa-tip', 'status', st,
        'previousStatus', (ARRAY[NULL, 'queued', 'in-progress'])[i + 1], 'revision', ${SQL_SHA('rv')}, 'revno', rv, 'kind', 'no-downtime', 'batch', 0,
        'batches', 1, 'revisions', jsonb_build_array(${SQL_SHA('rv')}), 'skipped', '[]'::jsonb))
      ${REVISIONS_OF_CYCLES}, generate_series(0, 2) AS i, LATERAL (SELECT (ARRAY['queued', 'in-progress', 'succeeded'])[i + 1] AS st) AS q`),
  },
  {
    what: 'deploy-requested (QA)',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'qareq:' || rv || ':' || h`)}, ${lit(Events.DeployRequested.type)}, t0 + (19 + h) * interval '1 second', 'runway/rollout',
      ${QA_HOST}, 'runway', 'runway', '{}'::text[], ${SQL_UUID(`'corr:' || rv`)},
      'deploy of r' || rv || ' to ' || ${QA_HOST} || ' requested (qastaging, wave qa, batch 1, no-downtime)', ARRAY[${SQL_SHA('rv')}], ARRAY[${QA_HOST}],
      ${SQL_UUID(`'qa:' || rv`)}, NULL::text, rv,
      jsonb_build_object('deployId', ${SQL_UUID(`'qadep:' || rv || ':' || h`)}, 'rolloutId', ${SQL_UUID(`'qa:' || rv`)}, 'host', ${QA_HOST},
        'environment', 'qastaging', 'revision', ${SQL_SHA('rv')}, 'revno', rv, 'previousRevision', ${SQL_SHA('rv - 1')}, 'kind', 'no-downtime',
        'carryCowboys', '[]'::jsonb, 'wave', 'qa', 'batch', 0)
      ${REVISIONS_OF_CYCLES}, generate_series(1, 4) AS h`),
  },
  {
    what: 'deploy-reported (QA)',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'qarep:' || rv || ':' || h || ':' || i`)}, ${lit(Events.DeployReported.type)},
      t0 + (CASE i WHEN 0 THEN 29 ELSE 59 END + h) * interval '1 second', 'runway/agent/' || ${QA_HOST}, ${QA_HOST}, ${QA_HOST}, 'agent', ARRAY['agent'],
      ${SQL_UUID(`'corr:' || rv`)}, ${QA_HOST} || ': deploy of ' || left(${SQL_SHA('rv')}, 10) || ' ' || st || CASE i WHEN 0 THEN '' ELSE ' in 28.7 s' END,
      ARRAY[${SQL_SHA('rv')}], ARRAY[${QA_HOST}], ${SQL_UUID(`'qa:' || rv`)}, NULL::text, NULL::int,
      jsonb_strip_nulls(jsonb_build_object('deployId', ${SQL_UUID(`'qadep:' || rv || ':' || h`)}, 'rolloutId', ${SQL_UUID(`'qa:' || rv`)}, 'host', ${QA_HOST},
        'revision', ${SQL_SHA('rv')}, 'status', st, 'durationMs', CASE i WHEN 0 THEN NULL ELSE 28000 + h * 700 END,
        'outputTail', CASE i WHEN 0 THEN NULL ELSE 'Deploying ' || left(${SQL_SHA('rv')}, 10) || E'\\nRunning migrations: none\\nRestarting app servers... done' END))
      ${REVISIONS_OF_CYCLES}, generate_series(1, 4) AS h, generate_series(0, 1) AS i,
      LATERAL (SELECT CASE i WHEN 0 THEN 'started' ELSE 'succeeded' END AS st) AS q`),
  },
  {
    what: 'qa-passed',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'passed:' || rv`)}, ${lit(Events.QaPassed.type)}, t0 + interval '305 seconds', 'runway/qa-gate', ${lit(QA_BRANCH)}, 'runway',
      'runway', '{}'::text[], ${SQL_UUID(`'corr:' || rv`)}, 'r' || rv || ' approved by QA: 1 revision', ARRAY[${SQL_SHA('rv')}], '{}'::text[], NULL::text,
      NULL::text, rv,
      jsonb_build_object('branch', ${lit(QA_BRANCH)}, 'sha', ${SQL_SHA('rv')}, 'revno', rv, 'previousSha', ${SQL_SHA('rv - 1')},
        'range', jsonb_build_array(jsonb_build_object('sha', ${SQL_SHA('rv')}, 'revno', rv, 'db', false, 'summary', 'Fix bug ' || rv || ' in the checkout page')),
        'containsDbRevision', false, 'seq', rv)
      ${REVISIONS_OF_CYCLES}`),
  },
  {
    what: 'promoted',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'promoted:' || grp`)}, ${lit(Events.Promoted.type)}, t0 - interval '60 seconds', 'runway/promotion', 'production-stable',
      'runway', 'runway', '{}'::text[], ${SQL_UUID(`'pcorr:' || grp`)}, 'production-stable moved to r' || tip || ' (fast-forward, no-downtime, qa-passed)', shas,
      '{}'::text[], NULL::text, NULL::text, tip,
      jsonb_build_object('promotionId', ${SQL_UUID(`'promotion:' || grp`)}, 'branch', 'production-stable', 'fromSha', ${SQL_SHA('grp * 10')},
        'toSha', ${SQL_SHA('tip')}, 'toRevno', tip,
        'revisions', (SELECT jsonb_agg(jsonb_build_object('sha', ${SQL_SHA('grp * 10 + n')}, 'revno', grp * 10 + n, 'db', false) ORDER BY n) FROM generate_series(1, 10) AS n),
        'containsDbRevision', false, 'deployKind', 'no-downtime', 'cause', 'qa-passed', 'pendingMergeBack', '[]'::jsonb, 'move', 'fast-forward')
      ${PRODUCTION_OF_CYCLES}`),
  },
  {
    what: 'rollout-changed (production)',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'pro:' || grp || ':' || i`)}, ${lit(Events.RolloutChanged.type)},
      t0 + (CASE i WHEN 0 THEN 0 WHEN 5 THEN 620 ELSE (i - 1) * 150 + 1 END) * interval '1 second', 'runway/rollout', 'promoted', 'runway', 'runway', '{}'::text[],
      ${SQL_UUID(`'pcorr:' || grp`)},
      'production rollout of r' || tip || ' (promoted, no-downtime) ' || st || CASE WHEN i BETWEEN 1 AND 4 THEN ', batch ' || i || ' of 4' ELSE '' END,
      shas, '{}'::text[], ro, 'promoted', tip,
      jsonb_strip_nulls(jsonb_build_object('rolloutId', ro, 'track', 'promoted', 'cause', 'promoted', 'status', st,
        'previousStatus', CASE i WHEN 0 THEN NULL WHEN 1 THEN 'queued' ELSE 'in-progress' END, 'revision', ${SQL_SHA('tip')}, 'revno', tip, 'kind', 'no-downtime',
        'batch', least(greatest(i - 1, 0), 3), 'batches', 4, 'revisions', to_jsonb(shas), 'skipped', '[]'::jsonb))
      ${PRODUCTION_OF_CYCLES}, generate_series(0, 5) AS i,
      LATERAL (SELECT CASE i WHEN 0 THEN 'queued' WHEN 5 THEN 'succeeded' ELSE 'in-progress' END AS st) AS q`),
  },
  {
    what: 'deploy-requested (production)',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'req:' || grp || ':' || h`)}, ${lit(Events.DeployRequested.type)},
      t0 + (((h - 1) / 50) * 150 + 2) * interval '1 second' + (h % 50) * interval '20 milliseconds', 'runway/rollout', ${PROD_HOST}, 'runway', 'runway',
      '{}'::text[], ${SQL_UUID(`'pcorr:' || grp`)},
      'deploy of r' || tip || ' to ' || ${PROD_HOST} || ' requested (lpnet, batch ' || ((h - 1) / 50 + 1) || ', no-downtime)', ARRAY[${SQL_SHA('tip')}],
      ARRAY[${PROD_HOST}], ro, NULL::text, tip,
      jsonb_build_object('deployId', ${SQL_UUID(`'dep:' || grp || ':' || h`)}, 'rolloutId', ro, 'host', ${PROD_HOST}, 'environment', 'lpnet',
        'revision', ${SQL_SHA('tip')}, 'revno', tip, 'previousRevision', ${SQL_SHA('grp * 10')}, 'kind', 'no-downtime', 'carryCowboys', '[]'::jsonb,
        'wave', 'lpnet', 'batch', (h - 1) / 50)
      ${PRODUCTION_OF_CYCLES}, generate_series(1, 200) AS h`),
  },
  {
    what: 'deploy-reported (production)',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'rep:' || grp || ':' || h || ':' || i`)}, ${lit(Events.DeployReported.type)},
      t0 + (((h - 1) / 50) * 150 + 3 + i * (60 + h % 30)) * interval '1 second' + (h % 50) * interval '20 milliseconds', 'runway/agent/' || ${PROD_HOST},
      ${PROD_HOST}, ${PROD_HOST}, 'agent', ARRAY['agent'], ${SQL_UUID(`'pcorr:' || grp`)},
      ${PROD_HOST} || ': deploy of ' || left(${SQL_SHA('tip')}, 10) || ' ' || st || CASE i WHEN 0 THEN '' ELSE ' in ' || (60 + h % 30) || '.0 s' END,
      ARRAY[${SQL_SHA('tip')}], ARRAY[${PROD_HOST}], ro, NULL::text, NULL::int,
      jsonb_strip_nulls(jsonb_build_object('deployId', ${SQL_UUID(`'dep:' || grp || ':' || h`)}, 'rolloutId', ro, 'host', ${PROD_HOST},
        'revision', ${SQL_SHA('tip')}, 'status', st, 'durationMs', CASE i WHEN 0 THEN NULL ELSE (60 + h % 30) * 1000 END,
        'outputTail', CASE i WHEN 0 THEN NULL ELSE ${OUTPUT_TAIL} END))
      ${PRODUCTION_OF_CYCLES}, generate_series(1, 200) AS h, generate_series(0, 1) AS i,
      LATERAL (SELECT CASE i WHEN 0 THEN 'started' ELSE 'succeeded' END AS st) AS q`),
  },
  {
    what: 'running-everywhere',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'everywhere:' || grp`)}, ${lit(Events.RunningEverywhere.type)}, t0 + interval '630 seconds', 'runway/rollout', 'production',
      'runway', 'runway', '{}'::text[], ${SQL_UUID(`'pcorr:' || grp`)}, 'r' || (grp * 10 + 1) || ' … r' || tip || ' run on every production server', shas,
      '{}'::text[], NULL::text, NULL::text, NULL::int,
      jsonb_build_object('revisions', (SELECT jsonb_agg(jsonb_build_object('sha', ${SQL_SHA('grp * 10 + n')}, 'revno', grp * 10 + n) ORDER BY n)
                                         FROM generate_series(1, 10) AS n), 'at', ${SQL_ISO(`t0 + interval '630 seconds'`)})
      ${PRODUCTION_OF_CYCLES}`),
  },
  {
    what: 'flag-changed',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'flag:' || grp || ':' || i`)}, ${lit(Events.FlagChanged.type)}, t, 'runway/flags', 'rules', who, 'token', ARRAY['flag-editor'],
      ${SQL_UUID(`'fcorr:' || grp || ':' || i`)}, 'flag flag-' || (i % 50) || ' changed by ' || who || ' (rules v' || (grp * 192 + i + 1) || '): turn on for beta testers',
      '{}'::text[], '{}'::text[], NULL::text, NULL::text, NULL::int,
      jsonb_build_object('version', grp * 192 + i + 1, 'flags', jsonb_build_array('flag-' || (i % 50)), 'comment', 'turn on for beta testers', 'by', who)
      ${BACKGROUND_OF_CYCLES}, LATERAL (SELECT 'flag-editor-' || (i % 3) AS who) AS w WHERE m < 4`),
  },
  {
    what: 'server-changed',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'server:' || grp || ':' || i`)}, ${lit(Events.ServerChanged.type)}, t, 'runway/rollout', host, who, 'token', ARRAY['operator'],
      ${SQL_UUID(`'scorr:' || grp || ':' || i`)}, host || ' ' || ch || ' by ' || who || ': disk check', '{}'::text[], ARRAY[host], NULL::text, NULL::text, NULL::int,
      jsonb_build_object('host', host, 'change', ch, 'environment', 'lpnet', 'reason', 'disk check')
      ${BACKGROUND_OF_CYCLES}, LATERAL (SELECT 'ops-' || (i % 4) AS who, CASE m % 2 WHEN 0 THEN 'held' ELSE 'released' END AS ch) AS w WHERE m BETWEEN 4 AND 7`),
  },
  {
    what: 'cowboy-applied',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'cowboy:' || grp || ':' || i`)}, ${lit(Events.CowboyApplied.type)}, t, 'runway/rollout', host, who, 'token', ARRAY['operator'],
      ${SQL_UUID(`'ccorr:' || grp || ':' || i`)}, 'cowboy ' || left(md5('patch:' || grp || ':' || i), 12) || ' applied on ' || host || ' by ' || who || ' (carry): hot fix',
      '{}'::text[], ARRAY[host], NULL::text, NULL::text, NULL::int,
      jsonb_build_object('host', host, 'patchHash', md5('patch:' || grp || ':' || i), 'reason', 'hot fix for a crash in the checkout page', 'appliedBy', who,
        'detected', false, 'policy', 'carry')
      ${BACKGROUND_OF_CYCLES}, LATERAL (SELECT 'ops-' || (i % 4) AS who) AS w WHERE m IN (8, 9)`),
  },
  {
    what: 'cowboy-removed',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'uncowboy:' || grp || ':' || i`)}, ${lit(Events.CowboyRemoved.type)}, t, 'runway/rollout', host, 'runway', 'runway', '{}'::text[],
      ${SQL_UUID(`'ccorr:' || grp || ':' || i`)}, 'cowboy ' || left(md5('patch:' || grp || ':' || (i - 2)), 12) || ' retired on ' || host || ': fixed in r' || rv,
      ARRAY[${SQL_SHA('rv')}], ARRAY[host], NULL::text, NULL::text, NULL::int,
      jsonb_build_object('host', host, 'patchHash', md5('patch:' || grp || ':' || (i - 2)), 'reason', 'fixed in r' || rv, 'retiredByRevision', ${SQL_SHA('rv')})
      ${BACKGROUND_OF_CYCLES} WHERE m = 10`),
  },
  {
    what: 'promotion-held',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'held:' || grp || ':' || i`)}, ${lit(Events.PromotionHeld.type)}, t, 'runway/promotion', 'production-stable', 'runway', 'runway',
      '{}'::text[], ${SQL_UUID(`'hcorr:' || grp || ':' || i`)}, 'promotion of r' || rv || ' held (frozen): release freeze', ARRAY[${SQL_SHA('rv')}], '{}'::text[],
      NULL::text, NULL::text, rv,
      jsonb_build_object('branch', 'production-stable', 'sha', ${SQL_SHA('rv')}, 'revno', rv, 'code', 'frozen', 'reason', 'release freeze')
      ${BACKGROUND_OF_CYCLES} WHERE m = 11 AND i % 24 = 11`),
  },
  {
    what: 'production-qa-changed',
    sql: entriesFrom(`SELECT ${SQL_UUID(`'pqa:' || grp || ':' || i`)}, ${lit(Events.ProductionQaChanged.type)}, t, 'runway/qa-gate', ${lit(QA_BRANCH)}, 'runway', 'runway',
      '{}'::text[], ${SQL_UUID(`'pqcorr:' || grp || ':' || i`)}, 'production runs no bad revision any more', '{}'::text[], '{}'::text[], NULL::text, NULL::text,
      NULL::int,
      jsonb_build_object('branch', ${lit(QA_BRANCH)}, 'seq', grp * 8 + i, 'productionRevno', grp * 10 + 1, 'productionSha', ${SQL_SHA('grp * 10 + 1')}, 'bad', '[]'::jsonb)
      ${BACKGROUND_OF_CYCLES} WHERE m = 11 AND i % 24 = 23`),
  },
];

/** The rest (trail-events not a whole number of cycles): flag changes in one more cycle. $1: that cycle, $2: how many, $3 as above. */
const FILL_REST = entriesFrom(`SELECT ${SQL_UUID(`'flag:' || grp || ':' || i`)}, ${lit(Events.FlagChanged.type)}, ${CYCLE_T} + i * interval '5 seconds', 'runway/flags', 'rules',
  'flag-editor-0', 'token', ARRAY['flag-editor'], ${SQL_UUID(`'fcorr:' || grp || ':' || i`)}, 'flag flag-' || (i % 50) || ' changed by flag-editor-0',
  '{}'::text[], '{}'::text[], NULL::text, NULL::text, NULL::int,
  jsonb_build_object('version', grp * 192 + i + 1, 'flags', jsonb_build_array('flag-' || (i % 50)), 'comment', 'turn on for beta testers', 'by', 'flag-editor-0')
  FROM (SELECT $1::int AS grp) AS g, generate_series(0, $2::int - 1) AS i`);

const FILL_REVISIONS = `INSERT INTO trail.revisions (sha, branch, revno, landed_at, landed_with, build_url, message, author)
  SELECT ${SQL_SHA('rv')}, ${lit(QA_BRANCH)}, rv, t0, NULL, 'https://buildbot.example.com/builders/stable/builds/' || rv, 'Fix bug ' || rv || ' in the checkout page',
         'Dev ' || (rv % 40) || ' <dev' || (rv % 40) || '@example.com>'
  ${REVISIONS_OF_CYCLES}`;

async function fillTrail(dbUrl: string, n: number): Promise<{ cycles: number; seconds: number }> {
  const c = new Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const t0 = performance.now();
    await c.query('SET synchronous_commit = off');
    // The ingest's entries go: the story is told over exactly `n` entries, and their revnos would clash.
    await c.query('TRUNCATE trail.entries, trail.revisions');
    const cycles = Math.floor(n / CYCLE);
    const start = Date.now() - (cycles + 2) * CYCLE_MS;
    const PER_STATEMENT = 100;
    for (let g = 0; g < cycles; g += PER_STATEMENT) {
      const to = Math.min(cycles, g + PER_STATEMENT);
      for (const f of FILL) {
        try {
          await c.query(f.sql, [g, to, start]);
        } catch (e) {
          throw new Error(`filling ${f.what}: ${(e as Error).message}`);
        }
      }
      log(`  ${(to * CYCLE).toLocaleString('en')} of ${n.toLocaleString('en')} entries (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    if (n % CYCLE) await c.query(FILL_REST, [cycles, n % CYCLE, start]);
    await c.query(FILL_REVISIONS, [0, cycles, start]);
    const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM trail.entries');
    if (rows[0].n !== n) throw new Error(`trail.entries holds ${rows[0].n} entries after the fill, not ${n}`);
    log(`  VACUUM ANALYZE (${((performance.now() - t0) / 1000).toFixed(1)} s so far)`);
    await c.query('VACUUM ANALYZE trail.entries');
    await c.query('VACUUM ANALYZE trail.revisions');
    return { cycles, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await c.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Story latency

async function getStory(url: string, revno: number): Promise<{ ms: number; body: string }> {
  const t0 = performance.now();
  let res: Response;
  let body: string;
  try {
    res = await fetch(`${url}/story/r${revno}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    body = await res.text();
  } catch (e) {
    const cause = (e as { cause?: { message?: string; code?: string } }).cause;
    throw new Error(`GET /story/r${revno} failed: ${(e as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`);
  }
  const took = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET /story/r${revno} answered ${res.status}: ${body.slice(0, 300)}`);
  return { ms: took, body };
}

const FLOOR_QUERY = `SELECT seq::text AS seq, event_id, type, time, source, subject, actor, actor_kind, actor_roles, reason, correlation_id, summary,
  revisions, hosts, rollout_id, track, revno, event FROM trail.entries WHERE revisions @> ARRAY[$1]::text[]`;

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const db = await createIsolatedDatabase(DATABASE_URL);
  undo.push({ what: 'drop the database', fn: () => db.drop() });
  const namespace = uniqueNamespace();
  undo.push({ what: 'drop the NATS namespace', fn: () => dropNamespace(NATS_URL, namespace) });
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-trail-'));
  keepDir = dir;
  undo.push({ what: 'remove the work directory', fn: async () => (keepDir ? undefined : rmSync(dir, { recursive: true, force: true })) });
  const subjects = new Subjects(namespace);
  const nc = await connect({ servers: NATS_URL, name: 'runway-bench-trail', timeout: 5000 });
  undo.push({ what: 'close the NATS connection', fn: () => nc.close() });
  log(`trail benchmark: ingest of ${EVENTS.toLocaleString('en')} events, story over ${TRAIL_EVENTS.toLocaleString('en')} entries (${REQUESTS} requests, ${CONCURRENCY} at a time)` +
    `${HEAP ? `, RUNWAY_HEAP=${HEAP}` : ''}${PROFILE ? ', trail profiled' : ''}`);
  log(`postgres ${new URL(DATABASE_URL).host}, nats ${NATS_URL}, namespace ${namespace}, load average ${readLoad()}`);

  // 1. Ingest ------------------------------------------------------------------------------------
  await provisionStreams(nc, subjects, DEFAULT_STREAM_SETTINGS);
  const events = ingestEvents(subjects, EVENTS, Date.now() - Math.ceil(EVENTS / CYCLE + 1) * CYCLE_MS);
  const types = new Map<string, number>();
  for (const e of events) {
    const t = subjects.typeOf(e.subject)!.replace(/^runway\./, '');
    types.set(t, (types.get(t) ?? 0) + 1);
  }
  log(`events: ${[...types].sort((a, b) => b[1] - a[1]).map(([t, k]) => `${t} ${k}`).join(', ')}; mean ${Math.round(events.reduce((a, e) => a + e.body.length, 0) / events.length)} bytes`);
  const readUs = readAsTrail(subjects, events);
  log(`  all valid; parsing, validating and describing them as trail does takes ${readUs.toFixed(1)} µs of CPU per event here (${ms((readUs * BATCH) / 1000)} per batch of ${BATCH})`);
  const publishMs = await publishAll(nc, events);
  const info = await (await jetstreamManager(nc)).streams.info(subjects.eventStream);
  if (info.state.messages !== EVENTS) throw new Error(`the event stream holds ${info.state.messages} messages, not ${EVENTS}`);
  log(`  published into ${subjects.eventStream} in ${ms(publishMs)} (${perS(EVENTS / (publishMs / 1000))}), ${(info.state.bytes / 1048576).toFixed(1)} MB`);

  log(`floor: a raw pull consumer writing batches of ${BATCH} into a plain table (one multi-row INSERT each, acked after the commit)`);
  const floor = await floorIngest(nc, subjects, db.url, db.name, EVENTS);
  log(`  ${perS(floor.perSecond)} (${ms(floor.ms)}); ${floor.batches} batches, ${ms(floor.dbMsPerBatch)} each in Postgres (BEGIN, INSERT, COMMIT)`);
  log(`  ${cpuLine(floor.cpu, 'this process', floor.batches, 'batch')}`);

  log('trail: started on the filled stream, timed from its first batch until trail.entries holds every event');
  const port = await freePort();
  const env = {
    DATABASE_URL: db.url, NATS_URL, RUNWAY_NAMESPACE: namespace, RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'warn', TRAIL_BATCH_SIZE: String(BATCH),
    ...(HEAP ? { RUNWAY_HEAP: HEAP } : {}),
    ...(PROFILE ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${profilerPreload(dir)}`.trim() } : {}),
  };
  const { run, svc } = await trailIngest(env, dir, port, db.url, db.name, namespace, EVENTS);
  const ratio = run.perSecond / floor.perSecond;
  log(`  ${perS(run.perSecond)} (${ms(run.ms)}${run.readyBeforeDone ? '' : '; done before trail answered ready'}); ${ms((BATCH / run.perSecond) * 1000)} per ${BATCH} events`);
  if (run.cpu) log(`  ${cpuLine(run.cpu, 'trail', run.cpuEvents / BATCH, 'batch')}${run.pidFound ? '' : ' (trail\'s process was not found)'}`);
  const replay = await replayTrailInserts(db.url, db.name);
  const trailBatchMs = (BATCH / run.perSecond) * 1000;
  const trailCpuMsPerBatch = run.cpu && run.pidFound ? (run.cpu.trail * 1000 * BATCH) / run.cpuEvents : Number.NaN;
  const readMsPerBatch = (readUs * BATCH) / 1000;
  log(`  where a batch of ${BATCH} goes (${ms(trailBatchMs)} in trail, using ${ms(trailCpuMsPerBatch)} of trail's CPU, GC threads included): parsing, validating and describing the events ` +
    `≈ ${ms(readMsPerBatch)} CPU (measured here); its INSERT (jsonb_to_recordset, 9 indexes), replayed from here on the same rows: ${ms(replay.dbMsPerBatch)}, ` +
    `${ms(replay.pgCpuMsPerBatch)} of Postgres CPU (the floor's INSERT: ${ms(floor.dbMsPerBatch)}, ${ms((floor.cpu.pg * 1000) / floor.batches)} of Postgres CPU)`);
  log(`ingest: trail ${perS(run.perSecond)} / floor ${perS(floor.perSecond)} = ${ratio.toFixed(2)} (goal ≥ ${GOAL_RATIO}): ${ratio >= GOAL_RATIO ? 'met' : 'NOT met'}`);

  // 2. Story -------------------------------------------------------------------------------------
  log(`story: filling trail.entries with ${TRAIL_EVENTS.toLocaleString('en')} entries by SQL`);
  const fill = await fillTrail(db.url, TRAIL_EVENTS);
  const revnos = fill.cycles * 10;
  const sizes = await (async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ table: string; indexes: string }>(
        `SELECT pg_size_pretty(pg_table_size('trail.entries')) AS table, pg_size_pretty(pg_indexes_size('trail.entries')) AS indexes`,
      );
      return rows[0];
    } finally {
      await c.end();
    }
  })();
  log(`  filled in ${fill.seconds.toFixed(1)} s: ${revnos.toLocaleString('en')} revisions, table ${sizes.table}, indexes ${sizes.indexes}`);

  const pick = () => 1 + Math.floor(Math.random() * revnos);
  const warm = Array.from({ length: WARMUP_REQUESTS }, pick);
  const picks = Array.from({ length: REQUESTS }, pick);
  const warmBodies: string[] = [];
  await runPool(warm.length, CONCURRENCY, async (i) => {
    warmBodies.push((await getStory(svc.url, warm[i])).body);
  });
  const stepCounts = warmBodies.map((b) => (JSON.parse(b) as { steps: unknown[] }).steps.length);
  const times: number[] = [];
  const bytes: number[] = [];
  const tStory = performance.now();
  let cpu0 = cpuSnapshot(svc.pid, db.name);
  await runPool(picks.length, CONCURRENCY, async (i) => {
    const r = await getStory(svc.url, picks[i]);
    times.push(r.ms);
    bytes.push(r.body.length);
  });
  const storyCpu = cpuDelta(cpu0, cpuSnapshot(svc.pid, db.name));
  const storyWall = performance.now() - tStory;
  const story = summarize(times);
  log(`  GET /story/r<revno>: p50 ${ms(story.p50)}, p90 ${ms(story.p90)}, p99 ${ms(story.p99)}, max ${ms(story.max)} (${REQUESTS} requests in ${ms(storyWall)}; ` +
    `${Math.round(stepCounts.reduce((a, b) => a + b, 0) / stepCounts.length)} steps and ${(bytes.reduce((a, b) => a + b, 0) / bytes.length / 1024).toFixed(0)} KB a story)`);
  log(`    ${cpuLine(storyCpu, 'trail', REQUESTS, 'story')}`);

  const pool = new Pool({ connectionString: db.url, max: CONCURRENCY, idleTimeoutMillis: 0, options: '-c search_path=trail' });
  undo.push({ what: 'close the Postgres pool', fn: () => pool.end() });
  const { rows: shaRows } = await pool.query<{ revno: number; sha: string }>(
    'SELECT revno, sha FROM trail.revisions WHERE branch = $1 AND revno = ANY($2)', [QA_BRANCH, [...new Set([...warm, ...picks])]],
  );
  const shaOf = new Map(shaRows.map((r) => [r.revno, r.sha]));
  const floorQuery = async (revno: number) => {
    const t0 = performance.now();
    const r = await pool.query(FLOOR_QUERY, [shaOf.get(revno)]);
    return { ms: performance.now() - t0, rows: r.rowCount ?? 0 };
  };
  await runPool(warm.length, CONCURRENCY, async (i) => void (await floorQuery(warm[i])));
  const floorTimes: number[] = [];
  const floorRows: number[] = [];
  cpu0 = cpuSnapshot(undefined, db.name);
  await runPool(picks.length, CONCURRENCY, async (i) => {
    const r = await floorQuery(picks[i]);
    floorTimes.push(r.ms);
    floorRows.push(r.rows);
  });
  const floorCpu = cpuDelta(cpu0, cpuSnapshot(undefined, db.name));
  const storyFloor = summarize(floorTimes);
  log(`  floor, the bare revisions @> ARRAY[sha] query: p50 ${ms(storyFloor.p50)}, p99 ${ms(storyFloor.p99)} (${Math.round(floorRows.reduce((a, b) => a + b, 0) / floorRows.length)} rows a revision)`);
  log(`    ${cpuLine(floorCpu, 'this process', REQUESTS, 'query')}`);

  // The same story made here with trail's repository and story code: which part is SQL.
  const repo = new TrailRepository({ query: async (sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows } as unknown as DataSource);
  const parts = { sql: [] as number[], tell: [] as number[], json: [] as number[] };
  const inProcess = async (revno: number, record: boolean) => {
    const t0 = performance.now();
    const [row] = await repo.revisionByRevno(QA_BRANCH, revno);
    const own = await repo.storyEntries(row.sha, row.revno);
    const window = rolloutWindow(own, new Date());
    const around = window ? await repo.surroundings(window.hosts, window.from, window.to) : [];
    const t1 = performance.now();
    const told = tellStory(row, own, around);
    const t2 = performance.now();
    JSON.stringify(told);
    const t3 = performance.now();
    if (!record) return;
    parts.sql.push(t1 - t0);
    parts.tell.push(t2 - t1);
    parts.json.push(t3 - t2);
  };
  await runPool(warm.length, CONCURRENCY, (i) => inProcess(warm[i], false));
  cpu0 = cpuSnapshot(undefined, db.name);
  await runPool(picks.length, CONCURRENCY, (i) => inProcess(picks[i], true));
  const inProcessCpu = cpuDelta(cpu0, cpuSnapshot(undefined, db.name));
  const sql = summarize(parts.sql);
  const tell = summarize(parts.tell);
  const json = summarize(parts.json);
  log(`  the story made in this process with trail's code: its SQL (revision, storyEntries, surroundings) p50 ${ms(sql.p50)} p99 ${ms(sql.p99)}; ` +
    `tellStory p50 ${ms(tell.p50)}; JSON.stringify p50 ${ms(json.p50)}`);
  log(`    ${cpuLine(inProcessCpu, 'this process', REQUESTS, 'story')}`);
  const storyMet = story.p99 <= GOAL_P99_MS;
  log(`story: p99 ${ms(story.p99)} (goal ≤ ${GOAL_P99_MS} ms): ${storyMet ? 'met' : 'NOT met'}; floor p99 ${ms(storyFloor.p99)}`);

  const result = roundResult({
    name: 'trail',
    ingest: {
      events: EVENTS,
      perSecond: run.perSecond,
      floorPerSecond: floor.perSecond,
      ratio,
      goalRatio: GOAL_RATIO,
      met: ratio >= GOAL_RATIO,
      trailBatchMs,
      trailCpuMsPerBatch,
      readCpuMsPerBatch: readMsPerBatch,
      insertMsPerBatch: replay.dbMsPerBatch,
      floorInsertMsPerBatch: floor.dbMsPerBatch,
    },
    story: {
      trailEvents: TRAIL_EVENTS,
      p50Ms: story.p50,
      p99Ms: story.p99,
      floorP99Ms: storyFloor.p99,
      goalP99Ms: GOAL_P99_MS,
      met: storyMet,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      floorP50Ms: storyFloor.p50,
      sqlP50Ms: sql.p50,
      sqlP99Ms: sql.p99,
      trailCpuMsPerStory: (storyCpu.trail * 1000) / REQUESTS,
      pgCpuMsPerStory: (storyCpu.pg * 1000) / REQUESTS,
      floorPgCpuMsPerQuery: (floorCpu.pg * 1000) / REQUESTS,
    },
  });
  if (!KEEP_LOGS) keepDir = null;
  await cleanup();
  if (KEEP_LOGS) log(`logs${PROFILE ? ' and trail\'s CPU profile' : ''} kept in ${dir}`);
  log(JSON.stringify(result));
}

/** A file trail's process requires first: it profiles the whole process and writes the profile when it exits. */
function profilerPreload(dir: string): string {
  const file = join(dir, 'profiler.cjs');
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
    if (!err) writeFileSync(${JSON.stringify(join(dir, 'trail.cpuprofile'))}, JSON.stringify(res.profile));
  });
});
`,
  );
  return file;
}

function readLoad(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

runBenchmark({
  name: 'trail',
  watchdogMs: WATCHDOG_MS,
  main,
  cleanup,
  keptAt: () => (keepDir ? join(keepDir, 'logs') : null),
});
