/**
 * The rollout run (issue 14): for each run, the real rollout service and 3–8 real agent
 * processes as children, on their own database and NATS namespace, driven by a random operator
 * sequence (scenario.ts) while servers fail, hang and die. The runner plays buildbot, qa-gate
 * and promotion by publishing their events (`revision-landed`, `qa-tip-moved`, `promoted`) on
 * the run's namespace, plays operators over HTTP (client.ts), and plays the servers' owners:
 * each agent's deploy command logs to a file of its own and fails or hangs when a control file
 * says so, its cowboy scan prints what a file lists, and an agent can be killed, restarted (with
 * its state edited behind its back: drift) or replaced.
 *
 * At each checkpoint it waits until everything is quiet and compares what rollout says, and
 * what the agents' own state files and logs say, with the model (model.ts); at the end it
 * checks the whole history: holds, cowboys, deadlines, convergence, each deploy once, lead time.
 * The database and NATS are read only to know when everything is quiet, never for the checks.
 * Run i of a run with seed S uses seed S + i, and `--runs 1 --seed <S + i>` replays it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { type CloudEvent, type EventDefinition, Events, type PromotedV1, type QaTipMovedV1, type RevisionLandedV1, Subjects } from '@runway/contracts';
import { createIsolatedDatabase, dropNamespace, freePort, TEST_ADMIN_TOKEN, uniqueNamespace } from '@runway/testing';
import { issueToken, type ProcessHandle, ROOT, startAgent, startService } from '../../../tools/stack.cjs';
import { Rng } from '../histories/generator';
import { type Answer, type CowboyView, describeAnswer, type DeployView, OPEN_STATUSES, RolloutClient, type RolloutView, RUNNING_DEPLOY_STATUSES } from './client';
import {
  type CowboyLife, describeRevision, divergences, everywhereNow, fixesAt, heldDeploys, type HoldSpan, inSpans, iso, latestRolledOut, liveAt, type LogLine,
  mustConverge, notEverywhereAt, parseLogLine, type ProductionHistory, type RanDeploy, ranTwice, retirements, type RolloutFact, type RunningChange,
  type ServerFact, type Span, Stable, type Timed, type Track,
} from './model';
import { type AgentSpec, type ArmMode, generateScenario, type Scenario, type ScenarioOptions, sha, type Step, STEP_KINDS, type StepKind, stepCounts } from './scenario';

// ── options and results ──────────────────────────────────────────────────────────────────────

export interface RolloutRunOptions {
  runs: number;
  seed: number;
  parallel: number;
  /** Operator steps per run, inclusive range. */
  steps?: [number, number];
  /** Agents at a run's start, inclusive range. */
  agents?: [number, number];
  /** Go on after a checkpoint with violations (they then tend to cascade). */
  keepGoing?: boolean;
  quiesceTimeoutMs?: number;
  /** How long a failing checkpoint check is looked at again before it counts. */
  settleMs?: number;
  log: (line: string) => void;
  /** Postgres (an admin URL) and NATS; from DATABASE_URL / NATS_URL when absent. */
  infra?: { databaseUrl: string; natsUrl: string };
  /**
   * The harness's own self-check: only what rollout handled before issue 14 (see scenario.ts),
   * and no look for the drift field. It should pass on a build from before that work too.
   */
  tame?: boolean;
}

/**
 * Rollout's deadline for a deploy, the agent's own timeout, and the slack the checks give. The
 * slack is generous: on a machine busy with other work rollout's tick can lag by seconds, and a
 * deadline never enforced still shows, as a run that is not quiet and a deploy out at the end.
 */
export const TIMING = {
  deployDeadlineS: 6, agentTimeoutS: 4, heartbeatMs: 1000, heartbeatTimeoutS: 5, deadlineSlackMs: 20_000, idleInProgressMs: 20_000, catchUpRetryS: 2,
  // Heartbeats are most of a run's load (each one a scan on the agent and a transaction in rollout):
  // one a second keeps a loaded machine from falling behind on them. Behind by more than this many,
  // rollout may take live servers for silent (5 agents: 3 s of heartbeats).
  heartbeatBacklog: 15,
} as const;

export const COUNT_NAMES = [
  'checkpoints', 'landings', 'merges', 'broughtCommits', 'qaTips', 'promotions', 'skippedRevisions', 'holds', 'releases', 'cowboys', 'cowboysHold',
  'cowboysCarry', 'fixesLandedLater', 'fixesInMerges', 'cowboyFixesSet', 'operatorRetires', 'scanFound', 'scanRemoved', 'manualRollouts',
  'manualRollbacks', 'manualRedeploys', 'cancelsAsked', 'pausesAsked', 'resumesAsked', 'noOpSteps', 'arms', 'kills', 'killsForGood', 'restarts',
  'registrations', 'deregistrations', 'rollouts', 'rolloutsSucceeded', 'rolloutsFailed', 'rolloutsCancelled', 'catchUps', 'deploys', 'deployFailures',
  'rolledBack', 'failsConsumed', 'hangs', 'deadlinesHit', 'heldSkips', 'reapplies', 'driftsInjected', 'driftsShown', 'driftsHealed',
  'cowboysRetiredByFix', 'cowboysRetiredByScan', 'cowboysRetiredByOperator', 'revisionsRunningEverywhere',
] as const;
export type Counts = Record<(typeof COUNT_NAMES)[number], number>;

export function emptyCounts(): Counts {
  return Object.fromEntries(COUNT_NAMES.map((n) => [n, 0])) as Counts;
}

export interface Phases {
  /** Database, namespace, rollout up, tokens, the first agents, the baseline (its checkpoint aside). */
  startMs: number;
  /** Of which starting rollout (migrations included). */
  serviceMs: number;
  /** Of which starting the first agents, side by side. */
  agentsMs: number;
  /** The operator steps (agents started on the way included), checkpoints aside. */
  stepsMs: number;
  /** Waiting for quiet, at the checkpoints. */
  quiesceMs: number;
  /** Reading and comparing, at the checkpoints (settling included) and at the end. */
  checksMs: number;
  /** Stopping and removing. */
  stopMs: number;
}

export interface RunResult {
  seed: number;
  violations: string[];
  counts: Counts;
  steps: Record<StepKind, number>;
  ms: number;
  phases: Phases;
  /** Kept for a failing run. */
  dir: string | null;
}

export interface RolloutSummary {
  name: 'rollout';
  runs: number;
  violations: number;
  failedRuns: number;
  seed: number;
  ms: number;
  parallel: number;
  secondsPerRun: number;
  /** Mean seconds per run, by phase. */
  phases: Record<keyof Phases, number>;
  counts: Counts;
  steps: Record<StepKind, number>;
  /** Violations by check (`1 holds`, `4 convergence`, …) over every run. */
  violationsByCheck: Record<string, number>;
  failures: { seed: number; replay: string; dir: string | null; violations: string[] }[];
}

/** The command that runs one seed alone, with the options that shaped its scenario. */
export function replayCommand(seed: number, o: { tame?: boolean; steps?: [number, number]; agents?: [number, number] } = {}): string {
  const range = (name: string, r?: [number, number]) => (r ? ` --${name} ${r[0]}-${r[1]}` : '');
  return `npm run chaos -- --domain rollout --runs 1 --seed ${seed}${range('steps', o.steps)}${range('agents', o.agents)}${o.tame ? ' --tame' : ''}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function timed(a: Answer): Timed {
  return { sentAt: a.sentAt, answeredAt: a.answeredAt };
}

// ── the servers' side: scripts, control files, state files ─────────────────────────────────────

/**
 * The commands every agent of a run gets, as scripts taking the host's directory. Only the
 * variables the agent names for each command are used (a newer agent may pass nothing else),
 * and every tool by its full path.
 */
function writeScripts(bin: string): void {
  mkdirSync(bin, { recursive: true });
  const now = `/bin/date -u +%Y-%m-%dT%H:%M:%S.%3NZ`;
  writeFileSync(join(bin, 'deploy.sh'), [
    'd="$1"',
    `echo "$(${now}) $RUNWAY_DEPLOY_ID $RUNWAY_REVISION deploy" >> "$d/deploys.log"`,
    'mode=""',
    'if /bin/mv "$d/control" "$d/control.$RUNWAY_DEPLOY_ID" 2>/dev/null; then mode=$(/bin/cat "$d/control.$RUNWAY_DEPLOY_ID"); fi',
    'case "$mode" in',
    '  fail) echo "chaos: this deploy fails, as the runner asked"; exit 1 ;;',
    '  hang) echo "chaos: this deploy hangs, as the runner asked"; exec /bin/sleep 12 ;;',
    '  hang-rollback) : > "$d/rollback-hang.$RUNWAY_DEPLOY_ID"; echo "chaos: this deploy and its rollback hang"; exec /bin/sleep 12 ;;',
    'esac',
    'echo "deployed $RUNWAY_REVISION"',
    '',
  ].join('\n'));
  writeFileSync(join(bin, 'rollback.sh'), [
    'd="$1"',
    `echo "$(${now}) $RUNWAY_DEPLOY_ID $RUNWAY_REVISION rollback" >> "$d/deploys.log"`,
    'if /bin/mv "$d/rollback-hang.$RUNWAY_DEPLOY_ID" "$d/rollback-hung.$RUNWAY_DEPLOY_ID" 2>/dev/null; then exec /bin/sleep 12; fi',
    'echo "rolled back to $RUNWAY_REVISION"',
    '',
  ].join('\n'));
  writeFileSync(join(bin, 'reapply.sh'), ['d="$1"', `echo "$(${now}) $RUNWAY_DEPLOY_ID reapply $RUNWAY_COWBOY_HASH" >> "$d/deploys.log"`, ''].join('\n'));
  writeFileSync(join(bin, 'scan.sh'), ['d="$1"', 'if [ -f "$d/scan" ]; then /bin/cat "$d/scan"; fi', 'exit 0', ''].join('\n'));
}

/**
 * A file the agents' scripts read while the runner may be writing it (the scan list, the
 * control file): written whole and renamed into place, so a script never reads half of it
 * (an empty scan would say every patch is gone).
 */
function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}~`, text);
  renameSync(`${file}~`, file);
}

