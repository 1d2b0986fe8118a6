/**
 * `npm run bench -- pipeline [--n 1000] [--keep-logs]`: the whole pipeline as real processes, from a
 * `[no-qa]` landing POSTed to qa-gate to the `started` report of the agent that deploys it:
 *
 *   POST /revisions → qa-gate → revision-landed → qa-gate → qa-passed → promotion → promoted
 *     → rollout → deploy-requested → agent → deploy-reported (started)
 *
 * It measures the latency of one landing at a time (p50, p99, mean, max), then the throughput
 * with up to 32 POSTs in flight, then the floor (one Postgres commit and one JetStream round
 * trip, in the same run on the same servers). Human-readable lines first; the last line is
 * one JSON object.
 *
 * Arrival times come from core NATS subscriptions in this process (not JetStream consumers):
 * one on the agent's deploy-reported subject for the measurement, and one on every event of the
 * namespace for a per-hop breakdown. Each landing is sent with `x-correlation-id: <sha>`, so
 * every event it causes carries the sha as its correlation id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Events, Subjects } from '@runway/contracts';
import {
  createIsolatedDatabase, dropNamespace, freePort, type IsolatedDatabase, randomSha, TEST_ADMIN_TOKEN, uniqueNamespace,
} from '@runway/testing';
import { issueToken, type ProcessHandle, SERVICES, type ServiceName, startAgent, startService } from '../tools/stack.cjs';
import {
  formatMs, intFlag, isRecord, measureFloor, requireEnv, roundResult, runBenchmark, runPool, summarize, type Summary, TimeoutError, waitFor, wallMs, withTimeout,
} from './lib';

const N = intFlag(process.argv.slice(2), 'n', 1000);
/** `--keep-logs`: keep the work directory (service and agent logs) even when the run succeeds. */
const KEEP_LOGS = process.argv.slice(2).includes('--keep-logs');
const WARMUP = 20;
const CONCURRENCY = 32;
/** No single landing may take longer, from its POST to its `started` report. */
const LANDING_TIMEOUT_MS = 10_000;
/** In the throughput phase: fail if nothing moves (no POST answered, no report) for this long. */
const STALL_TIMEOUT_MS = 10_000;
/** Qa-gate → promotion → rollout → agent: each hop is one commit plus one JetStream round trip. */
const HOPS = 4;
const FLOOR_ITERATIONS = 200;
const HOST = 'bench1.example';
/** The whole run, setup and cleanup included, can never take longer than this. */
const WATCHDOG_MS = 300_000 + N * 1_000;

const DATABASE_URL = requireEnv('DATABASE_URL');
const NATS_URL = requireEnv('NATS_URL');

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// What arrives on NATS

interface Seen {
  /** When this process received it (wall-clock ms). */
  arrival: number;
  /** The envelope's `time`: when the publishing service enqueued it (wall-clock ms, ms resolution). */
  time: number;
}

/** Records the arrival of `started` reports by revision, and of every event by correlation id. */
class Observer {
  readonly started = new Map<string, Seen>();
  /** correlation id → event key (type, plus the status of a deploy report) → first arrival. */
  readonly byCorrelation = new Map<string, Map<string, Seen>>();
  private readonly waiters = new Map<string, () => void>();
  private readonly subs: Subscription[] = [];
  private listener: ((sha: string) => void) | null = null;
  unexpected: string | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
  ) {}

  async start(): Promise<void> {
    this.subs.push(this.nc.subscribe(this.subjects.event(Events.DeployReported.type, HOST), { callback: (err, msg) => this.onReport(err, msg) }));
    this.subs.push(this.nc.subscribe(this.subjects.eventWildcard, { callback: (err, msg) => this.onAny(err, msg) }));
    await this.nc.flush();
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  /** Called with each sha whose `started` report arrives; one listener at a time. */
  onStarted(fn: ((sha: string) => void) | null): void {
    this.listener = fn;
  }

  /** Resolves with the `started` report of `sha`, when it has arrived or as soon as it does. */
  async waitStarted(sha: string, timeoutMs: number): Promise<Seen> {
    const seen = this.started.get(sha);
    if (seen) return seen;
    const arrived = new Promise<void>((resolve) => this.waiters.set(sha, resolve));
    try {
      await withTimeout(arrived, timeoutMs, `the started report of ${sha}`);
    } finally {
      this.waiters.delete(sha);
    }
    return this.started.get(sha)!;
  }

  private onReport(err: Error | null, msg: Msg): void {
    const arrival = wallMs();
    if (err) {
      this.unexpected ??= `deploy-reported subscription: ${err.message}`;
      return;
    }
    const event = parse(msg);
    if (!event || event.type !== Events.DeployReported.type || !isRecord(event.data)) {
      this.unexpected ??= `an unreadable message on ${msg.subject}`;
      return;
    }
    const { status, revision } = event.data;
    if (status === 'failed' || status === 'rolled-back') this.unexpected ??= `the agent reported ${String(status)} for ${String(revision)}`;
    if (status !== 'started' || typeof revision !== 'string' || this.started.has(revision)) return;
    this.started.set(revision, { arrival, time: event.time });
    this.waiters.get(revision)?.();
    this.listener?.(revision);
  }

  private onAny(err: Error | null, msg: Msg): void {
    const arrival = wallMs();
    if (err) return;
    const event = parse(msg);
    if (!event) return;
    const status = isRecord(event.data) && typeof event.data.status === 'string' ? `:${event.data.status}` : '';
    const key = `${event.type}${event.type === Events.DeployReported.type ? status : ''}`;
    let events = this.byCorrelation.get(event.correlationid);
    if (!events) this.byCorrelation.set(event.correlationid, (events = new Map()));
    if (!events.has(key)) events.set(key, { arrival, time: event.time });
  }
}

