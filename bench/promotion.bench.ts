/**
 * `npm run bench -- promotion [--n 200] [--trace] [--keep-logs]`: how long promotion takes to
 * move production-stable in a real git repository once QA has approved a revision, beside the
 * cost of the git push it cannot avoid.
 *
 * A bare remote and a working clone are made in a temporary directory, with stable,
 * production-stable and production-devel at a base commit; n + 20 successive commits are made
 * on stable and pushed up front, so the only git work while measuring is promotion's. The
 * promotion service runs as a real process (isolated database, its own namespace) against that
 * remote. For each commit in turn (20 of warm-up first), a `qa-passed` event is published on
 * JetStream; the latency is from the publish until refs/heads/production-stable in the bare
 * remote is that commit, read from the ref file itself (inotify, plus a 1 ms poll). Before the
 * next one, the `promoted` event is awaited, so promotions never overlap.
 *
 * In the same run, the floor: right after each promotion (so both see the same load on the
 * machine), the same move is made on a second bare remote holding the same commits, from its
 * own bare mirror, with the commands promotion uses, run as child processes the same way, each
 * timed on its own: the fetch of the mirror when nothing changed, rev-parse, merge-base
 * --is-ancestor, the push of the commit to production-stable with a lease (whole process, and
 * until the remote ref moves), update-ref, and `git version` (a git process doing nothing).
 * Then one JetStream publish → consume round trip and one Postgres commit.
 *
 * overhead_p99_ms = promotion p99 − push p99; the target is ≤ 20 ms.
 *
 * `--trace` runs the service with GIT_TRACE2_EVENT and prints, from git's own trace, every git
 * process each promotion starts (and what those start) and a timeline of the critical path.
 * Tracing costs a little, so the headline figures of a traced run are slightly higher.
 *
 * Human-readable lines first; the last line is one JSON object.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { type CloudEvent, Events, type QaPassedV1, Subjects } from '@runway/contracts';
import { createIsolatedDatabase, dropNamespace, freePort, type IsolatedDatabase, TEST_ADMIN_TOKEN, uniqueNamespace } from '@runway/testing';
import { type ProcessHandle, startService } from '../tools/stack.cjs';
import { BenchGitRepo, type GitProcessTrace, gitOk, gitSync, gitTimed, readTrace2, RefWatcher } from './git-lib';
import {
  formatMs, intFlag, isRecord, measureJetStreamRoundTrip, measurePgCommit, requireEnv, roundResult, runBenchmark, summarize, type Summary, TimeoutError, wallMs, withTimeout,
} from './lib';

const ARGS = process.argv.slice(2);
const N = intFlag(ARGS, 'n', 200);
const TRACE = ARGS.includes('--trace');
/** Keep the service's log even when the run succeeds. */
const KEEP_LOGS = ARGS.includes('--keep-logs');
const WARMUP = 20;
/** No single promotion may take longer, from the publish to production-stable moving. */
const PROMOTION_TIMEOUT_MS = 15_000;
const TARGET_OVERHEAD_MS = 20;
const QA_BRANCH = 'stable';
const PRODUCTION_BRANCH = 'production-stable';
/** The whole run, setup and cleanup included, can never take longer than this. */
const WATCHDOG_MS = 240_000 + N * 1_500;