/** What an agent's state file says (see apps/rollout-agent's AgentState: its format is the agent's contract with its disk). */
interface AgentStateFile {
  runningRevision?: string;
  deploys: Record<string, { status: string; revision: string; rolloutId: string; at: string; outputTail?: string }>;
}

function readState(stateDir: string): AgentStateFile {
  try {
    const s = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as AgentStateFile;
    return { ...s, deploys: s.deploys ?? {} };
  } catch {
    return { deploys: {} };
  }
}

function writeState(stateDir: string, s: AgentStateFile): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, 'state.json'), JSON.stringify(s));
}

// ── one server, as the runner knows it ───────────────────────────────────────────────────────

interface Host {
  spec: AgentSpec;
  dir: string;
  stateDir: string;
  token: string | null;
  handle: ProcessHandle | null;
  alive: boolean;
  forGood: boolean;
  /** Registered from an agent's start (spawned → ready) until a deregistration. */
  registered: Span[];
  holds: HoldSpan[];
  /** What it ran before its first deploy, and drifts made while its agent was down. */
  changes: RunningChange[];
  scanHashes: string[];
  /** Since when its agent has been up without a break (null while down), or down. */
  upSince: number | null;
  downSince: number | null;
}

function track(h: Host): Track {
  return h.spec.environment === 'qastaging' ? 'qa-tip' : 'promoted';
}

interface ManualCall {
  id: string | null;
  hosts: string[] | null;
  revision: string;
  at: Timed;
}

// ── quiescence ───────────────────────────────────────────────────────────────────────────────

class Quiet {
  /** Deadline faults seen while waiting, once each. */
  readonly faults = new Map<string, string>();
  private readonly idleSince = new Map<string, number>();

  constructor(
    private readonly db: Client,
    private readonly jsm: JetStreamManager,
    private readonly subjects: Subjects,
    private readonly client: RolloutClient,
    private readonly timeoutMs: number,
  ) {}

  /** What is busy (empty when nothing is), and a fingerprint that changes with any activity. */
  private async observe(): Promise<{ busy: string[]; print: string }> {
    const busy: string[] = [];
    const print: string[] = [];
    for await (const c of this.jsm.consumers.list(this.subjects.eventStream)) {
      if (!c.name.startsWith('rollout__')) continue;
      if (c.num_pending || c.num_ack_pending) busy.push(`${c.name}: ${c.num_pending} pending, ${c.num_ack_pending} unacknowledged`);
      print.push(`${c.name}:${c.delivered.stream_seq}:${c.ack_floor.stream_seq}`);
    }
    // Heartbeats never stop, so only a backlog counts: rollout behind on them sees live servers as unreachable.
    for await (const c of this.jsm.consumers.list(this.subjects.telemetryStream)) {
      if (c.name.startsWith('rollout__') && c.num_pending > TIMING.heartbeatBacklog) busy.push(`${c.name}: ${c.num_pending} heartbeats behind`);
    }
    const { rows } = await this.db.query(`SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS n, coalesce(max(seq), 0)::text AS top FROM rollout.outbox`);
    if (rows[0].n) busy.push(`rollout.outbox: ${rows[0].n} unpublished`);
    print.push(`outbox:${rows[0].top}`);
    const open = (await this.client.rollouts()).filter((r) => (OPEN_STATUSES as readonly string[]).includes(r.status ?? ''));
    for (const r of open) {
      busy.push(`rollout ${r.id.slice(0, 8)} (${r.cause} → ${r.toSha?.slice(0, 10)}) is ${r.status}`);
      await this.deadlines(r);
    }
    for (const s of await this.client.servers()) {
      print.push(`${s.host}:${s.runningRevision}:${s.reachable}:${s.held}:${JSON.stringify(s.drift)}:${s.deregistered}`);
    }
    return { busy, print: print.sort().join(' ') };
  }

  /** Check 3, live: no deploy out longer than its deadline, no rollout in progress with nothing out. */
  async deadlines(r: RolloutView): Promise<void> {
    const { deploys } = await this.client.rollout(r.id);
    const now = Date.now();
    const out = deploys.filter((d) => (RUNNING_DEPLOY_STATUSES as readonly string[]).includes(d.status ?? ''));
    for (const d of out) {
      const age = d.requestedAt === null ? 0 : now - d.requestedAt;
      if (age > TIMING.deployDeadlineS * 1000 + TIMING.deadlineSlackMs && !this.faults.has(d.id)) {
        this.faults.set(d.id, `deploy ${d.id.slice(0, 8)} to ${d.host} (rollout ${r.id.slice(0, 8)}, ${r.cause}) is still ${d.status} ${(age / 1000).toFixed(1)} s after it was requested (deadline ${TIMING.deployDeadlineS} s)`);
      }
    }
    if (r.status !== 'in-progress' || out.length > 0) {
      this.idleSince.delete(r.id);
      return;
    }
    const since = this.idleSince.get(r.id) ?? now;
    this.idleSince.set(r.id, since);
    if (now - since > TIMING.idleInProgressMs && !this.faults.has(r.id)) {
      this.faults.set(r.id, `rollout ${r.id.slice(0, 8)} (${r.cause}) has been in-progress for ${((now - since) / 1000).toFixed(1)} s with no deploy out`);
    }
  }

  /** Resolves once nothing is busy twice in a row, 500 ms apart, with nothing happening between. */
  async wait(what: string): Promise<number> {
    const started = Date.now();
    let last: string[] = [];
    while (Date.now() - started < this.timeoutMs) {
      const a = await this.observe();
      if (a.busy.length === 0) {
        await sleep(500);
        const b = await this.observe();
        if (b.busy.length === 0 && b.print === a.print) return Date.now() - started;
        last = b.busy.length ? b.busy : ['activity between two looks'];
      } else last = a.busy;
      await sleep(250);
    }
    throw Object.assign(new Error(`not quiet ${this.timeoutMs / 1000} s after ${what}: ${last.slice(0, 6).join('; ')}`), { waitedMs: Date.now() - started });
  }

  /** How many heartbeats rollout has yet to read. */
  async heartbeatBacklog(): Promise<number> {
    let n = 0;
    for await (const c of this.jsm.consumers.list(this.subjects.telemetryStream)) if (c.name.startsWith('rollout__')) n += c.num_pending;
    return n;
  }

  async deadLettered(): Promise<number> {
    const info = await this.jsm.streams.info(this.subjects.deadLetterStream).catch(() => null);
    return info?.state.messages ?? 0;
  }
}

// ── one run ──────────────────────────────────────────────────────────────────────────────────

interface RunContext {
  infra: { databaseUrl: string; natsUrl: string };
  scenario: Partial<ScenarioOptions>;
  keepGoing: boolean;
  quiesceTimeoutMs: number;
  settleMs: number;
  tame: boolean;
  log: (line: string) => void;
}

/**
 * Every process a run started (rollout, agents). They are not in the runner's process group's
 * keeping once it dies: a runner stopped by a signal kills them first, or they heartbeat on,
 * loading the machine, for ever.
 */
const children = new Set<ProcessHandle>();

function killChildrenOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** A downtime window open from a minute ago for a whole day: downtime never waits in a run. */
function openWindow(now = new Date()): string {
  const t = new Date(now.getTime() - 60_000);
  return `daily ${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')}/1440`;
}

class RolloutRun {
  readonly violations: string[] = [];
  readonly counts = emptyCounts();
  readonly phases: Phases = { startMs: 0, serviceMs: 0, agentsMs: 0, stepsMs: 0, quiesceMs: 0, checksMs: 0, stopMs: 0 };
  readonly dir: string;
  private readonly cleanups: (() => Promise<unknown>)[] = [];
  private readonly rng: Rng;
  readonly scenario: Scenario;
  private readonly stable = new Stable();
  private readonly hosts = new Map<string, Host>();
  private readonly cowboys: CowboyLife[] = [];
  private readonly cowboyRefs = new Map<number, CowboyLife[]>();
  /** PATCH or DELETE answered 404: the cowboy must have been retired before. */
  private readonly refusedOnRetired: { life: CowboyLife; at: Timed; what: string }[] = [];
  private readonly manuals: ManualCall[] = [];
  private readonly promotions: { revno: number; sha: string; at: number }[] = [];
  private readonly qaTips: { revno: number; sha: string; at: number }[] = [];
  private readonly drifts: { host: string; revision: string; readyAt: number; shown: boolean; healed: boolean }[] = [];
  private qaTip = 0;
  private promoted = 0;
  private stepNo = 0;
  private checkpoint = 0;
  private client!: RolloutClient;
  private quiet!: Quiet;
  private js!: ReturnType<typeof jetstream>;
  private subjects!: Subjects;
  private serviceUrl = '';
  private namespace = '';
  private logDir = '';
  private operatorToken = '';