interface Envelope {
  type: string;
  correlationid: string;
  time: number;
  data: unknown;
}

function parse(msg: Msg): Envelope | null {
  let v: unknown;
  try {
    v = JSON.parse(msg.string());
  } catch {
    return null;
  }
  if (!isRecord(v) || typeof v.type !== 'string' || typeof v.correlationid !== 'string' || typeof v.time !== 'string') return null;
  return { type: v.type, correlationid: v.correlationid, time: Date.parse(v.time), data: v.data };
}

// ---------------------------------------------------------------------------------------------
// The Runway under test

interface Runway {
  db: IsolatedDatabase;
  namespace: string;
  subjects: Subjects;
  dir: string;
  urls: Record<ServiceName, string>;
  buildbotToken: string;
  handles: ProcessHandle[];
}

/** Things to undo, last first. Each is bounded in time and never throws. */
const undo: { what: string; fn: () => Promise<unknown> }[] = [];
let keepDir: string | null = null;

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

async function startRunway(): Promise<Runway> {
  const db = await createIsolatedDatabase(DATABASE_URL);
  undo.push({ what: 'drop the database', fn: () => db.drop() });
  const namespace = uniqueNamespace();
  undo.push({ what: 'drop the namespace', fn: () => dropNamespace(NATS_URL, namespace) });
  const dir = mkdtempSync(join(tmpdir(), 'runway-bench-'));
  undo.push({ what: 'remove the work directory', fn: async () => (keepDir === dir ? undefined : rmSync(dir, { recursive: true, force: true })) });
  keepDir = dir; // kept (with the logs) unless the run succeeds

  const env: Record<string, string> = {
    DATABASE_URL: db.url, NATS_URL, RUNWAY_NAMESPACE: namespace, RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'warn',
  };
  const names = Object.keys(SERVICES) as ServiceName[];
  const logDir = join(dir, 'logs');
  const services: ProcessHandle[] = [];
  const urls = {} as Record<ServiceName, string>;
  undo.push({ what: 'stop the services', fn: () => Promise.all(services.map((h) => h.stop())) });
  // allSettled, so that when one fails to start, the others are in `services` before cleanup runs.
  const started = await Promise.allSettled(
    names.map(async (name) => {
      const h = await startService(name, env, { logDir, port: await freePort() });
      services.push(h);
      urls[name] = h.url;
    }),
  );
  for (const r of started) if (r.status === 'rejected') throw r.reason;

  const buildbotToken = await issueToken(urls['qa-gate'], TEST_ADMIN_TOKEN, { name: 'bench buildbot', roles: ['buildbot'] });
  const agentToken = await issueToken(urls.rollout, TEST_ADMIN_TOKEN, { name: `agent ${HOST}`, roles: ['agent'], host: HOST });
  const agents: ProcessHandle[] = [];
  undo.push({ what: 'stop the agent', fn: () => Promise.all(agents.map((a) => a.stop())) });
  agents.push(
    await startAgent(
      {
        NATS_URL, RUNWAY_NAMESPACE: namespace, RUNWAY_ROLLOUT_URL: urls.rollout, RUNWAY_AGENT_TOKEN: agentToken,
        AGENT_HOST: HOST, AGENT_ENVIRONMENT: 'lpnet', AGENT_STATE_DIR: join(dir, 'agent-state'), AGENT_DEPLOY_COMMAND: 'true',
        // startAgent waits for the "agent ready" line, which is logged at info.
        LOG_LEVEL: 'info',
      },
      { logDir },
    ),
  );

  await waitFor(
    async () => {
      const res = await fetch(`${urls.rollout}/servers`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, signal: AbortSignal.timeout(5000) });
      const body: unknown = await res.json();
      return Array.isArray(body) && body.some((s: unknown) => isRecord(s) && s.host === HOST);
    },
    30_000,
    `rollout to list ${HOST} among its servers`,
  );
  return { db, namespace, subjects: new Subjects(namespace), dir, urls, buildbotToken, handles: [...services, ...agents] };
}

