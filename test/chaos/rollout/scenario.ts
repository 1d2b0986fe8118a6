/**
 * Random operator sequences for the rollout run, made from one seeded `Rng` (the histories
 * run's), so a seed replays the same servers, revisions and steps. The generator follows a
 * small picture of the world so every step makes sense when it is taken: only a held server is
 * released, only a stopped agent restarted, promotions go forward only, a manual rollout goes
 * back or stays. A cowboy's fix may be a revision that has landed, or one that lands later,
 * directly or as a commit brought by a merge: such a fix is planned when the cowboy is, and the
 * next landing makes it real (the last steps land whatever is still planned).
 *
 * What depends on the run (which open rollout is cancelled, what a drifted agent is made to
 * run) is left to the runner, as a `pick` number or a kind of drift.
 *
 * A `tame` scenario keeps to what rollout handled before issue 14 (no release, restart, new
 * agent, deregistration, cancel or scan removal; cowboys only on production and fixed by
 * first-parent revisions; failures only on QA; one batch, one production wave; manual rollouts
 * only redeploy production): the harness's own self-check, which should pass on such a build.
 */
import { Rng } from '../histories/generator';
import { type CowboyPolicy, type Revision, Stable } from './model';

export type Environment = 'lpnet' | 'qastaging';

export interface AgentSpec {
  host: string;
  environment: Environment;
  /** AGENT_WAVE, when set. */
  wave: string | null;
  /** What it runs when it first starts (null: nothing yet). */
  initialRevno: number | null;
}

/** How a cowboy's fix stands on stable when it is named. */
export type FixKind = 'landed' | 'landed-brought' | 'future' | 'future-brought';

/** What the next deploy of a server does: fail (rolled back), hang past the agent's timeout, or hang in its rollback too (past rollout's deadline). */
export type ArmMode = 'fail' | 'hang' | 'hang-rollback';

export type Drift = { kind: 'older' } | { kind: 'unknown'; sha: string };

export type StepBody =
  | { kind: 'land'; revisions: Revision[] }
  | { kind: 'qa-tip'; revno: number }
  | { kind: 'promote'; revno: number; from: number }
  | { kind: 'hold'; host: string }
  | { kind: 'release'; host: string }
  | { kind: 'cowboy'; ref: number; hosts: string[]; hash: string; policy: CowboyPolicy; fixedBy: string | null; fix: FixKind | null }
  | { kind: 'cowboy-fix'; ref: number; fixedBy: string; fix: FixKind }
  | { kind: 'cowboy-retire'; ref: number }
  | { kind: 'scan-add'; host: string; hash: string }
  | { kind: 'scan-remove'; host: string; hash: string }
  | { kind: 'manual'; revno: number; hosts: string[] | null }
  | { kind: 'cancel' | 'pause' | 'resume'; pick: number }
  | { kind: 'arm'; host: string; mode: ArmMode }
  | { kind: 'kill'; host: string; forGood: boolean }
  | { kind: 'restart'; host: string; drift: Drift | null }
  | { kind: 'register'; agent: AgentSpec }
  | { kind: 'deregister'; host: string }
  | { kind: 'checkpoint'; final: boolean };

/** One operator step, and how long the runner waits after it. */
export type Step = StepBody & { pauseMs: number };

export type StepKind = StepBody['kind'];

export const STEP_KINDS: readonly StepKind[] = [
  'land', 'qa-tip', 'promote', 'hold', 'release', 'cowboy', 'cowboy-fix', 'cowboy-retire', 'scan-add', 'scan-remove', 'manual', 'cancel', 'pause',
  'resume', 'arm', 'kill', 'restart', 'register', 'deregister', 'checkpoint',
];

export interface Scenario {
  agents: AgentSpec[];
  /** ROLLOUT_BATCH_SIZE. */
  batchSize: number;
  /** r1, which every first agent runs, QA runs and production was promoted to before the steps. */
  baseline: Revision;
  steps: Step[];
  /** stable as it is once every step has landed. */
  stable: Stable;
}