  constructor(
    readonly seed: number,
    private readonly ctx: RunContext,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `runway-rollout-${seed}-`));
    this.scenario = generateScenario(new Rng(seed), ctx.scenario);
    // Choices made during the run (which open rollout to cancel, what a drift runs) have a stream of their own.
    this.rng = new Rng((seed ^ 0x5bd1e995) >>> 0);
  }

  private at(check: string, what: string): string {
    return `seed ${this.seed} step ${this.stepNo} check ${check}: ${what}`;
  }

  private violate(check: string, what: string): void {
    const v = this.at(check, what);
    if (!this.violations.includes(v)) this.violations.push(v);
  }

  /** An answer outside the expected statuses is a violation of its own. */
  private expect(a: Answer, ok: readonly number[], what: string): boolean {
    if (ok.includes(a.status)) return true;
    this.violate('http', `${what} answered ${describeAnswer(a)} (expected ${ok.join(' or ')})`);
    return false;
  }

  // ── setup ────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    const started = Date.now();
    const { infra } = this.ctx;
    writeScripts(join(this.dir, 'bin'));
    this.logDir = join(this.dir, 'logs');
    const db = await createIsolatedDatabase(infra.databaseUrl);
    this.cleanups.push(() => db.drop());
    this.namespace = uniqueNamespace();
    this.cleanups.push(() => dropNamespace(infra.natsUrl, this.namespace));
    this.subjects = new Subjects(this.namespace);
    const env: Record<string, string> = {
      DATABASE_URL: db.url, NATS_URL: infra.natsUrl, RUNWAY_NAMESPACE: this.namespace, RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'warn',
      // The tick and the outbox's poll are most of an idle rollout's work: often enough for the run's
      // time scale (deadlines of seconds), no more, so a run costs the machine as little as it can.
      NATS_STREAM_STORAGE: 'memory', OUTBOX_POLL_MS: '250', EVENT_ACK_WAIT_MS: '2000', ROLLOUT_TICK_MS: '500',
      AGENT_HEARTBEAT_TIMEOUT_SECONDS: String(TIMING.heartbeatTimeoutS), ROLLOUT_DEPLOY_DEADLINE_SECONDS: String(TIMING.deployDeadlineS),
      ROLLOUT_BATCH_SIZE: String(this.scenario.batchSize), ROLLOUT_WAVES: 'qastaging,lpnet', QA_ENVIRONMENTS: 'qastaging',
      ROLLOUT_DOWNTIME_WINDOW: openWindow(), ROLLOUT_CADENCE: '',
      // A failed catch-up is tried again after this: on the run's time scale (deadlines of seconds), not production's minutes.
      ROLLOUT_CATCH_UP_RETRY_SECONDS: String(TIMING.catchUpRetryS),
    };
    const tService = Date.now();
    let svc: ProcessHandle | null = null;
    // A port found free may be taken by a parallel run before the service binds it: try again, on another.
    for (let attempt = 1; !svc; attempt++) {
      try {
        // On a machine busy with other work, starting can take far longer than the usual minute.
        svc = await startService('rollout', env, { logDir: this.logDir, port: await freePort(), readyMs: 180_000 });
      } catch (e) {
        if (attempt === 3 || !/EADDRINUSE/.test((e as Error).message)) throw e;
      }
    }
    const service = svc;
    children.add(service);
    this.phases.serviceMs = Date.now() - tService;
    this.cleanups.push(() => service.stop());
    this.serviceUrl = service.url!;
    this.operatorToken = await issueToken(this.serviceUrl, TEST_ADMIN_TOKEN, { name: 'chaos-operator', roles: ['operator'] });
    this.client = new RolloutClient(this.serviceUrl, this.operatorToken);

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    this.cleanups.push(() => pg.end());
    // A failing run leaves what rollout held beside its logs, to read the failure from.
    this.cleanups.push(async () => {
      if (this.violations.length) await dumpState(pg, join(this.dir, 'state.json'));
    });
    const nc: NatsConnection = await connect({ servers: infra.natsUrl.split(',') });
    this.cleanups.push(() => nc.close());
    this.js = jetstream(nc);
    this.quiet = new Quiet(pg, await jetstreamManager(nc), this.subjects, this.client, this.ctx.quiesceTimeoutMs);
    // Agents go first (SIGKILL: nothing of theirs needs a clean stop), so nothing reports into a stopped service.
    this.cleanups.push(async () => {
      await Promise.all([...this.hosts.values()].map((h) => h.handle?.kill('SIGKILL')));
    });

    // The baseline: r1 landed, every first agent runs it, QA and production were moved to it.
    await this.land([this.scenario.baseline]);
    const tAgents = Date.now();
    await Promise.all(this.scenario.agents.map((a) => this.register(a, false)));
    this.phases.agentsMs = Date.now() - tAgents;
    // The baseline goes out once rollout hears every first agent, and keeps up with their
    // heartbeats (on a loaded machine it can fall behind, and take live servers for gone).
    const hearing = Date.now() + 90_000;
    for (;;) {
      const heard = new Set((await this.client.servers()).filter((x) => x.reachable).map((x) => x.host));
      const backlog = await this.quiet.heartbeatBacklog();
      if (this.scenario.agents.every((a) => heard.has(a.host)) && backlog <= TIMING.heartbeatBacklog) break;
      if (Date.now() > hearing) {
        throw new Error(`rollout did not hear every first agent within 90 s (heard ${[...heard].join(', ') || 'none'}; ${backlog} heartbeats behind)`);
      }
      await sleep(200);
    }
    await this.moveQaTip(1);
    await this.promote(1, 0);
    this.phases.startMs = Date.now() - started;
    await this.runCheckpoint(false);
  }

  // ── publishing as buildbot / qa-gate / promotion would ─────────────────────────────────────

  private async publish<T extends object>(def: EventDefinition<T>, data: T, source: string): Promise<number> {
    const event: CloudEvent<T> = {
      specversion: '1.0', id: randomUUID(), source, type: def.type, subject: def.key(data), time: new Date().toISOString(),
      datacontenttype: 'application/json', correlationid: randomUUID(), data,
    };
    await this.js.publish(this.subjects.event(def.type, def.key(data)), JSON.stringify(event), { msgID: event.id });
    return Date.parse(event.time);
  }

  private async land(revisions: readonly { revno: number; sha: string; brings: string[] }[]): Promise<void> {
    for (const r of revisions) {
      this.stable.land(r);
      const data: RevisionLandedV1 = {
        branch: 'stable', sha: r.sha, revno: r.revno, landedAt: new Date().toISOString(), message: `r${r.revno}${r.brings.length ? ' (merge)' : ''}`,
        ...(r.brings.length ? { brings: r.brings } : {}),
      };
      await this.publish(Events.RevisionLanded, data, 'runway/qa-gate');
      this.counts.landings++;
      if (r.brings.length) {
        this.counts.merges++;
        this.counts.broughtCommits += r.brings.length;
      }
    }
  }

  private async moveQaTip(revno: number): Promise<void> {
    const r = this.stable.at(revno);
    const data: QaTipMovedV1 = {
      branch: 'stable', sha: r.sha, revno, containsDbRevision: false, ...(this.qaTip ? { previousSha: this.stable.at(this.qaTip).sha } : {}),
    };
    const at = await this.publish(Events.QaTipMoved, data, 'runway/qa-gate');
    this.qaTip = revno;
    this.qaTips.push({ revno, sha: r.sha, at });
    this.counts.qaTips++;
  }

  private async promote(revno: number, from: number): Promise<void> {
    const range = this.stable.revisions.slice(from, revno);
    const data: PromotedV1 = {
      promotionId: randomUUID(), branch: 'production-stable', ...(from ? { fromSha: this.stable.at(from).sha } : {}), toSha: this.stable.at(revno).sha,
      toRevno: revno, revisions: range.map((r) => ({ sha: r.sha, revno: r.revno, db: false })), containsDbRevision: false, deployKind: 'no-downtime',
      cause: 'qa-passed', pendingMergeBack: [],
    };
    const at = await this.publish(Events.Promoted, data, 'runway/promotion');
    this.promoted = revno;
    this.promotions.push({ revno, sha: data.toSha, at });
    this.counts.promotions++;
    if (from && revno > from + 1) this.counts.skippedRevisions += revno - from - 1;
  }

  // ── agents ───────────────────────────────────────────────────────────────────────────────

  private async register(spec: AgentSpec, counted = true): Promise<void> {
    const dir = join(this.dir, 'hosts', spec.host);
    const h: Host = {
      spec, dir, stateDir: join(dir, 'state'), token: null, handle: null, alive: false, forGood: false, registered: [], holds: [], changes: [],
      scanHashes: [], upSince: null, downSince: null,
    };
    mkdirSync(h.dir, { recursive: true });
    const initial = spec.initialRevno ? this.stable.at(spec.initialRevno).sha : null;
    if (initial) writeState(h.stateDir, { runningRevision: initial, deploys: {} });
    h.changes.push({ revision: initial, from: 0, to: 0, what: 'its first revision' });
    this.hosts.set(spec.host, h);
    h.token = await issueToken(this.serviceUrl, TEST_ADMIN_TOKEN, { name: `agent ${spec.host}`, roles: ['agent'], host: spec.host });
    await this.launch(h);
    if (counted) this.counts.registrations++;
  }

  private async launch(h: Host): Promise<number> {
    const bin = join(this.dir, 'bin');
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const env: Record<string, string> = {
      NATS_URL: this.ctx.infra.natsUrl, RUNWAY_NAMESPACE: this.namespace, RUNWAY_ROLLOUT_URL: this.serviceUrl, RUNWAY_AGENT_TOKEN: h.token!,
      AGENT_HOST: h.spec.host, AGENT_ENVIRONMENT: h.spec.environment, AGENT_STATE_DIR: h.stateDir, AGENT_HEARTBEAT_MS: String(TIMING.heartbeatMs),
      AGENT_DEPLOY_TIMEOUT_SECONDS: String(TIMING.agentTimeoutS), AGENT_ACK_WAIT_MS: '3000', LOG_LEVEL: 'info',
      AGENT_DEPLOY_COMMAND: `/bin/sh ${q(join(bin, 'deploy.sh'))} ${q(h.dir)}`,
      AGENT_ROLLBACK_COMMAND: `/bin/sh ${q(join(bin, 'rollback.sh'))} ${q(h.dir)}`,
      AGENT_COWBOY_SCAN_COMMAND: `/bin/sh ${q(join(bin, 'scan.sh'))} ${q(h.dir)}`,
      AGENT_COWBOY_REAPPLY_COMMAND: `/bin/sh ${q(join(bin, 'reapply.sh'))} ${q(h.dir)}`,
      ...(h.spec.wave ? { AGENT_WAVE: h.spec.wave } : {}),
    };
    const sentAt = Date.now();
    // An agent loads in a second or two; on a machine busy with other runs it can take much longer.
    h.handle = await startAgent(env, { logDir: this.logDir, waitReadyMs: 90_000 });
    children.add(h.handle);
    const readyAt = Date.now();
    h.alive = true;
    h.upSince = readyAt;
    h.downSince = null;
    h.registered.push({ from: { sentAt, answeredAt: readyAt }, to: null });
    return readyAt;
  }

  private registeredNow(h: Host): boolean {
    const last = h.registered[h.registered.length - 1];
    return Boolean(last && last.to === null);
  }

  private heldNow(h: Host): boolean {
    const last = h.holds[h.holds.length - 1];
    return Boolean(last && last.release === null);
  }

  // ── the steps ────────────────────────────────────────────────────────────────────────────

  async runSteps(): Promise<void> {
    for (const step of this.scenario.steps) {
      this.stepNo++;
      if (step.kind === 'checkpoint') {
        await this.runCheckpoint(step.final);
        if (this.violations.length && !this.ctx.keepGoing) return;
        continue;
      }
      const t = Date.now();
      await this.exec(step);
      if (step.pauseMs) await sleep(step.pauseMs);
      this.phases.stepsMs += Date.now() - t;
    }
  }

  private async exec(step: Step): Promise<void> {
    const reason = `chaos seed ${this.seed} step ${this.stepNo}`;
    switch (step.kind) {
      case 'land':
        return this.land(step.revisions);
      case 'qa-tip':
        return this.moveQaTip(step.revno);
      case 'promote':
        return this.promote(step.revno, step.from);
      case 'hold': {
        const h = this.hosts.get(step.host)!;
        const a = await this.client.hold(step.host, reason);
        if (this.expect(a, [200, 201], `PUT /servers/${step.host}/hold`)) h.holds.push({ put: timed(a), release: null });
        this.counts.holds++;
        return;
      }
      case 'release': {
        const h = this.hosts.get(step.host)!;
        const span = h.holds[h.holds.length - 1];
        const a = await this.client.release(step.host);
        if (this.expect(a, [200, 204], `DELETE /servers/${step.host}/hold`) && span && span.release === null) span.release = timed(a);
        this.counts.releases++;
        return;
      }
      case 'cowboy':
        return this.recordCowboy(step, reason);
      case 'cowboy-fix': {
        this.counts.cowboyFixesSet++;
        this.noteFix(step.fix);
        for (const life of this.cowboyRefs.get(step.ref) ?? []) {
          const id = await this.cowboyId(life);
          if (!id) continue;
          const a = await this.client.fixCowboy(id, step.fixedBy);
          if (a.status === 404) this.refusedOnRetired.push({ life, at: timed(a), what: `PATCH /cowboys/${id}` });
          else if (this.expect(a, [200], `PATCH /cowboys/${id} {fixedBy}`)) life.fixes.push({ fixedBy: step.fixedBy, at: timed(a) });
        }
        return;
      }
      case 'cowboy-retire': {
        for (const life of this.cowboyRefs.get(step.ref) ?? []) {
          const id = await this.cowboyId(life);
          if (!id || life.operatorRetire) continue;
          const a = await this.client.retireCowboy(id, reason);
          if (a.status === 404) this.refusedOnRetired.push({ life, at: timed(a), what: `DELETE /cowboys/${id}` });
          else if (this.expect(a, [200, 204], `DELETE /cowboys/${id}`)) {
            life.operatorRetire = timed(a);
            this.counts.operatorRetires++;
          }
        }
        return;
      }
      case 'scan-add':
        return this.scanAdd(step.host, step.hash);
      case 'scan-remove': {
        const h = this.hosts.get(step.host)!;
        const life = this.cowboys.find((c) => c.origin === 'scan' && c.host === step.host && c.hash === step.hash);
        h.scanHashes = h.scanHashes.filter((x) => x !== step.hash);
        if (life) life.scanRemovedAt = Date.now();
        writeAtomic(join(h.dir, 'scan'), h.scanHashes.map((x) => `${x}\n`).join(''));
        this.counts.scanRemoved++;
        return;
      }
      case 'manual': {
        const revision = this.stable.at(step.revno).sha;
        const a = await this.client.manual(revision, step.hosts, reason);
        this.manuals.push({ id: this.expect(a, [200, 201], 'POST /rollouts') ? RolloutClient.rolloutId(a) : null, hosts: step.hosts, revision, at: timed(a) });
        this.counts.manualRollouts++;
        const current = step.hosts && this.hosts.get(step.hosts[0])?.spec.environment === 'qastaging' ? this.qaTip : this.promoted;
        if (step.revno < current) this.counts.manualRollbacks++;
        else this.counts.manualRedeploys++;
        return;
      }
      case 'cancel':
      case 'pause':
      case 'resume':
        return this.control(step.kind, step.pick, reason);
      case 'arm': {
        const h = this.hosts.get(step.host)!;
        writeAtomic(join(h.dir, 'control'), step.mode);
        this.counts.arms++;
        return;
      }
      case 'kill': {
        const h = this.hosts.get(step.host)!;
        await h.handle?.kill('SIGKILL');
        h.alive = false;
        h.upSince = null;
        h.downSince = Date.now();
        h.forGood = step.forGood;
        this.counts.kills++;
        if (step.forGood) this.counts.killsForGood++;
        return;
      }
      case 'restart':
        return this.restart(step.host, step.drift);
      case 'register':
        return this.register(step.agent);
      case 'deregister': {
        const h = this.hosts.get(step.host)!;
        const a = await this.client.deregister(step.host, reason);
        const span = h.registered[h.registered.length - 1];
        if (this.expect(a, [200, 201, 204], `POST /servers/${step.host}/deregister`) && span && span.to === null) span.to = timed(a);
        this.counts.deregistrations++;
        return;
      }
    }
  }

  private noteFix(fix: string | null): void {
    if (fix === 'future' || fix === 'future-brought') this.counts.fixesLandedLater++;
    if (fix === 'landed-brought' || fix === 'future-brought') this.counts.fixesInMerges++;
  }

  private async recordCowboy(step: Extract<Step, { kind: 'cowboy' }>, reason: string): Promise<void> {
    const a = await this.client.recordCowboy({ hosts: step.hosts, patchHash: step.hash, reason, policy: step.policy, ...(step.fixedBy ? { fixedBy: step.fixedBy } : {}) });
    this.counts.cowboys++;
    if (step.policy === 'hold') this.counts.cowboysHold++;
    else this.counts.cowboysCarry++;
    this.noteFix(step.fix);
    if (!this.expect(a, [200, 201], 'POST /cowboys')) return;
    const ids = RolloutClient.recordedIds(a);
    const lives = step.hosts.map((host): CowboyLife => ({
      id: ids.get(host) ?? null, host, hash: step.hash, policy: step.policy, origin: 'operator', recorded: timed(a),
      fixes: step.fixedBy ? [{ fixedBy: step.fixedBy, at: timed(a) }] : [], retiredAt: null, retiredByRevision: null, retiredReason: null,
      operatorRetire: null, scanRemovedAt: null,
    }));
    this.cowboys.push(...lives);
    this.cowboyRefs.set(step.ref, lives);
  }

  /** A cowboy's id in rollout: from its POST's answer, or found by host and hash. */
  private async cowboyId(life: CowboyLife): Promise<string | null> {
    if (life.id) return life.id;
    const found = (await this.client.cowboys()).find((c) => c.host === life.host && c.patchHash === life.hash);
    life.id = found?.id ?? null;
    return life.id;
  }

  /** The agent's scan finds a patch applied by hand: rollout must list it (as a `hold` cowboy) within a few heartbeats. */
  private async scanAdd(host: string, hash: string): Promise<void> {
    const h = this.hosts.get(host)!;
    const sentAt = Date.now();
    h.scanHashes.push(hash);
    writeAtomic(join(h.dir, 'scan'), h.scanHashes.map((x) => `${x}\n`).join(''));
    this.counts.scanFound++;
    let seen: CowboyView | undefined;
    const deadline = sentAt + 10_000;
    while (!seen && Date.now() < deadline) {
      await sleep(100);
      // Listed at all: one retired at once (wrongly) is judged by check 2, with what rollout said.
      seen = (await this.client.cowboys()).find((c) => c.host === host && c.patchHash === hash);
    }
    const life: CowboyLife = {
      id: seen?.id ?? null, host, hash, policy: seen?.policy === 'carry' ? 'carry' : 'hold', origin: 'scan',
      recorded: { sentAt, answeredAt: seen ? Date.now() : Number.POSITIVE_INFINITY }, fixes: [], retiredAt: null, retiredByRevision: null,
      retiredReason: null, operatorRetire: null, scanRemovedAt: null,
    };
    this.cowboys.push(life);
    if (!seen && h.alive) this.violate('2 cowboys', `${host}'s scan found ${hash}, but GET /cowboys did not list it within 10 s`);
  }

  /** Cancel, pause or resume one of the rollouts open now (which one: `pick`). */
  private async control(kind: 'cancel' | 'pause' | 'resume', pick: number, reason: string): Promise<void> {
    const wanted: readonly string[] = kind === 'resume' ? ['paused'] : kind === 'pause' ? ['in-progress', 'queued', 'waiting-window'] : OPEN_STATUSES;
    const open = (await this.client.rollouts()).filter((r) => wanted.includes(r.status ?? '')).sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
    if (open.length === 0) {
      this.counts.noOpSteps++;
      return;
    }
    const r = open[pick % open.length];
    const a = kind === 'cancel' ? await this.client.cancel(r.id, reason) : kind === 'pause' ? await this.client.pause(r.id) : await this.client.resume(r.id);
    // It may have ended between the look and the call: a conflict then is right.
    this.expect(a, [200, 201, 409], `POST /rollouts/${r.id}/${kind} (it was ${r.status})`);
    if (kind === 'cancel') this.counts.cancelsAsked++;
    else if (kind === 'pause') this.counts.pausesAsked++;
    else this.counts.resumesAsked++;
  }

  /**
   * Starts a host's agent again, same state directory. With drift, its state is first made to
   * say it runs something else, as if someone changed the server by hand while it was down:
   * rollout must show the drift, then heal it.
   */
  private async restart(host: string, drift: Extract<Step, { kind: 'restart' }>['drift']): Promise<void> {
    const h = this.hosts.get(host)!;
    if (h.alive) {
      // A deregistered server's agent that never stopped: restarting registers it again.
      await h.handle?.stop();
      h.alive = false;
    }
    let driftTo: string | null = null;
    let writtenAt = 0;
    const state = readState(h.stateDir);
    // Drift is running something other than what Runway put there: only a server Runway deployed can drift.
    if (drift && Object.values(state.deploys).some((r) => r.status === 'succeeded')) {
      // Something Runway did not put there: older than what it runs, and neither what Runway last put there nor what it wants there.
      const view = (await this.client.servers()).find((x) => x.host === host);
      const runningRevno = this.stable.revnoOf(state.runningRevision) ?? this.stable.tip + 1;
      const avoid = new Set([state.runningRevision, view?.lastDeployedRevision, view?.desiredRevision, view?.runningRevision]);
      const older = this.stable.revisions.filter((r) => r.revno < runningRevno && !avoid.has(r.sha));
      // With nothing older to go back to, something Runway never saw.
      driftTo = drift.kind === 'older' && older.length ? this.rng.pick(older).sha : drift.kind === 'unknown' ? drift.sha : sha(this.rng);
      if (driftTo) {
        writtenAt = Date.now();
        writeState(h.stateDir, { ...state, runningRevision: driftTo });
      }
    }
    const readyAt = await this.launch(h);
    this.counts.restarts++;
    if (!driftTo) return;
    this.counts.driftsInjected++;
    h.changes.push({ revision: driftTo, from: writtenAt, to: readyAt, what: 'drift made by hand' });
    const record = { host, revision: driftTo, readyAt, shown: false, healed: false };
    this.drifts.push(record);
    // Healing may be quick: look often, for a while.
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const s = (await this.client.servers()).find((x) => x.host === host);
      if (s?.drift) {
        record.shown = true;
        this.counts.driftsShown++;
        break;
      }
      await sleep(60);
    }
    if (!record.shown && readState(h.stateDir).runningRevision === driftTo) {
      this.violate('4 drift', `${host} was restarted running ${describeRevision(this.stable, driftTo)}, not what Runway put there; GET /servers showed no drift within 3 s`);
    }
  }

  // ── checkpoints ──────────────────────────────────────────────────────────────────────────

  /**
   * Tidies (no control file left armed, no rollout left paused), waits for quiet, then checks
   * the state against the model, looking again while a check fails, up to settleMs.
   */
  private async runCheckpoint(final: boolean): Promise<void> {
    this.checkpoint++;
    this.counts.checkpoints++;
    for (const h of this.hosts.values()) rmSync(join(h.dir, 'control'), { force: true });
    for (const r of (await this.client.rollouts()).filter((x) => x.status === 'paused')) {
      const a = await this.client.resume(r.id);
      this.expect(a, [200, 201, 409], `POST /rollouts/${r.id}/resume (tidying before checkpoint ${this.checkpoint})`);
    }
    // Not quiet in time is a violation of its own; the checks still look.
    await this.waitQuiet(`checkpoint ${this.checkpoint}${final ? ' (final)' : ''}`).catch(() => undefined);
    const t1 = Date.now();
    let found = await this.checkpointChecks();
    while (found.length && Date.now() - t1 < this.ctx.settleMs) {
      await sleep(300);
      await this.waitQuiet('settling').catch(() => undefined);
      found = await this.checkpointChecks();
    }
    for (const f of found) this.violate(f.check, f.what);
    for (const [, fault] of this.quiet.faults) this.violate('3 deadlines', fault);
    this.quiet.faults.clear();
    this.phases.checksMs += Date.now() - t1;
  }

  private async waitQuiet(what: string): Promise<void> {
    const t = Date.now();
    try {
      await this.quiet.wait(`seed ${this.seed} step ${this.stepNo}: ${what}`);
    } catch (e) {
      if (what !== 'settling') this.violate('3 quiet', (e as Error).message);
      throw e;
    } finally {
      this.phases.quiesceMs += Date.now() - t;
    }
  }

  /**
   * Whether an operator's manual rollout pinned a server since its track's target: one naming
   * it, asked for since; or one for all of production that deployed it since. (One for all of
   * production that skipped it pins nothing; one naming it pins it even if it was skipped,
   * since rollout may remember what the operator asked for.)
   */
  private pins(m: ManualCall, h: Host, target: RolloutFact, deploys: readonly DeployView[]): boolean {
    const since = (d: DeployView) => d.host === h.spec.host && (d.updatedAt ?? 0) >= target.createdAt;
    const deployed = (d: DeployView) => !['skipped', 'cancelled', 'pending'].includes(d.status ?? '');
    if (m.hosts) return m.hosts.includes(h.spec.host) && (m.at.answeredAt >= target.createdAt || deploys.some(since));
    return h.spec.environment === 'lpnet' && deploys.some((d) => since(d) && deployed(d));
  }

  private rolloutFacts(rollouts: readonly RolloutView[]): RolloutFact[] {
    const allProduction = new Set(this.manuals.filter((m) => m.id && m.hosts === null).map((m) => m.id));
    return rollouts.map((r) => ({
      id: r.id, cause: r.cause ?? '?', hosts: r.cause === 'manual' ? (allProduction.has(r.id) ? null : (r.hosts ?? [])) : r.hosts,
      toSha: r.toSha ?? '', status: r.status ?? '?', createdAt: r.createdAt ?? 0, finishedAt: r.finishedAt,
    }));
  }

  private async checkpointChecks(): Promise<{ check: string; what: string }[]> {
    const out: { check: string; what: string }[] = [];
    const add = (check: string, what: string) => out.push({ check, what });
    const [servers, rollouts, cowboys, leadTime] = await Promise.all([this.client.servers(), this.client.rollouts(), this.client.cowboys(), this.client.leadTime().catch(() => null)]);
    this.updateCowboys(cowboys);
    const facts = this.rolloutFacts(rollouts);
    const targets: Record<Track, RolloutFact | null> = { promoted: latestRolledOut('promoted', facts), 'qa-tip': latestRolledOut('qa-tip', facts) };
    const manualDeploys = new Map<string, DeployView[]>();
    for (const m of this.manuals) if (m.id) manualDeploys.set(m.id, (await this.client.rollout(m.id).catch(() => ({ deploys: [] as DeployView[] }))).deploys);
    const byHost = new Map(servers.map((s) => [s.host, s]));
    const live = cowboys.filter((c) => c.status === 'applied');

    const serverFacts: ServerFact[] = [];
    const running = new Map<string, string | null>();
    for (const h of this.hosts.values()) {
      const target = targets[track(h)];
      const state = readState(h.stateDir);
      running.set(h.spec.host, state.runningRevision ?? null);
      const pinned = Boolean(target) && this.manuals.some((m) => m.id !== null && m.id !== target!.id && this.pins(m, h, target!, manualDeploys.get(m.id) ?? []));
      const blocking = target
        ? live.filter((c) => c.host === h.spec.host && c.policy !== 'carry' && !(c.fixedBy && this.stable.contains(target.toSha, c.fixedBy))).map((c) => c.patchHash)
        : [];
      serverFacts.push({
        host: h.spec.host, track: track(h), registered: this.registeredNow(h), alive: h.alive, held: this.heldNow(h), pinned, blockingCowboys: blocking,
        running: state.runningRevision ?? null,
      });
    }

    // Check 4: convergence, against the agents' own state files.
    const d = divergences(this.stable, { promoted: targets.promoted?.toSha ?? null, 'qa-tip': targets['qa-tip']?.toSha ?? null }, serverFacts);
    for (const x of d) {
      const h = this.hosts.get(x.host)!;
      const t = targets[track(h)]!;
      add('4 convergence', `${x.host} runs ${describeRevision(this.stable, x.running)}, which does not contain ${describeRevision(this.stable, x.expected)}, its track's latest rolled-out revision (${t.cause} rollout ${t.id.slice(0, 8)}); it is registered, up, unheld, not pinned and no hold cowboy keeps it`);
    }

    if (!this.ctx.tame && servers.some((s) => !s.showsDrift)) add('4 drift', 'GET /servers has no drift field');
    // What GET /servers says of each server, against what is so.
    for (const f of serverFacts) {
      if (!f.registered) continue;
      const s = byHost.get(f.host);
      if (!s) {
        add('servers', `${f.host} is registered but not listed by GET /servers`);
        continue;
      }
      if (s.deregistered) add('servers', `${f.host} is listed as deregistered, though its agent registered again`);
      if (f.alive && s.reachable === false) add('servers', `${f.host}'s agent is up, but GET /servers says unreachable`);
      const down = this.hosts.get(f.host)!.downSince;
      if (!f.alive && s.reachable === true && down !== null && Date.now() - down > TIMING.heartbeatTimeoutS * 1000 + 1500) {
        // Down for longer than the heartbeat timeout: it must show as unreachable.
        add('servers', `${f.host}'s agent is down, but GET /servers says reachable`);
      }
      if (f.alive && s.runningRevision !== f.running) add('servers', `${f.host} runs ${describeRevision(this.stable, f.running)} (its agent's state), GET /servers says ${describeRevision(this.stable, s.runningRevision)}`);
      if (s.held !== f.held) add('servers', `${f.host} is ${f.held ? '' : 'not '}held, GET /servers says it is${s.held ? '' : ' not'}`);
      if (mustConverge(f) && !d.some((x) => x.host === f.host) && s.drift) add('4 drift', `${f.host} converged, yet GET /servers shows drift ${JSON.stringify(s.drift)}`);
    }
    for (const x of this.drifts) {
      const f = serverFacts.find((s) => s.host === x.host)!;
      if (mustConverge(f) && f.running !== x.revision && !x.healed) {
        x.healed = true;
        this.counts.driftsHealed++;
      }
    }

    // Check 2: a cowboy the scan no longer finds is retired, once its agent has had time to scan.
    for (const c of this.cowboys) {
      if (c.origin !== 'scan' || c.scanRemovedAt === null || c.retiredAt !== null || c.operatorRetire) continue;
      const h = this.hosts.get(c.host)!;
      if (h.alive && h.upSince !== null && Date.now() - Math.max(h.upSince, c.scanRemovedAt) > 5000 && this.registeredNow(h)) {
        add('2 cowboys', `scan-found cowboy ${c.hash} on ${c.host} was taken out of the scan at ${iso(c.scanRemovedAt)}, but is still ${c.id ? 'applied' : 'unknown'} in GET /cowboys`);
      }
    }

    // Check 5: a revision every registered, unheld production server runs has its "running everywhere" time.
    if (leadTime) {
      const production = [...this.hosts.values()].filter((h) => h.spec.environment === 'lpnet')
        .map((h) => ({ host: h.spec.host, registered: this.registeredNow(h), held: this.heldNow(h), running: running.get(h.spec.host) ?? null }));
      const bySha = new Map(leadTime.map((l) => [l.sha, l]));
      for (const r of this.stable.revisions) {
        if (r.revno > this.promoted) continue;
        if (!everywhereNow(this.stable, r.sha, production)) continue;
        const l = bySha.get(r.sha);
        if (!l) add('5 lead time', `r${r.revno} runs on every registered, unheld production server, but GET /lead-time does not list it`);
        else if (l.deployedAt === null) add('5 lead time', `r${r.revno} runs on every registered, unheld production server, but GET /lead-time gives it no deployedAt`);
      }
    } else add('http', 'GET /lead-time did not answer 200');
    return out;
  }

  /** What rollout now says of each cowboy: its id, and when and why it was retired. */
  private updateCowboys(views: readonly CowboyView[]): void {
    for (const c of this.cowboys) {
      const v = views.find((x) => (c.id ? x.id === c.id : x.host === c.host && x.patchHash === c.hash));
      if (!v) continue;
      c.id = v.id;
      if (v.status === 'retired') {
        c.retiredAt = v.retiredAt;
        c.retiredByRevision = v.retiredByRevision;
        c.retiredReason = v.retiredReason;
      }
    }
  }

  // ── the end: the whole history ───────────────────────────────────────────────────────────

  async finalChecks(): Promise<void> {
    const t = Date.now();
    const rollouts = await this.client.rollouts();
    const details = new Map<string, { rollout: RolloutView; deploys: DeployView[] }>();
    for (const r of rollouts) details.set(r.id, await this.client.rollout(r.id));
    const deploys = new Map<string, { deploy: DeployView; rollout: RolloutView }>();
    for (const { rollout, deploys: ds } of details.values()) for (const d of ds) deploys.set(d.id, { deploy: d, rollout });
    this.updateCowboys(await this.client.cowboys());
    const leadTime = await this.client.leadTime().catch(() => null);

    // The agents' logs and state files: what really ran, and what each server really ran when.
    const lines: LogLine[] = [];
    const states = new Map<string, AgentStateFile>();
    for (const h of this.hosts.values()) {
      const file = join(h.dir, 'deploys.log');
      if (existsSync(file)) for (const l of readFileSync(file, 'utf8').split('\n')) {
        const p = parseLogLine(h.spec.host, l);
        if (p) lines.push(p);
      }
      states.set(h.spec.host, readState(h.stateDir));
      for (const f of readdirSync(h.dir)) {
        if (!f.startsWith('control.')) continue;
        const mode = readFileSync(join(h.dir, f), 'utf8').trim() as ArmMode;
        if (mode === 'fail') this.counts.failsConsumed++;
        else this.counts.hangs++;
      }
    }
    const exact = new Map<string, RunningChange[]>();
    const lenient = new Map<string, RunningChange[]>();
    for (const h of this.hosts.values()) {
      const own = states.get(h.spec.host)!;
      const done = Object.entries(own.deploys).filter(([, r]) => r.status === 'succeeded');
      // The agent's state says when a deploy made the server run its revision; rollout hears it a
      // report or a heartbeat later, so until then either revision may be what rollout believes;
      // and rollout's own stamps (transaction starts) may come a little before what they saw.
      const heard = TIMING.heartbeatMs + 700;
      const skew = 1000;
      exact.set(h.spec.host, [...h.changes, ...done.map(([id, r]) => ({ revision: r.revision, from: Date.parse(r.at) - skew, to: Date.parse(r.at) + heard, what: `deploy ${id}` }))]);
      // For retirements: a deploy may retire a cowboy when it is sent, if it then succeeds.
      lenient.set(h.spec.host, [...h.changes, ...done.map(([id, r]) => ({
        revision: r.revision, from: Math.min(deploys.get(id)?.deploy.requestedAt ?? Date.parse(r.at), Date.parse(r.at)), to: Date.parse(r.at) + heard, what: `deploy ${id}`,
      }))]);
      for (const r of Object.values(own.deploys)) {
        if (r.status === 'failed' || r.status === 'rolled-back') this.counts.deployFailures++;
        if (r.status === 'rolled-back') this.counts.rolledBack++;
      }
    }

    // Every deploy an agent ran is one rollout sent to that server, of that revision.
    const ran: RanDeploy[] = [];
    for (const l of lines.filter((x) => x.kind === 'deploy')) {
      this.counts.deploys++;
      const known = deploys.get(l.deployId);
      if (!known) this.violate('deploys', `${l.host} ran deploy ${l.deployId} of ${describeRevision(this.stable, l.value)}, which no rollout lists`);
      else if (known.deploy.host !== l.host || known.deploy.revision !== l.value) {
        this.violate('deploys', `${l.host} ran deploy ${l.deployId} of ${describeRevision(this.stable, l.value)}; rollout lists it for ${known.deploy.host}, of ${describeRevision(this.stable, known.deploy.revision)}`);
      }
      ran.push({
        id: l.deployId, host: l.host, revision: l.value, loggedAt: l.at, requestedAt: known?.deploy.requestedAt ?? null, rolloutId: known?.rollout.id ?? null,
        cause: known?.rollout.cause ?? null,
      });
    }
    this.counts.reapplies = lines.filter((x) => x.kind === 'reapply').length;

    // Check 1: no held server, and no server a hold cowboy keeps, was deployed.
    const holds = new Map([...this.hosts.values()].map((h) => [h.spec.host, h.holds]));
    for (const v of this.heldDeploysAndDeregistered(ran, holds)) this.violate('1 holds', v);

    // Check 2: cowboys retired only by their fix running, by the scan, or by an operator.
    const { how, violations } = retirements(this.stable, this.cowboys, lenient);
    for (const v of violations) this.violate('2 cowboys', v);
    for (const h of how.values()) {
      if (h === 'fix') this.counts.cowboysRetiredByFix++;
      else if (h === 'scan') this.counts.cowboysRetiredByScan++;
      else this.counts.cowboysRetiredByOperator++;
    }
    for (const r of this.refusedOnRetired) {
      if (r.life.retiredAt === null || r.life.retiredAt > r.at.answeredAt) this.violate('http', `${r.what} answered 404, but the cowboy ${r.life.hash} on ${r.life.host} was not retired then`);
    }
    // Carried cowboys go back on after a deploy, and after a rollback.
    this.checkCarried(lines, states, deploys);

    // Check 3: nothing is left out past its deadline.
    const now = Date.now();
    for (const { deploy: d, rollout: r } of deploys.values()) {
      if ((RUNNING_DEPLOY_STATUSES as readonly string[]).includes(d.status ?? '') && d.requestedAt !== null && now - d.requestedAt > TIMING.deployDeadlineS * 1000 + TIMING.deadlineSlackMs) {
        this.violate('3 deadlines', `deploy ${d.id.slice(0, 8)} to ${d.host} (rollout ${r.id.slice(0, 8)}, ${r.cause}) is still ${d.status} at the end, ${((now - d.requestedAt) / 1000).toFixed(0)} s after it was requested`);
      }
      if (d.status === 'failed' && /deadline|no report/i.test(d.outputTail ?? '')) this.counts.deadlinesHit++;
      if (d.status === 'skipped') this.counts.heldSkips++;
    }
    for (const r of rollouts) {
      // A deadline rollout enforced shows in a deploy's output or in the rollout's failure (counted once).
      if (/deadline|no report/i.test(r.failure ?? '') && !details.get(r.id)!.deploys.some((d) => d.status === 'failed' && /deadline|no report/i.test(d.outputTail ?? ''))) this.counts.deadlinesHit++;
      this.counts.rollouts++;
      if (r.status === 'succeeded') this.counts.rolloutsSucceeded++;
      if (r.status === 'failed') this.counts.rolloutsFailed++;
      if (r.status === 'cancelled') this.counts.rolloutsCancelled++;
      if (r.cause === 'catch-up') this.counts.catchUps++;
      this.counts.heldSkips += r.skipped.length;
      const ds = details.get(r.id)!.deploys;
      if (r.status === 'succeeded') {
        const bad = ds.filter((d) => !['succeeded', 'skipped', 'cancelled'].includes(d.status ?? ''));
        if (bad.length) this.violate('rollouts', `rollout ${r.id.slice(0, 8)} (${r.cause}) succeeded with deploys ${bad.map((d) => `${d.host}: ${d.status}`).join(', ')}`);
      }
    }
    // Check 4: every rollout is a promotion's, a QA tip's, an operator's, or a catch-up; one per promotion and per QA tip.
    this.checkCauses(rollouts);

    // Check 5: each deploy ran once; "running everywhere" no earlier than it was true.
    for (const v of ranTwice(lines)) this.violate('5 once', v);
    if (leadTime) this.checkLeadTime(leadTime, exact);

    const dead = await this.quiet.deadLettered();
    if (dead) this.violate('events', `${dead} event(s) were dead-lettered`);
    this.phases.checksMs += Date.now() - t;
  }

  private heldDeploysAndDeregistered(ran: readonly RanDeploy[], holds: Map<string, HoldSpan[]>): string[] {
    const out = heldDeploys(this.stable, ran, holds, this.cowboys);
    for (const d of ran) {
      const h = this.hosts.get(d.host);
      if (!h || d.requestedAt === null) continue;
      // Deregistered, and not registered again: it takes part in nothing.
      if (inSpans(h.registered, d.requestedAt) === 'no' && inSpans(h.registered, d.loggedAt) === 'no' && h.registered.some((s) => s.to && s.to.answeredAt <= d.requestedAt!)) {
        out.push(`deploy ${d.id.slice(0, 8)} of ${describeRevision(this.stable, d.revision)} to ${d.host} was requested at ${iso(d.requestedAt)}, after ${d.host} was deregistered`);
      }
    }
    return out;
  }

  /**
   * A deploy sent while a `carry` cowboy was live on its server, of a revision without its
   * fix, has the agent re-apply it: after the deploy, and after a rollback too.
   */
  private checkCarried(lines: readonly LogLine[], states: Map<string, AgentStateFile>, deploys: Map<string, { deploy: DeployView; rollout: RolloutView }>): void {
    for (const [host, state] of states) {
      for (const [id, rec] of Object.entries(state.deploys)) {
        if (rec.status !== 'succeeded' && rec.status !== 'rolled-back') continue;
        const requestedAt = deploys.get(id)?.deploy.requestedAt;
        const log = lines.filter((l) => l.host === host && l.deployId === id);
        if (!requestedAt || !log.some((l) => l.kind === 'deploy')) continue;
        const endedAt = Date.parse(rec.at);
        for (const c of this.cowboys) {
          if (c.host !== host || c.policy !== 'carry' || !liveAt(c, requestedAt) || (c.retiredAt !== null && c.retiredAt <= endedAt + 2000)) continue;
          if (fixesAt(c, requestedAt).some((f) => f !== null && this.stable.contains(rec.revision, f))) continue;
          const rollbackAt = log.find((l) => l.kind === 'rollback')?.at ?? 0;
          const again = log.some((l) => l.kind === 'reapply' && l.value === c.hash && (rec.status === 'succeeded' || l.at >= rollbackAt));
          if (!again) {
            this.violate('2 carry', `deploy ${id.slice(0, 8)} of ${describeRevision(this.stable, rec.revision)} to ${host} ${rec.status === 'succeeded' ? 'succeeded' : 'was rolled back'} without re-applying carried cowboy ${c.hash}`);
          }
        }
      }
    }
  }

  private checkCauses(rollouts: readonly RolloutView[]): void {
    const promoted = new Set(this.promotions.map((p) => p.sha));
    const tips = new Set(this.qaTips.map((p) => p.sha));
    const ours = new Set(this.manuals.flatMap((m) => (m.id ? [m.id] : [])));
    const perSha = new Map<string, number>();
    for (const r of rollouts) {
      const what = `rollout ${r.id.slice(0, 8)} (${r.cause} → ${describeRevision(this.stable, r.toSha)}, ${r.status})`;
      if (r.cause === 'promoted' || r.cause === 'qa-tip') {
        if (!(r.cause === 'promoted' ? promoted : tips).has(r.toSha ?? '')) this.violate('4 causes', `${what}: no ${r.cause === 'promoted' ? 'promotion' : 'QA tip'} was published for that revision (a catch-up must say so)`);
        const k = `${r.cause}:${r.toSha}`;
        perSha.set(k, (perSha.get(k) ?? 0) + 1);
        if (perSha.get(k) === 2) this.violate('4 causes', `${what}: a second ${r.cause} rollout of the same revision (a catch-up must say so)`);
      } else if (r.cause === 'manual') {
        if (!ours.has(r.id)) this.violate('4 causes', `${what}: no operator asked for it`);
      } else if (r.cause !== 'catch-up') this.violate('4 causes', `${what}: unknown cause`);
    }
  }

  private checkLeadTime(leadTime: Awaited<ReturnType<RolloutClient['leadTime']>>, changes: Map<string, RunningChange[]>): void {
    const production: ProductionHistory[] = [...this.hosts.values()].filter((h) => h.spec.environment === 'lpnet').map((h) => ({
      host: h.spec.host, registered: h.registered, holds: h.holds, cowboys: this.cowboys.filter((c) => c.host === h.spec.host), changes: changes.get(h.spec.host) ?? [],
    }));
    const bySha = new Map(leadTime.map((l) => [l.sha, l]));
    for (const r of this.stable.revisions) {
      const l = bySha.get(r.sha);
      if (!l || l.deployedAt === null) continue;
      this.counts.revisionsRunningEverywhere++;
      if (r.revno > this.promoted) {
        this.violate('5 lead time', `r${r.revno} has deployedAt ${iso(l.deployedAt)} though it was never promoted`);
        continue;
      }
      const why = notEverywhereAt(this.stable, r.sha, l.deployedAt, production);
      if (why) this.violate('5 lead time', `r${r.revno} "runs everywhere" from ${iso(l.deployedAt)}, but then ${why}`);
    }
  }

  async stop(): Promise<void> {
    const t = Date.now();
    for (const c of this.cleanups.reverse()) await c().catch(() => undefined);
    this.phases.stopMs = Date.now() - t;
  }
}

