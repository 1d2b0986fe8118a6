/**
 * The chaos run: every service twice, agents, and Postgres and NATS of the run's own, all real
 * processes; landings and QA marks driven through random replicas while a random service
 * process is SIGKILLed and restarted every few seconds, NATS is restarted once (one node of a
 * cluster, in the cluster variant) and Postgres once. Then, once quiet, what Runway holds is
 * checked against a reference model computed from the same input:
 *   - every landing recorded exactly once, revnos 1..N;
 *   - the deployable revision and production-stable exactly as the model says;
 *   - production-stable's history strictly forward;
 *   - no agent ran a deploy twice, and every agent runs the model's production-stable;
 *   - every outbox empty; no durable consumer with anything pending or unacknowledged;
 *   - the dead-letter stream holds exactly the malformed messages sent on purpose;
 *   - the trail holds every event of the stream and every dead letter exactly once, and every
 *     landing, QA mark, promotion and deploy the services recorded.
 * `npm run chaos` runs it in full (10,000 landings); `npm test` runs a short one.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { Events, parseEvent, Subjects, TRAIL_DEAD_LETTER_TYPE } from '@runway/contracts';
import { freePort, TEST_ADMIN_TOKEN } from '@runway/testing';
import { issueToken, type ProcessHandle, type ServiceName, startAgent, startService } from '../../tools/stack.cjs';
import { type OwnNats, type OwnPostgres, startOwnNats, startOwnPostgres } from './infra';

export interface ChaosOptions {
  landings: number;
  agents: number;
  replicas: number;
  /** 1: one nats-server; 3: a JetStream cluster with R3 streams. */
  natsNodes: number;
  /** A random service process is SIGKILLed this often (0: never). */
  killEveryMs: number;
  restartNats: boolean;
  restartPostgres: boolean;
  /** Malformed messages published on purpose; they must all end in the dead-letter stream. */
  malformed: number;
  /** Replicas of the trail (default: `replicas`). */
  trailReplicas?: number;
  seed: number;
  quiesceTimeoutMs: number;
  /** The services' LOG_LEVEL (warn by default). */
  logLevel?: string;
  log: (line: string) => void;
}

export interface ChaosSummary {
  landed: number;
  recorded: number;
  lost: number;
  doubled: number;
  deployable: { expected: number; actual: number | null };
  productionStable: { expected: number; actual: number | null };
  promotions: number;
  backwardPromotions: number;
  deploys: number;
  deploysRunTwice: number;
  agentsBehind: number;
  outboxLeft: number;
  unacked: number;
  deadLettered: { expected: number; actual: number };
  /** The trail against the streams and what the services recorded: each count "in the trail / recorded". */
  trail: {
    entries: number;
    missingEvents: number;
    unknownEntries: number;
    deadLetters: { expected: number; actual: number };
    landings: { expected: number; actual: number; twice: number };
    marks: { expected: number; actual: number; unannounced: string[] };
    promotions: { expected: number; actual: number };
    deploys: { expected: number; actual: number; twice: number };
  };
  restarts: { services: number; nats: number; postgres: number };
  /** Restarts that failed and were tried again, as a supervisor would. */
  startFailures: number;
  /**
   * 5xx answers the driver retried past, with a few samples. A 503 (Postgres or NATS away for a
   * moment) is what a client should see then; any other 5xx fails the run.
   */
  serverErrors: { count: number; unavailable: number; samples: string[] };
  /** Requests kept in flight while Postgres restarted: how each was answered. */
  duringPostgresRestart: Record<string, number>;
  durationS: number;
  failures: string[];
}