export interface ScenarioOptions {
  /** Operator steps (checkpoints and the closing steps aside), inclusive range. */
  steps: [number, number];
  /** Agents at the start, inclusive range; registrations mid-run go up to `maxAgents`. */
  agents: [number, number];
  maxAgents: number;
  /** Pauses after a step: mostly short, some long enough for a rollout to move on. */
  pauses: { shortMs: number; mediumMs: number; longMs: number };
  /** Only what rollout handled before issue 14 (see above). */
  tame: boolean;
}

export const DEFAULT_SCENARIO: ScenarioOptions = {
  steps: [20, 40],
  agents: [3, 5],
  maxAgents: 8,
  // Long enough now and then for a rollout to move on (a deploy takes well under a second; a
  // hang, the agent's timeout and rollout's deadline, seconds), and no longer: they are wall time.
  pauses: { shortMs: 150, mediumMs: 700, longMs: 2000 },
  tame: false,
};

export function sha(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += rng.int(0, 0xffffffff).toString(16).padStart(8, '0');
  return s;
}

function patchHash(rng: Rng): string {
  return sha(rng).slice(0, 12);
}

interface HostState {
  spec: AgentSpec;
  alive: boolean;
  forGood: boolean;
  deregistered: boolean;
  held: boolean;
  scan: string[];
}

/** The world as the generator pictures it while it plans. */
class World {
  readonly stable = new Stable();
  readonly hosts = new Map<string, HostState>();
  qaTip = 1;
  promoted = 1;
  /** Fixes named before they land: as the next revisions of their own, or brought by the next merge. */
  readonly plannedDirect: string[] = [];
  readonly plannedBrought: string[] = [];
  readonly cowboys: { ref: number; hosts: string[]; fixed: boolean }[] = [];
  private n = { app: 0, qas: 0 };
  killedForGood = 0;
  deregistrations = 0;

  constructor(
    private readonly rng: Rng,
    readonly tame: boolean,
  ) {}

  newAgent(environment: Environment, initialRevno: number | null): AgentSpec {
    const host = environment === 'lpnet' ? `app${++this.n.app}.lpnet` : `qas${++this.n.qas}.qastaging`;
    const x = this.rng.next();
    const wave = environment === 'lpnet' ? (x < 0.35 ? 'lpnet' : x < 0.5 && !this.tame ? 'lpnet-late' : null) : null;
    const spec: AgentSpec = { host, environment, wave, initialRevno };
    this.hosts.set(host, { spec, alive: true, forGood: false, deregistered: false, held: false, scan: [] });
    return spec;
  }

  where(pred: (h: HostState) => boolean): HostState[] {
    return [...this.hosts.values()].filter(pred);
  }

  /** Hosts rollout knows and an operator can name. */
  registered(): HostState[] {
    return this.where((h) => !h.deregistered);
  }
}

/**
 * A scenario for one run. Everything random comes from `rng`; the same seed gives the same
 * scenario.
 */
export function generateScenario(rng: Rng, options: Partial<ScenarioOptions> = {}): Scenario {
  const o: ScenarioOptions = { ...DEFAULT_SCENARIO, ...options, pauses: { ...DEFAULT_SCENARIO.pauses, ...options.pauses } };
  const w = new World(rng, o.tame);
  const baseline: Revision = { revno: 1, sha: sha(rng), brings: [] };
  w.stable.land(baseline);

  const agents: AgentSpec[] = [];
  const count = rng.int(o.agents[0], Math.min(o.agents[1], o.maxAgents));
  const qa = count >= 4 && rng.chance(0.4) ? 2 : 1;
  for (let i = 0; i < count; i++) agents.push(w.newAgent(i < qa ? 'qastaging' : 'lpnet', 1));

  const pause = (): number => {
    const x = rng.next();
    if (x < 0.6) return rng.int(0, o.pauses.shortMs);
    if (x < 0.9) return rng.int(o.pauses.shortMs, o.pauses.mediumMs);
    return rng.int(o.pauses.mediumMs, o.pauses.longMs);
  };
  const steps: Step[] = [];
  const add = (s: StepBody, pauseMs = pause()) => steps.push({ ...s, pauseMs } as Step);

  const total = rng.int(o.steps[0], o.steps[1]);
  const midCheckpoint = rng.int(Math.floor(total / 3), Math.ceil((2 * total) / 3));
  for (let i = 0; i < total; i++) {
    if (i === midCheckpoint) add({ kind: 'checkpoint', final: false }, 0);
    const s = pickStep(rng, w, o);
    if (!s) continue;
    // Right behind a rollout's start, an operator or a dying server catches it mid-way.
    const next = s.kind === 'promote' || s.kind === 'qa-tip' || s.kind === 'manual' ? followUp(rng, w) : null;
    add(s, next ? rng.int(0, 400) : pause());
    if (next) add(next);
  }
  for (const s of closingSteps(rng, w)) add(s, rng.int(0, o.pauses.shortMs));
  add({ kind: 'checkpoint', final: true }, 0);
  const batchSize = rng.int(0, 2);
  return { agents, batchSize: o.tame ? 0 : batchSize, baseline, steps, stable: w.stable };
}