/** One run. Never throws: a failure is a violation. */
export async function runOne(seed: number, ctx: RunContext): Promise<RunResult> {
  const started = Date.now();
  const run = new RolloutRun(seed, ctx);
  try {
    await run.start();
    if (!run.violations.length || ctx.keepGoing) await run.runSteps();
    await run.finalChecks();
  } catch (e) {
    run.violations.push(`seed ${seed}: the run stopped: ${(e as Error).message}`);
  } finally {
    await run.stop();
    for (const c of children) if (c.proc.exitCode !== null || c.proc.signalCode !== null) children.delete(c);
  }
  const keep = run.violations.length > 0 || Boolean(process.env.KEEP_TEST_DIRS);
  if (!keep) rmSync(run.dir, { recursive: true, force: true });
  return { seed, violations: run.violations, counts: run.counts, steps: stepCounts(run.scenario.steps), ms: Date.now() - started, phases: run.phases, dir: keep ? run.dir : null };
}

/** rollout's tables, as JSON, for a failing run's post-mortem. */
async function dumpState(pg: Client, file: string): Promise<void> {
  const tables = ['servers', 'rollouts', 'deploys', 'server_holds', 'cowboys', 'lead_times', 'known_revisions', 'production_content', 'track_baselines'];
  const out: Record<string, unknown> = {};
  for (const t of tables) out[`rollout.${t}`] = (await pg.query(`SELECT * FROM rollout.${t}`).catch((e: Error) => ({ rows: [`${e.message}`] }))).rows;
  out['rollout.outbox'] = (await pg.query(`SELECT seq, type, envelope->'data' AS data, created_at, published_at FROM rollout.outbox ORDER BY seq`).catch(() => ({ rows: [] }))).rows;
  writeFileSync(file, JSON.stringify(out, null, 1));
}