const DATABASE_URL = requireEnv('DATABASE_URL');
const NATS_URL = requireEnv('NATS_URL');

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function line(label: string, s: Summary): string {
  return `${label.padEnd(44)} p50 ${formatMs(s.p50).padStart(9)}  p99 ${formatMs(s.p99).padStart(9)}  mean ${formatMs(s.mean).padStart(9)}  max ${formatMs(s.max).padStart(9)}`;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: things to undo, last first. Each is bounded in time and never throws.

const undo: { what: string; fn: () => Promise<unknown> }[] = [];
let keepLogDir: string | null = null;

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

// ---------------------------------------------------------------------------------------------
// `promoted` events, as they arrive (core NATS, not a JetStream consumer)

class PromotedObserver {
  readonly arrivals = new Map<string, number>();
  private readonly waiters = new Map<string, () => void>();
  unexpected: string | null = null;

  constructor(nc: NatsConnection, subjects: Subjects) {
    nc.subscribe(subjects.allOf(Events.Promoted.type), { callback: (err, msg) => this.onMessage(err, msg) });
    nc.subscribe(subjects.allOf(Events.PromotionHeld.type), {
      callback: (err, msg) => {
        if (err) return;
        const held = parseData(msg);
        this.unexpected ??= `promotion held: ${held && typeof held.reason === 'string' ? held.reason : msg.subject}`;
      },
    });
  }

  async wait(sha: string, timeoutMs: number): Promise<number> {
    const at = this.arrivals.get(sha);
    if (at !== undefined) return at;
    const arrived = new Promise<void>((resolve) => this.waiters.set(sha, resolve));
    try {
      await withTimeout(arrived, Math.max(1, timeoutMs), `the promoted event of ${sha.slice(0, 10)}`);
    } finally {
      this.waiters.delete(sha);
    }
    return this.arrivals.get(sha)!;
  }

  private onMessage(err: Error | null, msg: Msg): void {
    const arrival = wallMs();
    if (err) {
      this.unexpected ??= `promoted subscription: ${err.message}`;
      return;
    }
    const data = parseData(msg);
    if (!data || typeof data.toSha !== 'string') {
      this.unexpected ??= `an unreadable message on ${msg.subject}`;
      return;
    }
    if (!this.arrivals.has(data.toSha)) this.arrivals.set(data.toSha, arrival);
    this.waiters.get(data.toSha)?.();
  }
}

function parseData(msg: Msg): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(msg.string());
    return isRecord(v) && isRecord(v.data) ? v.data : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The promotion service under test

interface Bench {
  repo: BenchGitRepo;
  db: IsolatedDatabase;
  namespace: string;
  subjects: Subjects;
  service: ProcessHandle & { url: string };
  nc: NatsConnection;
  js: JetStreamClient;
  watcher: RefWatcher;
  promoted: PromotedObserver;
  traceFile: string | null;
}

interface Sample {
  sha: string;
  /** Wall-clock ms: before the publish; JetStream's ack; the remote ref seen at sha; `promoted` received. */
  t0: number;
  acked: number;
  refAt: number;
  promotedAt: number;
}

function serviceProblem(b: Bench): string | null {
  const p = b.service.proc;
  if (p.exitCode !== null || p.signalCode !== null) return `promotion exited (${p.exitCode ?? p.signalCode}); see ${b.service.logFile}`;
  return b.promoted.unexpected;
}

async function statusOf(b: Bench): Promise<string> {
  try {
    const res = await fetch(`${b.service.url}/status`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, signal: AbortSignal.timeout(3000) });
    const body: unknown = await res.json();
    if (!isRecord(body)) return '';
    return JSON.stringify({ productionStable: body.productionStable, waiting: body.waiting, lastHold: body.lastHold, gitError: body.gitError });
  } catch (e) {
    return `(GET /status failed: ${e instanceof Error ? e.message : String(e)})`;
  }
}

/** Publishes qa-passed for `sha`; resolves once the remote ref is there and `promoted` has arrived. */
async function promoteOne(b: Bench, sha: string, revno: number): Promise<Sample> {
  const data: QaPassedV1 = { branch: QA_BRANCH, sha, revno, range: [{ sha, revno, db: false }], containsDbRevision: false };
  const event: CloudEvent<QaPassedV1> = {
    specversion: '1.0', id: randomUUID(), source: 'runway-bench', type: Events.QaPassed.type, time: new Date().toISOString(),
    datacontenttype: 'application/json', correlationid: sha, data,
  };
  const subject = b.subjects.event(Events.QaPassed.type, QA_BRANCH);
  const body = JSON.stringify(event);
  const t0 = wallMs();
  const remaining = () => Math.max(1, PROMOTION_TIMEOUT_MS - (wallMs() - t0));
  try {
    await b.js.publish(subject, body, { msgID: event.id, timeout: 5000 });
    const acked = wallMs();
    const refAt = await b.watcher.waitFor(sha, remaining(), () => serviceProblem(b));
    const promotedAt = await b.promoted.wait(sha, remaining());
    const problem = serviceProblem(b);
    if (problem) throw new Error(problem);
    return { sha, t0, acked, refAt, promotedAt };
  } catch (e) {
    if (e instanceof TimeoutError) throw new TimeoutError(`promoting r${revno} (${sha.slice(0, 10)}) took longer than ${PROMOTION_TIMEOUT_MS} ms: ${e.message}; status ${await statusOf(b)}`);
    throw e;
  }
}