/** Lands 1–3 revisions: first the planned fixes (a merge brings the planned branch commits), then new ones, some merges. */
function land(rng: Rng, w: World, flush = false): StepBody | null {
  const revisions: Revision[] = [];
  const next = () => w.stable.tip + revisions.length + 1;
  const direct = w.plannedDirect.splice(0, flush ? w.plannedDirect.length : rng.int(1, 2));
  for (const s of direct) revisions.push({ revno: next(), sha: s, brings: [] });
  if (w.plannedBrought.length && (flush || rng.chance(0.7))) {
    const brought = w.plannedBrought.splice(0, w.plannedBrought.length);
    revisions.push({ revno: next(), sha: sha(rng), brings: [...brought, ...Array.from({ length: rng.int(0, 2) }, () => sha(rng))] });
  }
  const extra = flush ? 0 : Math.max(0, rng.int(1, 3) - revisions.length);
  for (let i = 0; i < extra; i++) {
    revisions.push({ revno: next(), sha: sha(rng), brings: rng.chance(0.3) ? Array.from({ length: rng.int(1, 3) }, () => sha(rng)) : [] });
  }
  if (revisions.length === 0) return null;
  for (const r of revisions) w.stable.land(r);
  return { kind: 'land', revisions };
}

/** A fix for a cowboy: landed (first-parent or brought by a merge) or to land later (directly or in a merge). */
function fixFor(rng: Rng, w: World): { fixedBy: string; fix: FixKind } {
  const brought = w.stable.revisions.flatMap((r) => r.brings);
  const x = rng.next();
  if (x < 0.3) return { fixedBy: rng.pick(w.stable.revisions).sha, fix: 'landed' };
  if (x < 0.42 && brought.length && !w.tame) return { fixedBy: rng.pick(brought), fix: 'landed-brought' };
  const s = sha(rng);
  if (x < 0.72 || w.tame) {
    w.plannedDirect.push(s);
    return { fixedBy: s, fix: 'future' };
  }
  w.plannedBrought.push(s);
  return { fixedBy: s, fix: 'future-brought' };
}