// ── many runs ────────────────────────────────────────────────────────────────────────────────

export async function runRollout(opts: RolloutRunOptions): Promise<RolloutSummary> {
  const started = Date.now();
  const infra = opts.infra ?? { databaseUrl: process.env.DATABASE_URL ?? '', natsUrl: process.env.NATS_URL ?? '' };
  if (!infra.databaseUrl || !infra.natsUrl) throw new Error('the rollout run needs DATABASE_URL and NATS_URL');
  const ctx: RunContext = {
    infra, scenario: { ...(opts.steps ? { steps: opts.steps } : {}), ...(opts.agents ? { agents: opts.agents } : {}), tame: opts.tame ?? false }, keepGoing: opts.keepGoing ?? false,
    quiesceTimeoutMs: opts.quiesceTimeoutMs ?? 60_000, settleMs: opts.settleMs ?? 8_000, tame: opts.tame ?? false, log: opts.log,
  };
  const results: RunResult[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < opts.runs) {
      const i = next++;
      const r = await runOne(opts.seed + i, ctx);
      results.push(r);
      done++;
      const c = r.counts;
      const p = r.phases;
      opts.log(
        `rollout: run ${done}/${opts.runs} seed ${r.seed} ${r.violations.length ? `FAILED (${r.violations.length} violations)` : 'ok'} in ${(r.ms / 1000).toFixed(1)} s`
          + ` (start ${(p.startMs / 1000).toFixed(1)} [rollout ${(p.serviceMs / 1000).toFixed(1)}, agents ${(p.agentsMs / 1000).toFixed(1)}], steps ${(p.stepsMs / 1000).toFixed(1)}, quiet ${(p.quiesceMs / 1000).toFixed(1)}, checks ${(p.checksMs / 1000).toFixed(1)}, stop ${(p.stopMs / 1000).toFixed(1)} s;`
          + ` ${Object.values(r.steps).reduce((a, b) => a + b, 0)} steps, ${c.rollouts} rollouts, ${c.deploys} deploys, ${c.catchUps} catch-ups, ${c.kills} kills)`,
      );
      if (r.violations.length) {
        for (const v of r.violations.slice(0, 12)) opts.log(`  ${v}`);
        if (r.violations.length > 12) opts.log(`  … and ${r.violations.length - 12} more`);
        opts.log(`  kept: ${r.dir} (logs in ${r.dir}/logs, agents' files in ${r.dir}/hosts, rollout's tables in ${r.dir}/state.json)`);
        opts.log(`  replay: ${replayCommand(r.seed, opts)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel, opts.runs)) }, worker));
  results.sort((a, b) => a.seed - b.seed);
  const counts = emptyCounts();
  const steps = Object.fromEntries(STEP_KINDS.map((k) => [k, 0])) as Record<StepKind, number>;
  const phaseSums: Record<keyof Phases, number> = { startMs: 0, serviceMs: 0, agentsMs: 0, stepsMs: 0, quiesceMs: 0, checksMs: 0, stopMs: 0 };
  const byCheck: Record<string, number> = {};
  for (const r of results) {
    for (const n of COUNT_NAMES) counts[n] += r.counts[n];
    for (const k of STEP_KINDS) steps[k] += r.steps[k];
    for (const k of Object.keys(phaseSums) as (keyof Phases)[]) phaseSums[k] += r.phases[k];
    for (const v of r.violations) {
      const check = /check ([^:]+):/.exec(v)?.[1] ?? 'run';
      byCheck[check] = (byCheck[check] ?? 0) + 1;
    }
  }
  const n = Math.max(1, results.length);
  const failed = results.filter((r) => r.violations.length);
  return {
    name: 'rollout', runs: results.length, violations: results.reduce((s, r) => s + r.violations.length, 0), failedRuns: failed.length, seed: opts.seed,
    ms: Date.now() - started, parallel: opts.parallel, secondsPerRun: Number((results.reduce((s, r) => s + r.ms, 0) / n / 1000).toFixed(2)),
    phases: Object.fromEntries(Object.entries(phaseSums).map(([k, v]) => [k, Number((v / n / 1000).toFixed(2))])) as Record<keyof Phases, number>,
    counts, steps, violationsByCheck: byCheck,
    failures: failed.slice(0, 20).map((r) => ({ seed: r.seed, replay: replayCommand(r.seed, opts), dir: r.dir, violations: r.violations.slice(0, 20) })),
  };
}

/** Postgres and NATS as `npm test` finds them (environment, a local server, or one it starts). */
async function resolveInfra(log: (line: string) => void): Promise<{ databaseUrl: string; natsUrl: string }> {
  if (process.env.DATABASE_URL && process.env.NATS_URL) return { databaseUrl: process.env.DATABASE_URL, natsUrl: process.env.NATS_URL };
  // tools/infra.mjs is an ES module; a real dynamic import keeps this file CommonJS.
  const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<{
    ensurePostgres(log: (l: string) => void): Promise<{ url: string; source: string }>;
    ensureNats(log: (l: string) => void): Promise<{ url: string; source: string }>;
  }>;
  const infra = await importEsm(pathToFileURL(join(ROOT, 'tools', 'infra.mjs')).href);
  const [pg, nats] = [await infra.ensurePostgres(log), await infra.ensureNats(log)];
  log(`rollout: Postgres from ${pg.source}, NATS from ${nats.source}`);
  return { databaseUrl: process.env.DATABASE_URL ?? pg.url, natsUrl: process.env.NATS_URL ?? nats.url };
}

/**
 * `npm run chaos -- --domain rollout --runs N [--seed S] [--parallel K] [--steps a-b] [--agents a-b] [--keep-going] [--tame]`:
 * progress lines, then the summary as one JSON line, last; exits 1 on any violation.
 */
export async function rolloutCli(args: string[]): Promise<void> {
  const value = (name: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
  const seed = value('seed') !== undefined ? Number(value('seed')) : Math.floor(Math.random() * 1_000_000_000);
  const runs = Number(value('runs') ?? 20);
  const parallel = Number(value('parallel') ?? 2);
  const range = (name: string): [number, number] | undefined => {
    const v = value(name)?.split('-').map(Number);
    return v ? [v[0], v[1] ?? v[0]] : undefined;
  };
  const steps = range('steps');
  const agents = range('agents');
  const badRange = [steps, agents].some((r) => r && !(Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[0] >= 1 && r[0] <= r[1]));
  if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(parallel) || parallel < 1 || badRange) {
    throw new Error('usage: --domain rollout --runs N [--seed S] [--parallel K] [--steps a-b] [--agents a-b] [--keep-going] [--tame]');
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`rollout: seed ${seed}, ${runs} runs, ${parallel} at a time (run i alone: --runs 1 --seed <seed + i>)`);
  killChildrenOnSignals();
  const infra = await resolveInfra(log);
  const summary = await runRollout({
    runs, seed, parallel, log, infra, keepGoing: args.includes('--keep-going'), tame: args.includes('--tame'), ...(steps ? { steps } : {}), ...(agents ? { agents } : {}),
  });
  log(`rollout: ${summary.runs} runs in ${(summary.ms / 1000).toFixed(0)} s (${summary.secondsPerRun} s per run, ${parallel} at a time); ${summary.failedRuns} failed, ${summary.violations} violations`);
  log(JSON.stringify(summary));
  process.exit(summary.violations > 0 ? 1 : 0);
}