async function setUp(): Promise<{ bench: Bench; shas: string[]; floorRemote: string; floorMirror: string }> {
  const t = wallMs();
  const repo = new BenchGitRepo('runway-bench-promotion-');
  undo.push({ what: 'remove the git repositories', fn: async () => repo.remove() });
  const shas = repo.appendCommits(QA_BRANCH, N + WARMUP);
  repo.push(QA_BRANCH);
  // The floor's own remote (same commits, production-stable at the base) and its bare mirror,
  // set up as promotion sets up its own (ProductionRepository.ensure).
  const floorRemote = join(repo.root, 'floor-remote.git');
  const floorMirror = join(repo.root, 'floor-mirror.git');
  gitSync(['clone', '--quiet', '--bare', repo.remote, floorRemote]);
  gitSync(['clone', '--quiet', '--bare', floorRemote, floorMirror]);
  gitSync(['--git-dir', floorMirror, 'config', 'remote.origin.fetch', '+refs/heads/*:refs/heads/*']);
  log(`git: ${N + WARMUP} commits on ${QA_BRANCH} pushed to ${repo.remote} in ${((wallMs() - t) / 1000).toFixed(1)} s`);

  const db = await createIsolatedDatabase(DATABASE_URL);
  undo.push({ what: 'drop the database', fn: () => db.drop() });
  const namespace = uniqueNamespace();
  undo.push({ what: 'drop the namespace', fn: () => dropNamespace(NATS_URL, namespace) });
  const logDir = mkdtempSync(join(tmpdir(), 'runway-bench-promotion-logs-'));
  keepLogDir = logDir; // kept unless the run succeeds
  undo.push({ what: 'remove the log directory', fn: async () => (keepLogDir === logDir ? undefined : rmSync(logDir, { recursive: true, force: true })) });

  const traceFile = TRACE ? join(logDir, 'git-trace2.json') : null;
  const env: Record<string, string> = {
    DATABASE_URL: db.url, NATS_URL, RUNWAY_NAMESPACE: namespace, RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'warn',
    PROMOTION_GIT_REMOTE: repo.remote, PROMOTION_GIT_WORKDIR: join(repo.root, 'promotion-mirror.git'),
    ...(traceFile ? { GIT_TRACE2_EVENT: traceFile } : {}),
  };
  const t1 = wallMs();
  const handles: ProcessHandle[] = [];
  undo.push({ what: 'stop promotion', fn: () => Promise.all(handles.map((h) => h.stop())) });
  const service = await startService('promotion', env, { logDir, port: await freePort() });
  handles.push(service);
  log(`promotion started in ${((wallMs() - t1) / 1000).toFixed(1)} s at ${service.url} (namespace ${namespace}, database ${db.name})`);

  const nc = await connect({ servers: NATS_URL, name: 'runway-bench-promotion', timeout: 5000 });
  undo.push({ what: 'close the NATS connection', fn: () => nc.close() });
  const subjects = new Subjects(namespace);
  const promoted = new PromotedObserver(nc, subjects);
  await nc.flush();
  const watcher = new RefWatcher(repo.remote, PRODUCTION_BRANCH);
  undo.push({ what: 'stop watching the ref', fn: async () => watcher.close() });
  return { bench: { repo, db, namespace, subjects, service, nc, js: jetstream(nc), watcher, promoted, traceFile }, shas, floorRemote, floorMirror };
}

// ---------------------------------------------------------------------------------------------
// The floor: the same git commands, run the same way, outside promotion

interface GitFloor {
  push: Summary;
  pushRef: Summary;
  updateRef: Summary;
  fetch: Summary;
  revParse: Summary;
  mergeBase: Summary;
  spawn: Summary;
}

/**
 * Moves production-stable of the floor's own remote one commit at a time, from the floor's
 * mirror, with what promotion runs for one fast-forward, in its order, each timed on its own.
 * One step runs right after each promotion, so both see the same load on the machine.
 */