function pickStep(rng: Rng, w: World, o: ScenarioOptions): StepBody | null {
  const registered = w.registered();
  const alive = w.where((h) => h.alive && !h.deregistered);
  const aliveProduction = alive.filter((h) => h.spec.environment === 'lpnet');
  const stopped = w.where((h) => !h.alive && !h.forGood);
  const production = registered.filter((h) => h.spec.environment === 'lpnet');
  const tame = w.tame ? 0 : 1;
  const weights: [StepKind, number][] = [
    ['land', 12], ['qa-tip', 7], ['promote', w.stable.tip > w.promoted ? 10 : 0],
    ['hold', registered.some((h) => !h.held) ? 6 : 0], ['release', registered.some((h) => h.held) ? 6 * tame : 0],
    ['cowboy', (w.tame ? production : registered).length ? 6 : 0], ['cowboy-fix', w.cowboys.length ? 3 : 0], ['cowboy-retire', w.cowboys.length ? 1 * tame : 0],
    ['scan-add', alive.length ? 3 : 0], ['scan-remove', w.where((h) => h.scan.length > 0).length ? 3 * tame : 0],
    ['manual', 5], ['cancel', 3 * tame], ['pause', 3], ['resume', 2], ['arm', (w.tame ? alive.filter((h) => h.spec.environment === 'qastaging') : alive).length ? 6 : 0],
    ['kill', aliveProduction.length > 1 ? 3 * tame : 0], ['restart', stopped.length || registered.some((h) => h.alive && h.deregistered) ? 5 * tame : 0],
    ['register', w.hosts.size < o.maxAgents ? 2 * tame : 0], ['deregister', w.deregistrations < 1 && registered.length > 2 ? 1 * tame : 0],
  ];
  const sum = weights.reduce((s, [, n]) => s + n, 0);
  let x = rng.next() * sum;
  let kind: StepKind = 'land';
  for (const [k, n] of weights) {
    if (x < n) {
      kind = k;
      break;
    }
    x -= n;
  }

  switch (kind) {
    case 'land':
      return land(rng, w);
    case 'qa-tip': {
      if (w.stable.tip <= w.qaTip) return land(rng, w);
      w.qaTip = rng.chance(0.7) ? w.stable.tip : rng.int(w.qaTip + 1, w.stable.tip);
      return { kind: 'qa-tip', revno: w.qaTip };
    }
    case 'promote': {
      const from = w.promoted;
      w.promoted = rng.chance(0.5) ? w.stable.tip : rng.int(from + 1, w.stable.tip);
      return { kind: 'promote', revno: w.promoted, from };
    }
    case 'hold': {
      const h = rng.pick(registered.filter((x) => !x.held));
      h.held = true;
      return { kind: 'hold', host: h.spec.host };
    }
    case 'release': {
      const h = rng.pick(registered.filter((x) => x.held));
      h.held = false;
      return { kind: 'release', host: h.spec.host };
    }
    case 'cowboy': {
      const hosts = rng.shuffle(w.tame ? production : registered).slice(0, rng.chance(0.25) && registered.length > 1 ? 2 : 1).map((h) => h.spec.host);
      const ref = w.cowboys.length;
      const withFix = rng.chance(0.85);
      const fix = withFix ? fixFor(rng, w) : null;
      w.cowboys.push({ ref, hosts, fixed: withFix });
      return { kind: 'cowboy', ref, hosts, hash: patchHash(rng), policy: rng.chance(0.6) ? 'hold' : 'carry', fixedBy: fix?.fixedBy ?? null, fix: fix?.fix ?? null };
    }
    case 'cowboy-fix': {
      const c = rng.pick(w.cowboys);
      c.fixed = true;
      return { kind: 'cowboy-fix', ref: c.ref, ...fixFor(rng, w) };
    }
    case 'cowboy-retire':
      return { kind: 'cowboy-retire', ref: rng.pick(w.cowboys).ref };
    case 'scan-add': {
      const h = rng.pick(alive);
      const hash = patchHash(rng);
      h.scan.push(hash);
      return { kind: 'scan-add', host: h.spec.host, hash };
    }
    case 'scan-remove': {
      const h = rng.pick(w.where((x) => x.scan.length > 0));
      const hash = h.scan.splice(rng.int(0, h.scan.length - 1), 1)[0];
      return { kind: 'scan-remove', host: h.spec.host, hash };
    }
    case 'manual': {
      if (w.tame) return { kind: 'manual', revno: w.promoted, hosts: null };
      const qaHosts = registered.filter((h) => h.spec.environment === 'qastaging');
      if (qaHosts.length && rng.chance(0.25)) {
        return { kind: 'manual', revno: rng.int(1, w.qaTip), hosts: [rng.pick(qaHosts).spec.host] };
      }
      // Back to an older revision (a rollback), or the one production has (a redeploy).
      const revno = rng.chance(0.3) ? w.promoted : rng.int(1, w.promoted);
      if (production.length === 0 || rng.chance(0.35)) return { kind: 'manual', revno, hosts: null };
      return { kind: 'manual', revno, hosts: rng.shuffle(production).slice(0, rng.int(1, Math.min(2, production.length))).map((h) => h.spec.host) };
    }
    case 'cancel':
    case 'pause':
    case 'resume':
      return { kind, pick: rng.int(0, 1000) };
    case 'arm': {
      const x = rng.next();
      if (w.tame) return { kind: 'arm', host: rng.pick(alive.filter((h) => h.spec.environment === 'qastaging')).spec.host, mode: x < 0.6 ? 'fail' : 'hang' };
      return { kind: 'arm', host: rng.pick(alive).spec.host, mode: x < 0.55 ? 'fail' : x < 0.85 ? 'hang' : 'hang-rollback' };
    }
    case 'kill':
      return kill(rng, w);
    case 'restart': {
      const h = rng.pick([...stopped, ...registered.filter((x) => x.alive && x.deregistered)]);
      const back = !h.alive;
      h.alive = true;
      h.deregistered = false;
      const drift: Drift | null = back && rng.chance(0.5) ? (rng.chance(0.7) ? { kind: 'older' } : { kind: 'unknown', sha: sha(rng) }) : null;
      return { kind: 'restart', host: h.spec.host, drift };
    }
    case 'register': {
      const environment: Environment = rng.chance(0.75) ? 'lpnet' : 'qastaging';
      const initial = rng.chance(0.5) ? null : rng.int(1, w.stable.tip);
      return { kind: 'register', agent: w.newAgent(environment, initial) };
    }
    case 'deregister': {
      const h = rng.pick(registered);
      h.deregistered = true;
      w.deregistrations++;
      return { kind: 'deregister', host: h.spec.host };
    }
    default:
      return null;
  }
}