const SERVICES: ServiceName[] = ['qa-gate', 'promotion', 'rollout', 'flags', 'trail'];
/** How many replicas of `s` run: the trail's two share one consumer like the rest, but one is enough for npm test's short run. */
const replicasOf = (s: ServiceName, opts: ChaosOptions) => (s === 'trail' ? Math.min(opts.replicas, opts.trailReplicas ?? opts.replicas) : opts.replicas);
/** A read of each service that goes to its Postgres. */
const PROBE_PATHS: Record<ServiceName, string> = {
  'qa-gate': '/revisions?limit=5', promotion: '/promotions?limit=5', rollout: '/rollouts?limit=5', flags: '/changelog', trail: '/trail?limit=5',
};
const SCHEMAS = ['qa_gate', 'promotion', 'rollout', 'flags', 'trail'];

type Status = 'ok' | 'bad' | 'untestable' | 'no-qa' | 'needs-testing';
interface PlannedRevision {
  revno: number;
  sha: string;
  status: Status;
  db: boolean;
  /** For bad: the revno of its fix. */
  fixedBy?: number;
}

/** A small seeded generator, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** The input: a realistic mix. The last few revisions are left untested, so the deployable one is not simply the tip. */
export function plan(n: number, seed: number): PlannedRevision[] {
  const r = rng(seed);
  const hex = () => Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const untestedTail = Math.max(1, Math.min(10, Math.floor(n / 20)));
  const out: PlannedRevision[] = [];
  for (let revno = 1; revno <= n; revno++) {
    const x = r();
    const p: PlannedRevision = { revno, sha: hex(), status: 'ok', db: false };
    if (revno > n - untestedTail) p.status = 'needs-testing';
    else if (x < 0.1) p.status = 'no-qa';
    else if (x < 0.16) p.status = 'untestable';
    else if (x < 0.22 && revno + 5 <= n - untestedTail) {
      p.status = 'bad';
      p.fixedBy = revno + 1 + Math.floor(r() * 5);
    }
    if (r() < 0.03) p.db = true;
    out.push(p);
  }
  // A fix is tested and passes (unless it is itself bad with its own fix, which the rule allows).
  return out;
}

/** Launchpad's rule, literally: the highest r with every revision up to r passing, or bad and fixed at or below r. */
export function modelDeployable(revs: readonly PlannedRevision[]): number {
  let deployable = 0;
  let need = 0;
  for (const p of revs) {
    if (p.status === 'needs-testing') break;
    if (p.status === 'bad') need = Math.max(need, p.fixedBy!);
    if (need <= p.revno) deployable = p.revno;
  }
  return deployable;
}

class Replicas {
  readonly procs = new Map<ServiceName, ProcessHandle[]>();
  constructor(readonly ports: Map<ServiceName, number[]>) {}
  urls(name: ServiceName): string[] {
    return this.ports.get(name)!.map((p) => `http://127.0.0.1:${p}`);
  }
}

/**
 * 5xx answers the driver met (and retried past). A service whose Postgres is restarting answers
 * 503 by design; any other 5xx is a failure. The samples show what they were.
 */
const serverErrors = { count: 0, unavailable: 0, samples: [] as string[] };

/** A request sent to a random replica, retried on another while replicas die: what a load balancer with retries does. */
async function call(replicas: Replicas, name: ServiceName, method: string, path: string, body?: unknown, token = TEST_ADMIN_TOKEN): Promise<{ status: number; body: unknown }> {
  const urls = replicas.urls(name);
  let lastError: unknown;
  for (let attempt = 0; attempt < 200; attempt++) {
    const url = urls[Math.floor(Math.random() * urls.length)];
    try {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (res.status >= 500) {
        serverErrors.count++;
        if (res.status === 503) serverErrors.unavailable++;
        if (serverErrors.samples.length < 5 || (res.status !== 503 && serverErrors.samples.length < 10)) {
          serverErrors.samples.push(`${method} ${path} → ${res.status}: ${text.slice(0, 120)}`);
        }
        lastError = new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
      } else {
        return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
      }
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 50 + Math.min(attempt, 20) * 25));
  }
  throw lastError;
}

const NO_ANSWER = 'no answer (replica restarting)';