class GitFloorRunner {
  private readonly watcher: RefWatcher;
  private readonly times = {
    push: [] as number[], pushRef: [] as number[], updateRef: [] as number[], fetch: [] as number[],
    revParse: [] as number[], mergeBase: [] as number[], spawn: [] as number[],
  };
  private prev: string;

  constructor(
    remote: string,
    private readonly mirror: string,
    base: string,
  ) {
    this.watcher = new RefWatcher(remote, PRODUCTION_BRANCH);
    this.prev = base;
  }

  async step(sha: string, measured: boolean): Promise<void> {
    const g = (...args: string[]) => ['--git-dir', this.mirror, ...args];
    const prev = this.prev;
    const f = await gitOk(g('fetch', '--quiet', '--prune', '--force', 'origin'));
    const r = await gitTimed(g('rev-parse', '--verify', '--quiet', `refs/heads/${PRODUCTION_BRANCH}^{commit}`));
    if (r.code !== 0 || r.stdout.trim() !== prev) throw new Error(`floor: the mirror's ${PRODUCTION_BRANCH} is at ${r.stdout.trim() || 'nothing'}, not ${prev}`);
    const m = await gitTimed(g('merge-base', '--is-ancestor', prev, sha));
    if (m.code !== 0) throw new Error(`floor: ${prev} is not an ancestor of ${sha}`);
    const t0 = wallMs();
    const [p, seenAt] = await Promise.all([
      gitOk(g('push', '--quiet', '--porcelain', `--force-with-lease=refs/heads/${PRODUCTION_BRANCH}:${prev}`, 'origin', `${sha}:refs/heads/${PRODUCTION_BRANCH}`)),
      this.watcher.waitFor(sha, PROMOTION_TIMEOUT_MS),
    ]);
    const u = await gitOk(g('update-ref', `refs/heads/${PRODUCTION_BRANCH}`, sha));
    const v = await gitOk(['version']);
    this.prev = sha;
    if (!measured) return;
    const t = this.times;
    t.fetch.push(f.ms);
    t.revParse.push(r.ms);
    t.mergeBase.push(m.ms);
    t.push.push(p.ms);
    t.pushRef.push(seenAt - t0);
    t.updateRef.push(u.ms);
    t.spawn.push(v.ms);
  }

  summary(): GitFloor {
    const t = this.times;
    return {
      push: summarize(t.push), pushRef: summarize(t.pushRef), updateRef: summarize(t.updateRef), fetch: summarize(t.fetch),
      revParse: summarize(t.revParse), mergeBase: summarize(t.mergeBase), spawn: summarize(t.spawn),
    };
  }

  close(): void {
    this.watcher.close();
  }
}

// ---------------------------------------------------------------------------------------------
// --trace: what git did inside each measured promotion