/** POSTs a `[no-qa]` landing of `sha`; resolves when qa-gate has accepted it (202). */
/** Lands one revision; returns the revno qa-gate gave it. */
async function land(rw: Runway, sha: string, label: string): Promise<number> {
  const res = await fetch(`${rw.urls['qa-gate']}/revisions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rw.buildbotToken}`, 'content-type': 'application/json', 'x-correlation-id': sha },
    body: JSON.stringify({ branch: 'stable', sha, message: `Bench landing ${label} [no-qa]`, author: 'Runway Bench <bench@example.com>' }),
    signal: AbortSignal.timeout(LANDING_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`POST /revisions answered ${res.status}: ${text.slice(0, 500)}`);
  return (JSON.parse(text) as { revno: number }).revno;
}

function checkHealthy(rw: Runway, obs: Observer): void {
  if (obs.unexpected) throw new Error(obs.unexpected);
  for (const h of rw.handles) {
    if (h.proc.exitCode !== null || h.proc.signalCode !== null) throw new Error(`${h.name} exited (${h.proc.exitCode ?? h.proc.signalCode}); see ${h.logFile}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Phases

interface LatencySample {
  sha: string;
  t0: number;
  answered: number;
  started: Seen;
}

async function latencyPhase(rw: Runway, obs: Observer, count: number, label: string): Promise<LatencySample[]> {
  const samples: LatencySample[] = [];
  for (let i = 0; i < count; i++) {
    checkHealthy(rw, obs);
    const sha = randomSha();
    const t0 = wallMs();
    await land(rw, sha, `${label} ${i}`);
    const answered = wallMs();
    const started = await obs.waitStarted(sha, Math.max(1, LANDING_TIMEOUT_MS - (answered - t0)));
    samples.push({ sha, t0, answered, started });
  }
  return samples;
}

interface Throughput {
  n: number;
  seconds: number;
  postsSeconds: number;
  perS: number;
  latency: Summary;
  /** For each event of the chain: seconds from the first POST to the last arrival of that event. */
  stagesDone: [string, number][];
}

const CHAIN: [string, string][] = [
  ['revision-landed', Events.RevisionLanded.type],
  ['qa-passed', Events.QaPassed.type],
  ['promoted', Events.Promoted.type],
  ['deploy-requested', Events.DeployRequested.type],
  ['deploy-reported started', `${Events.DeployReported.type}:started`],
];

async function throughputPhase(rw: Runway, obs: Observer, count: number): Promise<Throughput> {
  const shas = Array.from({ length: count }, () => randomSha());
  const wanted = new Set(shas);
  const sentAt = new Map<string, number>();
  let remaining = count;
  let lastProgress = wallMs();
  let allStarted!: () => void;
  const done = new Promise<void>((resolve) => (allStarted = resolve));
  // Landings that arrive together are promoted together: production moves to the newest of
  // them, and one deploy carries them all. A landing counts as deployed when a deploy of it,
  // or of any later revision, has started.
  const revnoOf = new Map<string, number>();
  const startedBeforeItsAnswer = new Set<string>();
  const deployedAt = new Map<string, number>();
  let deployedUpTo = 0;
  const settle = (at: number) => {
    for (const [sha, revno] of revnoOf) {
      if (revno <= deployedUpTo && wanted.delete(sha)) {
        deployedAt.set(sha, at);
        remaining--;
      }
    }
    if (remaining === 0) allStarted();
  };
  obs.onStarted((sha) => {
    const revno = revnoOf.get(sha);
    if (revno === undefined) {
      startedBeforeItsAnswer.add(sha);
      return;
    }
    lastProgress = wallMs();
    deployedUpTo = Math.max(deployedUpTo, revno);
    settle(obs.started.get(sha)?.arrival ?? wallMs());
  });
  let stalled: Error | null = null;
  let failStall!: (e: Error) => void;
  const stall = new Promise<never>((_, reject) => (failStall = reject));
  stall.catch(() => undefined);
  const watch = setInterval(() => {
    try {
      checkHealthy(rw, obs);
    } catch (e) {
      stalled ??= e instanceof Error ? e : new Error(String(e));
    }
    if (!stalled && wallMs() - lastProgress > STALL_TIMEOUT_MS) {
      stalled = new TimeoutError(`throughput phase: nothing moved for ${STALL_TIMEOUT_MS} ms (${remaining} of ${count} landings still without a started report)`);
    }
    if (stalled) failStall(stalled);
  }, 250);
  try {
    const first = wallMs();
    const posts = runPool(count, CONCURRENCY, async (i) => {
      const sha = shas[i];
      sentAt.set(sha, wallMs());
      const revno = await land(rw, sha, `throughput ${i}`);
      revnoOf.set(sha, revno);
      lastProgress = wallMs();
      if (startedBeforeItsAnswer.delete(sha)) {
        deployedUpTo = Math.max(deployedUpTo, revno);
        settle(obs.started.get(sha)?.arrival ?? wallMs());
      } else if (revno <= deployedUpTo) settle(wallMs());
    });
    await Promise.race([posts, stall]);
    const postsDone = wallMs();
    await Promise.race([done, stall]);
    let last = first;
    const latencies: number[] = [];
    for (const sha of shas) {
      const arrival = deployedAt.get(sha)!;
      last = Math.max(last, arrival);
      latencies.push(arrival - sentAt.get(sha)!);
    }
    const seconds = (last - first) / 1000;
    const stagesDone = CHAIN.map(([name, key]): [string, number] => {
      let at = first;
      for (const sha of shas) at = Math.max(at, obs.byCorrelation.get(sha)?.get(key)?.arrival ?? at);
      return [name, (at - first) / 1000];
    });
    return { n: count, seconds, postsSeconds: (postsDone - first) / 1000, perS: count / seconds, latency: summarize(latencies), stagesDone };
  } finally {
    clearInterval(watch);
    obs.onStarted(null);
  }
}

// ---------------------------------------------------------------------------------------------
// Where the time goes: each hop of each measured landing, from the events' arrival times.

interface Segment {
  name: string;
  /** From an arrival (or the POST) to the next event's arrival. */
  total: number[];
  /** ... of which: until the next service enqueued its event (consumer delivery + handler). */
  handler: number[];
}

function breakdown(obs: Observer, samples: LatencySample[]): Segment[] {
  const names = [
    'POST → revision-landed (HTTP, qa-gate commit, relay)',
    'qa-gate: revision-landed → qa-passed',
    'promotion: qa-passed → promoted',
    'rollout: promoted → deploy-requested',
    'agent: deploy-requested → started',
  ];
  const chain = CHAIN.map(([, key], i): [string, string] => [names[i], key]);
  const segments: Segment[] = chain.map(([name]) => ({ name, total: [], handler: [] }));
  for (const s of samples) {
    const events = obs.byCorrelation.get(s.sha);
    if (!events) continue;
    let prev = s.t0;
    for (let i = 0; i < chain.length; i++) {
      const e = events.get(chain[i][1]);
      if (!e) break;
      segments[i].total.push(e.arrival - prev);
      segments[i].handler.push(e.time - prev);
      prev = e.arrival;
    }
  }
  return segments;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  log(`pipeline benchmark: n=${N}, warm-up ${WARMUP}, throughput with ${CONCURRENCY} POSTs in flight`);
  log(`postgres ${new URL(DATABASE_URL).host}, nats ${NATS_URL}`);
  const setupStart = wallMs();
  const rw = await startRunway();
  log(`started qa-gate, promotion, rollout, flags and the agent ${HOST} in ${((wallMs() - setupStart) / 1000).toFixed(1)} s (namespace ${rw.namespace}, database ${rw.db.name})`);

  const nc = await connect({ servers: NATS_URL, name: 'runway-bench-pipeline', timeout: 5000 });
  undo.push({ what: 'close the NATS connection', fn: () => nc.close() });
  const obs = new Observer(nc, rw.subjects);
  await obs.start();
  undo.push({ what: 'unsubscribe', fn: async () => obs.stop() });

  await latencyPhase(rw, obs, WARMUP, 'warm-up');
  log(`warm-up: ${WARMUP} landings`);

  const samples = await latencyPhase(rw, obs, N, 'latency');
  const lat = summarize(samples.map((s) => s.started.arrival - s.t0));
  const post = summarize(samples.map((s) => s.answered - s.t0));
  log(`latency (one at a time, POST → started report), n=${N}:`);
  log(`  p50 ${formatMs(lat.p50)}  p90 ${formatMs(lat.p90)}  p99 ${formatMs(lat.p99)}  mean ${formatMs(lat.mean)}  min ${formatMs(lat.min)}  max ${formatMs(lat.max)}`);
  log(`  of which the POST itself (202 from qa-gate): p50 ${formatMs(post.p50)}  p99 ${formatMs(post.p99)}`);
  const tenth = Math.max(1, Math.floor(N / 10));
  const early = summarize(samples.slice(0, tenth).map((s) => s.started.arrival - s.t0));
  const late = summarize(samples.slice(-tenth).map((s) => s.started.arrival - s.t0));
  log(`  drift: p50 of the first ${tenth} ${formatMs(early.p50)}, of the last ${tenth} ${formatMs(late.p50)}`);
  const segments = breakdown(obs, samples);
  log('  per hop (p50 / p99 of arrival to arrival; in brackets p50 until the event was enqueued, the rest is commit + outbox relay + JetStream):');
  const hopP50: Record<string, number> = {};
  const hopKeys = ['post_to_landed', 'qa_gate', 'promotion', 'rollout', 'agent'];
  segments.forEach((seg, i) => {
    const t = summarize(seg.total);
    const h = summarize(seg.handler);
    hopP50[hopKeys[i]] = t.p50;
    log(`    ${seg.name.padEnd(54)} ${formatMs(t.p50).padStart(10)} / ${formatMs(t.p99).padStart(10)}   [${formatMs(h.p50)}]  (n=${t.n})`);
  });

  checkHealthy(rw, obs);
  const tp = await throughputPhase(rw, obs, N);
  log(`throughput, n=${N}: ${tp.perS.toFixed(2)} landings/s (first POST → last started report ${tp.seconds.toFixed(2)} s; all POSTs answered after ${tp.postsSeconds.toFixed(2)} s)`);
  log(`  latency under load (POST → started): p50 ${formatMs(tp.latency.p50)}  p99 ${formatMs(tp.latency.p99)}  max ${formatMs(tp.latency.max)}`);
  log(`  last arrival of each event after the first POST: ${tp.stagesDone.map(([name, sec]) => `${name} ${sec.toFixed(2)} s`).join(', ')}`);
  checkHealthy(rw, obs);

  const floor = await measureFloor({ databaseUrl: rw.db.url, natsUrl: NATS_URL, namespace: rw.namespace, hops: HOPS, iterations: FLOOR_ITERATIONS });
  log(`floor (median of ${FLOOR_ITERATIONS}): Postgres commit ${formatMs(floor.commit_ms)} (p99 ${formatMs(floor.commit.p99)}), JetStream publish → consume ${formatMs(floor.roundtrip_ms)} (p99 ${formatMs(floor.roundtrip.p99)})`);
  log(`  floor = ${HOPS} hops × (${floor.commit_ms.toFixed(2)} + ${floor.roundtrip_ms.toFixed(2)}) = ${formatMs(floor.floor_ms)}; p50 is ${(lat.p50 / floor.floor_ms).toFixed(2)}× the floor`);

  const result = roundResult({
    name: 'pipeline',
    n: N,
    p50_ms: lat.p50,
    p99_ms: lat.p99,
    per_s: tp.perS,
    floor_ms: floor.floor_ms,
    ratio_p50: lat.p50 / floor.floor_ms,
    mean_ms: lat.mean,
    max_ms: lat.max,
    commit_ms: floor.commit_ms,
    roundtrip_ms: floor.roundtrip_ms,
    hops: HOPS,
    throughput_n: tp.n,
    throughput_s: tp.seconds,
    throughput_p50_ms: tp.latency.p50,
    hop_p50_ms: hopP50,
  });

  if (KEEP_LOGS) log(`logs kept in ${join(rw.dir, 'logs')}`);
  else keepDir = null;
  await cleanup();
  log(JSON.stringify(result));
}

runBenchmark({
  name: 'pipeline',
  watchdogMs: WATCHDOG_MS,
  main,
  cleanup,
  keptAt: () => (keepDir ? join(keepDir, 'logs') : null),
});