/** Kills an agent (keeping one production agent up), now and then for good. */
function kill(rng: Rng, w: World): StepBody | null {
  const alive = w.where((h) => h.alive && !h.deregistered);
  const aliveProduction = alive.filter((h) => h.spec.environment === 'lpnet');
  const candidates = alive.filter((x) => x.spec.environment === 'qastaging' || aliveProduction.length > 1);
  if (candidates.length === 0) return null;
  const h = rng.pick(candidates);
  const forGood = w.killedForGood === 0 && rng.chance(0.2);
  h.alive = false;
  h.forGood = forGood;
  if (forGood) w.killedForGood++;
  return { kind: 'kill', host: h.spec.host, forGood };
}

/** Sometimes, right after a rollout starts: cancel or pause it, or kill a server mid-deploy (rollout's deadline then fails it). */
function followUp(rng: Rng, w: World): StepBody | null {
  if (w.tame || !rng.chance(0.35)) return null;
  const x = rng.next();
  if (x < 0.35) return { kind: 'cancel', pick: rng.int(0, 1000) };
  if (x < 0.65) return { kind: 'pause', pick: rng.int(0, 1000) };
  return kill(rng, w);
}

/** Before the last checkpoint: every planned fix lands, stopped agents come back, QA and production move on. */
function closingSteps(rng: Rng, w: World): StepBody[] {
  const out: StepBody[] = [];
  if (w.plannedDirect.length || w.plannedBrought.length) out.push(land(rng, w, true)!);
  for (const h of w.where((x) => !x.alive && !x.forGood)) {
    h.alive = true;
    h.deregistered = false;
    out.push({ kind: 'restart', host: h.spec.host, drift: null });
  }
  for (const h of w.where((x) => x.held && !x.deregistered)) {
    if (!rng.chance(0.5) || w.tame) continue;
    h.held = false;
    out.push({ kind: 'release', host: h.spec.host });
  }
  for (const h of w.where((x) => x.scan.length > 0 && x.alive)) {
    if (!rng.chance(0.5) || w.tame) continue;
    for (const hash of h.scan.splice(0)) out.push({ kind: 'scan-remove', host: h.spec.host, hash });
  }
  if (w.stable.tip > w.qaTip) {
    w.qaTip = w.stable.tip;
    out.push({ kind: 'qa-tip', revno: w.qaTip });
  }
  if (w.stable.tip > w.promoted && rng.chance(0.7)) {
    const from = w.promoted;
    w.promoted = w.stable.tip;
    out.push({ kind: 'promote', revno: w.promoted, from });
  }
  return out;
}

/** Steps by kind, for the summary. */
export function stepCounts(steps: readonly Step[]): Record<StepKind, number> {
  const out = Object.fromEntries(STEP_KINDS.map((k) => [k, 0])) as Record<StepKind, number>;
  for (const s of steps) out[s.kind]++;
  return out;
}