function traceReport(procs: GitProcessTrace[], samples: Sample[]): void {
  const top = procs.filter((p) => p.depth === 0);
  const perName = new Map<string, number>();
  const childNames = new Map<string, number>();
  const spawned = new Map<string, number>();
  const segments = new Map<string, number[]>();
  const add = (key: string, v: number) => {
    const list = segments.get(key) ?? [];
    list.push(v);
    segments.set(key, list);
  };
  let gitCritical = 0;
  let otherCritical = 0;
  for (const s of samples) {
    // Everything the promotion ran, until its `promoted` event arrived.
    const mine = top.filter((p) => p.start >= s.t0 && p.start <= s.promotedAt);
    for (const p of mine) {
      perName.set(p.name, (perName.get(p.name) ?? 0) + 1);
      for (const c of p.children) spawned.set(`${p.name} → ${c}`, (spawned.get(`${p.name} → ${c}`) ?? 0) + 1);
      for (const d of procs) {
        if (d.depth > 0 && d.sid.startsWith(`${p.sid}/`)) {
          childNames.set(`${p.name} → git ${d.name}`, (childNames.get(`${p.name} → git ${d.name}`) ?? 0) + 1);
          for (const c of d.children) spawned.set(`${p.name} → ${d.name} → ${c}`, (spawned.get(`${p.name} → ${d.name} → ${c}`) ?? 0) + 1);
        }
      }
    }
    // The critical path: from the publish until the remote ref moved, which the push does.
    const push = mine.findIndex((p) => p.name === 'push');
    const before = push >= 0 ? mine.slice(0, push + 1) : mine.filter((p) => p.start <= s.refAt);
    let at = s.t0;
    let prevName = 'publish';
    before.forEach((p, i) => {
      const gap = p.start - at;
      add(`${String(i).padStart(2)} ${prevName} → git ${p.name} starts`, gap);
      otherCritical += gap;
      const last = i === before.length - 1;
      const end = last ? s.refAt : p.end;
      add(`${String(i).padStart(2)} git ${p.name}${last ? ' (until the remote ref moved)' : ''}`, end - p.start);
      gitCritical += end - p.start;
      at = end;
      prevName = `git ${p.name}`;
    });
    if (before.length === 0) add('publish → ref moved (no git process traced)', s.refAt - s.t0);
  }
  const n = samples.length;
  const perPromotion = (m: Map<string, number>) => [...m.entries()].map(([k, v]) => `${k} ×${(v / n).toFixed(2)}`).join(', ');
  const total = [...perName.values()].reduce((a, b) => a + b, 0);
  log(`git, from GIT_TRACE2_EVENT (per measured promotion, publish → promoted):`);
  log(`  ${(total / n).toFixed(2)} git processes started by promotion: ${perPromotion(perName)}`);
  log(`  git processes they start in turn: ${perPromotion(childNames) || 'none'}`);
  log(`  every child process (git or not, e.g. sh for the local transport): ${perPromotion(spawned) || 'none'}`);
  log(`  critical path, publish → remote ref moved (p50 / p99 / mean; a "→ starts" gap is Node, Postgres and the fork/exec of git):`);
  for (const [key, values] of segments) {
    const s = summarize(values);
    log(`    ${key.padEnd(60)} ${formatMs(s.p50).padStart(9)} / ${formatMs(s.p99).padStart(9)} / ${formatMs(s.mean).padStart(9)}`);
  }
  log(`  mean per promotion: inside git processes ${formatMs(gitCritical / n)}, between them ${formatMs(otherCritical / n)}`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  log(`promotion benchmark: n=${N}, warm-up ${WARMUP}${TRACE ? ', with GIT_TRACE2_EVENT' : ''}`);
  log(`postgres ${new URL(DATABASE_URL).host}, nats ${NATS_URL}, ${gitSync(['version'])}`);
  const { bench: b, shas, floorRemote, floorMirror } = await setUp();

  const floor = new GitFloorRunner(floorRemote, floorMirror, b.repo.base);
  undo.push({ what: 'stop watching the floor ref', fn: async () => floor.close() });
  let revno = 1;
  for (let i = 0; i < WARMUP; i++) {
    await promoteOne(b, shas[i], ++revno);
    await floor.step(shas[i], false);
  }
  log(`warm-up: ${WARMUP} promotions, each followed by a floor step`);
  const traceFrom = b.traceFile && existsSync(b.traceFile) ? statSync(b.traceFile).size : 0;
  const samples: Sample[] = [];
  for (let i = WARMUP; i < WARMUP + N; i++) {
    samples.push(await promoteOne(b, shas[i], ++revno));
    await floor.step(shas[i], true);
  }
  const lat = summarize(samples.map((s) => s.refAt - s.t0));
  const ack = summarize(samples.map((s) => s.acked - s.t0));
  const tail = summarize(samples.map((s) => s.promotedAt - s.refAt));
  log(`promotion, one at a time (publish qa-passed → ${PRODUCTION_BRANCH} in the remote is that commit), n=${N}:`);
  log(`  p50 ${formatMs(lat.p50)}  p90 ${formatMs(lat.p90)}  p99 ${formatMs(lat.p99)}  mean ${formatMs(lat.mean)}  min ${formatMs(lat.min)}  max ${formatMs(lat.max)}`);
  log(`  ${line('of which the publish (JetStream ack)', ack).trimStart()}`);
  log(`  ${line('after it: remote ref moved → promoted event', tail).trimStart()}`);
  const tenth = Math.max(1, Math.floor(N / 10));
  log(`  drift: p50 of the first ${tenth} ${formatMs(summarize(samples.slice(0, tenth).map((s) => s.refAt - s.t0)).p50)}, of the last ${tenth} ${formatMs(summarize(samples.slice(-tenth).map((s) => s.refAt - s.t0)).p50)}`);
  const problem = serviceProblem(b);
  if (problem) throw new Error(problem);
  if (b.traceFile) traceReport(readTrace2(b.traceFile, traceFrom), samples);

  log(`floor: the same git commands run the same way, from a second bare remote and its own mirror, one step after each promotion (n=${N}):`);
  const gf = floor.summary();
  log(`  ${line('git push --force-with-lease (whole process)', gf.push)}`);
  log(`  ${line('git push, until the remote ref moved', gf.pushRef)}`);
  log(`  ${line('git fetch --prune --force (nothing new)', gf.fetch)}`);
  log(`  ${line('git rev-parse --verify', gf.revParse)}`);
  log(`  ${line('git merge-base --is-ancestor', gf.mergeBase)}`);
  log(`  ${line('git update-ref', gf.updateRef)}`);
  log(`  ${line('git version (a git process doing nothing)', gf.spawn)}`);
  const floorOpts = { databaseUrl: b.db.url, natsUrl: NATS_URL, namespace: b.namespace, iterations: N, warmup: WARMUP };
  const rt = await measureJetStreamRoundTrip(floorOpts);
  const commit = await measurePgCommit(floorOpts);
  log(`  ${line('JetStream publish → consume', rt)}`);
  log(`  ${line('Postgres BEGIN; INSERT; COMMIT', commit)}`);

  // Before the ref moves, promotion runs: fetch, rev-parse ×2 (production-stable, stable),
  // merge-base ×2 (is the approval already in? is production its ancestor?), then push.
  const gitModelP50 = gf.fetch.p50 + 2 * gf.revParse.p50 + 2 * gf.mergeBase.p50 + gf.pushRef.p50;
  const overheadP99 = lat.p99 - gf.push.p99;
  const met = overheadP99 <= TARGET_OVERHEAD_MS;
  log(`where the time goes (p50): the git commands promotion runs before the ref moves (fetch + 2 rev-parse + 2 merge-base + push until the ref moves)`);
  log(`  cost ${formatMs(gitModelP50)} when run on their own; one JetStream delivery ${formatMs(rt.p50)}; the remaining ${formatMs(lat.p50 - gitModelP50 - rt.p50)} is the handler's Postgres round trips and Node`);
  log(`overhead p99 = promotion p99 ${formatMs(lat.p99)} − push p99 ${formatMs(gf.push.p99)} = ${formatMs(overheadP99)}: target ≤ ${TARGET_OVERHEAD_MS} ms ${met ? 'met' : 'NOT met'}`);
  log(`  (p50: ${formatMs(lat.p50)} − ${formatMs(gf.push.p50)} = ${formatMs(lat.p50 - gf.push.p50)})`);

  const result = roundResult({
    name: 'promotion',
    n: N,
    p50_ms: lat.p50,
    p99_ms: lat.p99,
    git_push_p50_ms: gf.push.p50,
    git_push_p99_ms: gf.push.p99,
    overhead_p99_ms: overheadP99,
    git_fetch_p50_ms: gf.fetch.p50,
    target_overhead_ms: TARGET_OVERHEAD_MS,
    target_met: met,
    mean_ms: lat.mean,
    max_ms: lat.max,
    overhead_p50_ms: lat.p50 - gf.push.p50,
    publish_ack_p50_ms: ack.p50,
    ref_to_promoted_p50_ms: tail.p50,
    git_push_ref_p50_ms: gf.pushRef.p50,
    git_fetch_p99_ms: gf.fetch.p99,
    git_rev_parse_p50_ms: gf.revParse.p50,
    git_merge_base_p50_ms: gf.mergeBase.p50,
    git_update_ref_p50_ms: gf.updateRef.p50,
    git_process_p50_ms: gf.spawn.p50,
    git_path_model_p50_ms: gitModelP50,
    js_roundtrip_p50_ms: rt.p50,
    pg_commit_p50_ms: commit.p50,
    traced: TRACE,
  });

  if (KEEP_LOGS || TRACE) log(`logs kept in ${keepLogDir ?? '?'}`);
  else keepLogDir = null;
  await cleanup();
  log(JSON.stringify(result));
}

runBenchmark({ name: 'promotion', watchdogMs: WATCHDOG_MS, main, cleanup, keptAt: () => keepLogDir });