/** While Postgres is away a read may succeed, or answer 503 (try again); a replica the monkey killed meanwhile does not answer. */
function answeredWellDuringOutage(status: string): boolean {
  return status === '200' || status === '503' || status === NO_ANSWER;
}

/**
 * Runs `work` (a restart) while reads stay in flight on every replica of every service, from a
 * moment before until a moment after; returns how many reads got each answer.
 */
async function readsThroughout(replicas: Replicas, work: () => Promise<void>): Promise<Record<string, number>> {
  const answers: Record<string, number> = {};
  let going = true;
  const probes = SERVICES.flatMap((svc) =>
    replicas.urls(svc).map(async (url) => {
      while (going) {
        const status = await fetch(`${url}${PROBE_PATHS[svc]}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, signal: AbortSignal.timeout(10_000) })
          .then(async (r) => {
            await r.arrayBuffer();
            return String(r.status);
          })
          .catch(() => NO_ANSWER);
        answers[status] = (answers[status] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 200));
  await work();
  await new Promise((r) => setTimeout(r, 500));
  going = false;
  await Promise.all(probes);
  return answers;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const started = Date.now();
  serverErrors.count = 0;
  serverErrors.unavailable = 0;
  serverErrors.samples = [];
  const duringPostgresRestart: Record<string, number> = {};
  const log = opts.log;
  const failures: string[] = [];
  const revisions = plan(opts.landings, opts.seed);
  const expectedDeployable = modelDeployable(revisions);
  const dir = mkdtempSync(join(tmpdir(), 'runway-chaos-'));
  const logDir = join(dir, 'logs');
  const cleanups: (() => Promise<unknown>)[] = [];
  const restarts = { services: 0, nats: 0, postgres: 0 };
  let startFailures = 0;
  let stopping = false;

  try {
    const pg: OwnPostgres = await startOwnPostgres();
    cleanups.push(() => pg.stop());
    const nats: OwnNats = await startOwnNats(opts.natsNodes);
    cleanups.push(() => nats.stop());
    log(`chaos: ${opts.landings} landings, ${opts.replicas} replicas of each service, ${opts.agents} agents, NATS ${opts.natsNodes === 1 ? 'single' : `${opts.natsNodes}-node cluster`}, seed ${opts.seed}; expected deployable r${expectedDeployable}`);

    const env: Record<string, string> = {
      DATABASE_URL: pg.url, NATS_URL: nats.url, RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: opts.logLevel ?? 'warn',
      OUTBOX_POLL_MS: '250', EVENT_ACK_WAIT_MS: '3000', NATS_STREAM_REPLICAS: String(opts.natsNodes >= 3 ? 3 : 1),
      DB_POOL_SIZE: '8', ROLLOUT_DOWNTIME_WINDOW: 'daily 00:00/1440', ROLLOUT_BATCH_SIZE: '0', AGENT_HEARTBEAT_TIMEOUT_SECONDS: '60',
      PROMOTION_CHAIN_WAIT_SECONDS: '5',
    };
    const ports = new Map<ServiceName, number[]>();
    for (const s of SERVICES) ports.set(s, await Promise.all(Array.from({ length: replicasOf(s, opts) }, () => freePort())));
    const replicas = new Replicas(ports);
    const startReplica = async (s: ServiceName, i: number) => {
      const h = await startService(s, env, { logDir, port: ports.get(s)![i] });
      const list = replicas.procs.get(s) ?? [];
      list[i] = h;
      replicas.procs.set(s, list);
    };
    // The first replica of each migrates; the rest start together.
    await Promise.all(SERVICES.map((s) => startReplica(s, 0)));
    await Promise.all(SERVICES.flatMap((s) => Array.from({ length: replicasOf(s, opts) - 1 }, (_, i) => startReplica(s, i + 1))));
    cleanups.push(async () => Promise.all([...replicas.procs.values()].flat().map((h) => h.kill())));

    const agents: { host: string; handle: ProcessHandle; file: string }[] = [];
    for (let i = 0; i < opts.agents; i++) {
      const host = `app${i}.lpnet`;
      const token = await issueToken(replicas.urls('rollout')[0], TEST_ADMIN_TOKEN, { name: `agent ${host}`, roles: ['agent'], host });
      const file = join(dir, `deployed-${host}.log`);
      const handle = await startAgent(
        {
          NATS_URL: nats.url, RUNWAY_ROLLOUT_URL: replicas.urls('rollout')[i % opts.replicas], RUNWAY_AGENT_TOKEN: token, AGENT_HOST: host,
          AGENT_ENVIRONMENT: 'lpnet', AGENT_STATE_DIR: join(dir, 'agents', host), AGENT_HEARTBEAT_MS: '2000', LOG_LEVEL: 'info',
          AGENT_DEPLOY_COMMAND: `echo "$RUNWAY_DEPLOY_ID $RUNWAY_REVISION" >> "${file}"`,
        },
        { logDir },
      );
      agents.push({ host, handle, file });
    }
    cleanups.push(async () => Promise.all(agents.map((a) => a.handle.kill())));
    log(`chaos: ${SERVICES.reduce((n, s) => n + replicasOf(s, opts), 0)} service processes and ${opts.agents} agents up after ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // ── the chaos monkey ────────────────────────────────────────────────────────────────────
    let monkey: Promise<void> = Promise.resolve();
    const monkeyLoop = async () => {
      while (!stopping && opts.killEveryMs > 0) {
        await new Promise((r) => setTimeout(r, opts.killEveryMs * (0.5 + Math.random())));
        if (stopping) break;
        const s = SERVICES[Math.floor(Math.random() * SERVICES.length)];
        const i = Math.floor(Math.random() * replicasOf(s, opts));
        await replicas.procs.get(s)![i].kill('SIGKILL');
        restarts.services++;
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
        // As a supervisor (systemd, Kubernetes) would: a process that cannot start yet (NATS or
        // Postgres still coming back) is started again, a few times.
        for (let attempt = 1; ; attempt++) {
          try {
            await startReplica(s, i);
            break;
          } catch (e) {
            startFailures++;
            if (attempt === 5) {
              failures.push(`restarting ${s}#${i}: ${(e as Error).message.split('\n')[0]}`);
              break;
            }
            await new Promise((r) => setTimeout(r, 1000 * attempt));
          }
        }
      }
    };
    monkey = monkeyLoop();

    // ── the input ───────────────────────────────────────────────────────────────────────────
    const pending: Promise<void>[] = [];
    let inFlight = 0;
    const mark = async (p: PlannedRevision) => {
      const fix = p.fixedBy ? revisions[p.fixedBy - 1].sha : undefined;
      const res = await call(replicas, 'qa-gate', 'PATCH', `/revisions/${p.sha}/qa`, { status: p.status, ...(fix ? { fixedBy: fix } : {}) });
      if (res.status !== 200) failures.push(`marking r${p.revno} ${p.status}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    };
    const marksAfter = new Map<number, PlannedRevision[]>(); // revno landed → marks that may go then
    for (const p of revisions) {
      if (p.status === 'needs-testing' || p.status === 'no-qa') continue;
      const after = Math.max(p.revno, p.fixedBy ?? 0);
      marksAfter.set(after, [...(marksAfter.get(after) ?? []), p]);
    }
    const natsAt = Math.floor(opts.landings * 0.35);
    const pgAt = Math.floor(opts.landings * 0.65);
    for (const p of revisions) {
      const message = `${p.status === 'no-qa' ? 'Tidy imports [no-qa]' : `Change ${p.revno}`}`;
      const res = await call(replicas, 'qa-gate', 'POST', '/revisions', {
        branch: 'stable', sha: p.sha, revno: p.revno, message, author: 'Chaos <chaos@example.com>',
        ...(p.db ? { files: [`database/schema/patch-2209-${p.revno}-0.sql`] } : { files: [`lib/module${p.revno}.py`] }),
      });
      if (res.status !== 202 && res.status !== 200) failures.push(`landing r${p.revno}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      for (const m of marksAfter.get(p.revno) ?? []) {
        while (inFlight >= 16) await Promise.race(pending);
        inFlight++;
        const job = mark(m).finally(() => {
          inFlight--;
          pending.splice(pending.indexOf(job), 1);
        });
        pending.push(job);
      }
      if (p.revno === natsAt && opts.restartNats) {
        const node = Math.floor(Math.random() * opts.natsNodes);
        log(`chaos: r${p.revno} landed; restarting NATS${opts.natsNodes > 1 ? ` node ${node}` : ''}`);
        await nats.restart(node, 1000);
        restarts.nats++;
      }
      if (p.revno === pgAt && opts.restartPostgres) {
        log(`chaos: r${p.revno} landed; restarting Postgres (immediate stop)`);
        Object.assign(duringPostgresRestart, await readsThroughout(replicas, () => pg.restart()));
        restarts.postgres++;
        log(`chaos: Postgres back; requests in flight meanwhile were answered ${JSON.stringify(duringPostgresRestart)}`);
      }
      if (p.revno % 1000 === 0) log(`chaos: r${p.revno} landed after ${((Date.now() - started) / 1000).toFixed(0)} s; ${restarts.services} service kills so far`);
    }
    await Promise.all(pending);

    // Malformed messages, on purpose, on a subject several services consume.
    const nc = await connect({ servers: nats.url.split(',') });
    cleanups.push(() => nc.close());
    const subjects = new Subjects('');
    const js = jetstream(nc);
    const garbage = ['{', 'null', '[]', '{"specversion":"1.0"}', JSON.stringify({ specversion: '1.0', id: 'x', type: Events.RevisionLanded.type, data: { sha: 5 } }), '\u0000\uffff'];
    for (let i = 0; i < opts.malformed; i++) {
      await js.publish(subjects.event(Events.RevisionLanded.type, 'stable'), garbage[i % garbage.length], { msgID: `chaos-garbage-${i}-${randomUUID()}` });
    }
    stopping = true;
    await monkey;
    log(`chaos: input done after ${((Date.now() - started) / 1000).toFixed(0)} s (${restarts.services} service kills, NATS ${restarts.nats}, Postgres ${restarts.postgres}); waiting for quiet`);

    // ── quiescence and the checks ───────────────────────────────────────────────────────────
    const db = new Client({ connectionString: pg.url });
    await db.connect();
    cleanups.push(() => db.end());
    const jsm = await jetstreamManager(nc);
    const consumersOf = async (stream: string) => {
      const out: { name: string; pending: number; ackPending: number; filter: string }[] = [];
      for await (const c of jsm.consumers.list(stream)) out.push({ name: c.name, pending: c.num_pending, ackPending: c.num_ack_pending, filter: c.config.filter_subject ?? '' });
      return out;
    };
    const expectedSha = expectedDeployable ? revisions[expectedDeployable - 1].sha : null;
    const deadline = Date.now() + opts.quiesceTimeoutMs;
    let snapshot = await observe();
    async function observe() {
      const dep = await call(replicas, 'qa-gate', 'GET', '/deployable');
      const status = await call(replicas, 'promotion', 'GET', '/status');
      const deployable = ((dep.body as { deployable?: { revno?: number } | null }).deployable?.revno) ?? null;
      const production = (status.body as { productionStable?: { revno?: number; sha?: string } | null }).productionStable ?? null;
      let outboxLeft = 0;
      for (const schema of SCHEMAS) outboxLeft += Number((await db.query(`SELECT count(*) AS n FROM ${schema}.outbox WHERE published_at IS NULL`)).rows[0].n);
      const consumers = [...(await consumersOf(subjects.eventStream)), ...(await consumersOf(subjects.deadLetterStream))];
      const unacked = consumers.reduce((n, c) => n + c.pending + c.ackPending, 0);
      const lastRun = agents.map((a) => {
        const lines = readLines(a.file);
        return lines.length ? lines[lines.length - 1].split(' ')[1] : null;
      });
      const behind = lastRun.filter((sha) => sha !== expectedSha).length;
      return { deployable, production, outboxLeft, unacked, behind };
    }
    while (Date.now() < deadline) {
      snapshot = await observe();
      if (snapshot.deployable === expectedDeployable && snapshot.production?.revno === expectedDeployable && snapshot.outboxLeft === 0 && snapshot.unacked === 0 && snapshot.behind === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }

    const counts = (await db.query(`SELECT count(*) AS n, count(DISTINCT sha) AS shas, count(DISTINCT revno) AS revnos, min(revno) AS lo, max(revno) AS hi FROM qa_gate.revisions WHERE branch = 'stable'`)).rows[0];
    const recorded = Number(counts.n);
    const plannedShas = new Set(revisions.map((p) => p.sha));
    const stored = new Set((await db.query(`SELECT sha FROM qa_gate.revisions WHERE branch = 'stable'`)).rows.map((r: { sha: string }) => r.sha));
    const lost = [...plannedShas].filter((s) => !stored.has(s)).length;
    const doubled = recorded - Number(counts.shas);
    if (Number(counts.revnos) !== recorded || Number(counts.lo) !== 1 || Number(counts.hi) !== opts.landings) {
      failures.push(`revnos are not 1..${opts.landings} once each: ${counts.revnos} distinct from ${counts.lo} to ${counts.hi}`);
    }
    const promos = (await db.query(`SELECT from_revno, to_revno FROM promotion.promotions WHERE branch = 'production-stable' ORDER BY seq`)).rows as { from_revno: number | null; to_revno: number | null }[];
    let backward = 0;
    let prev = 0;
    for (const p of promos) {
      if ((p.to_revno ?? 0) <= prev || (p.from_revno ?? 0) !== prev) backward++;
      prev = p.to_revno ?? prev;
    }
    let deploys = 0;
    let twice = 0;
    for (const a of agents) {
      const ids = readLines(a.file).map((l) => l.split(' ')[0]);
      deploys += ids.length;
      twice += ids.length - new Set(ids).size;
    }
    const dlqInfo = await jsm.streams.info(subjects.deadLetterStream).catch(() => null);
    const consumers = [...(await consumersOf(subjects.eventStream)), ...(await consumersOf(subjects.deadLetterStream))];
    // Every consumer of the landing subject dead-letters each malformed message: the landing consumers, and the trail's.
    const landedConsumers = consumers.filter((c) => c.filter === subjects.allOf(Events.RevisionLanded.type) || c.filter === subjects.eventWildcard).length;
    const trail = await compareTrail(db, nc, subjects, agents.map((a) => a.file));
    const summary: ChaosSummary = {
      landed: opts.landings, recorded, lost, doubled,
      deployable: { expected: expectedDeployable, actual: snapshot.deployable },
      productionStable: { expected: expectedDeployable, actual: snapshot.production?.revno ?? null },
      promotions: promos.length, backwardPromotions: backward,
      deploys, deploysRunTwice: twice, agentsBehind: snapshot.behind,
      outboxLeft: snapshot.outboxLeft, unacked: snapshot.unacked,
      deadLettered: { expected: opts.malformed * landedConsumers, actual: dlqInfo?.state.messages ?? 0 },
      trail,
      restarts, startFailures, serverErrors: { count: serverErrors.count, unavailable: serverErrors.unavailable, samples: [...serverErrors.samples] },
      duringPostgresRestart, durationS: Math.round((Date.now() - started) / 1000), failures,
    };
    if (summary.lost || summary.doubled) failures.push(`landings: ${summary.lost} lost, ${summary.doubled} doubled`);
    if (summary.deployable.actual !== summary.deployable.expected) failures.push(`deployable is r${summary.deployable.actual}, the model says r${summary.deployable.expected}`);
    if (summary.productionStable.actual !== summary.productionStable.expected) failures.push(`production-stable is r${summary.productionStable.actual}, the model says r${summary.productionStable.expected}`);
    if (backward) failures.push(`${backward} promotions did not move production-stable forward from where it was`);
    if (twice) failures.push(`${twice} deploys ran twice on an agent`);
    if (summary.agentsBehind) failures.push(`${summary.agentsBehind} agents do not run production-stable`);
    if (summary.outboxLeft) failures.push(`${summary.outboxLeft} events left unpublished in outboxes`);
    if (summary.unacked) {
      const stuck = consumers.filter((c) => c.pending + c.ackPending > 0).map((c) => `${c.name} (${c.pending} pending, ${c.ackPending} unacknowledged)`);
      failures.push(`${summary.unacked} messages pending or unacknowledged: ${stuck.join(', ')}`);
    }
    const otherServerErrors = serverErrors.count - serverErrors.unavailable;
    if (otherServerErrors) failures.push(`${otherServerErrors} answers were a 5xx other than 503: ${serverErrors.samples.join('; ')}`);
    const probedBadly = Object.entries(duringPostgresRestart).filter(([status]) => !answeredWellDuringOutage(status));
    if (probedBadly.length) failures.push(`while Postgres restarted, reads were answered ${JSON.stringify(Object.fromEntries(probedBadly))}: only 200 or 503 will do`);
    if (summary.deadLettered.actual !== summary.deadLettered.expected) failures.push(`dead-letter stream holds ${summary.deadLettered.actual}, expected ${summary.deadLettered.expected}`);
    if (trail.missingEvents || trail.unknownEntries) failures.push(`trail: ${trail.missingEvents} events of the stream missing, ${trail.unknownEntries} entries the stream does not hold`);
    for (const k of ['deadLetters', 'landings', 'marks', 'promotions', 'deploys'] as const) {
      const c = trail[k] as { expected: number; actual: number; twice?: number; unannounced?: string[] };
      if (c.actual !== c.expected || c.twice) {
        failures.push(`trail: ${c.actual} ${k} where the services recorded ${c.expected}${c.twice ? `, ${c.twice} twice` : ''}${c.unannounced?.length ? `; not in the trail: ${c.unannounced.join('; ')}` : ''}`);
      }
    }
    if (failures.length) {
      // What rollout thinks, for whoever reads the failure.
      const rollouts = await call(replicas, 'rollout', 'GET', '/rollouts?limit=5').catch(() => null);
      for (const r of ((rollouts?.body as { rollouts?: unknown[] } | unknown[] | undefined) && (Array.isArray(rollouts!.body) ? rollouts!.body : (rollouts!.body as { rollouts?: unknown[] }).rollouts)) ?? []) {
        log(`chaos: rollout ${JSON.stringify(r).slice(0, 600)}`);
      }
      log(`chaos: expected production-stable ${expectedSha}; agents last ran ${agents.map((a) => readLines(a.file).slice(-1)[0] ?? '-').join(' | ')}`);
      log(`chaos: logs kept in ${logDir}`);
    }
    return summary;
  } finally {
    stopping = true;
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    if (!failures.length) rmSync(dir, { recursive: true, force: true });
  }
}

/** Every event id a stream holds that is a valid event (what the trail must hold), read with an ordered consumer. */
async function validEventIds(nc: NatsConnection, stream: string): Promise<string[]> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream);
  const held = (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  const ids: string[] = [];
  let read = 0;
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 1000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      const parsed = parseEvent(m.data);
      if (parsed.ok) ids.push(parsed.event.id);
    }
    read += n;
    if (n === 0) {
      // A comparison against half the stream would prove nothing.
      if (read < held) throw new Error(`read ${read} of the ${held} messages ${stream} holds`);
      return ids;
    }
  }
}

/**
 * The trail against what the streams hold and what each service recorded: each event of the
 * stream once, each dead letter once, and the landings, QA marks, promotions and deploys.
 */
async function compareTrail(db: Client, nc: NatsConnection, subjects: Subjects, agentFiles: string[]): Promise<ChaosSummary['trail']> {
  const rows = (await db.query(`SELECT event_id, type, event FROM trail.entries`)).rows as { event_id: string; type: string; event: { data?: Record<string, unknown> } }[];
  const inTrail = new Set(rows.map((r) => r.event_id));
  const streamIds = new Set(await validEventIds(nc, subjects.eventStream));
  const dlq = await jetstreamManager(nc).then((m) => m.streams.info(subjects.deadLetterStream)).catch(() => null);
  const of = (type: string) => rows.filter((r) => r.type === type);
  const landed = of(Events.RevisionLanded.type).map((r) => r.event.data!.sha as string);
  const recordedShas = (await db.query(`SELECT sha FROM qa_gate.revisions WHERE branch = 'stable'`)).rows.map((r: { sha: string }) => r.sha);
  // Marks and fix links, as qa-gate keeps them (a status a commit message set is not a person's mark).
  const history = (await db.query(
    `SELECT r.sha, h.from_status, h.to_status, h.by, h.note FROM qa_gate.qa_history h JOIN qa_gate.revisions r ON r.id = h.revision_id WHERE h.by <> 'commit message'`,
  )).rows as { sha: string; from_status: string | null; to_status: string; by: string; note: string | null }[];
  const markEvents = of(Events.QaStatusChanged.type).map((r) => r.event.data!).filter((d) => d.by !== 'commit message');
  const key = (sha: unknown, from: unknown, to: unknown) => `${sha} ${from ?? '-'} ${to}`;
  const announced = new Set(markEvents.map((d) => key(d.sha, d.from, d.to)));
  // A fix linked with a mark is announced by the mark's event, which names the fix.
  const linked = new Set(markEvents.filter((d) => d.fixedBy).map((d) => d.sha));
  const isAnnounced = (h: (typeof history)[number]) =>
    announced.has(key(h.sha, h.from_status, h.to_status)) || (h.from_status === h.to_status && linked.has(h.sha));
  const unannounced = history.filter((h) => !isAnnounced(h)).map((h) => `${h.sha.slice(0, 8)} ${h.from_status}->${h.to_status} by ${h.by}${h.note ? ` (${h.note})` : ''}`);
  const promotions = (await db.query(`SELECT id FROM promotion.promotions WHERE branch = 'production-stable' AND kind <> 'adopted'`)).rows.map((r: { id: string }) => r.id);
  const promotedIds = new Set(of(Events.Promoted.type).map((r) => r.event.data!.promotionId as string));
  const ran = agentFiles.flatMap((f) => readLines(f).map((l) => l.split(' ')[0]));
  const reported = of(Events.DeployReported.type).filter((r) => r.event.data!.status === 'succeeded').map((r) => r.event.data!.deployId as string);
  const reportedSet = new Set(reported);
  return {
    entries: rows.length,
    missingEvents: [...streamIds].filter((id) => !inTrail.has(id)).length,
    unknownEntries: rows.filter((r) => r.type !== TRAIL_DEAD_LETTER_TYPE && !streamIds.has(r.event_id)).length,
    deadLetters: { expected: dlq?.state.messages ?? 0, actual: of(TRAIL_DEAD_LETTER_TYPE).length },
    landings: { expected: recordedShas.length, actual: recordedShas.filter((s) => landed.includes(s)).length, twice: landed.length - new Set(landed).size },
    marks: { expected: history.length, actual: history.length - unannounced.length, unannounced: unannounced.slice(0, 5) },
    promotions: { expected: promotions.length, actual: promotions.filter((id) => promotedIds.has(id)).length },
    deploys: { expected: new Set(ran).size, actual: [...new Set(ran)].filter((id) => reportedSet.has(id)).length, twice: reported.length - reportedSet.size },
  };
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
