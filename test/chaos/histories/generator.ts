/**
 * Random but replayable git histories, made with the real git CLI, and the scenario fed to
 * Runway on top of them: which commits buildbot reports (collapsed, duplicated, out of order),
 * which QA marks are made, when promotion is locked, and security fixes with their merge-backs.
 *
 * Everything random comes from one seeded `Rng`, and every commit's author and committer dates
 * come from the seed and a counter, so a seed replays the same history (and the same shas, as
 * long as Runway's own promotions come out the same). Files are unique per commit, so nothing
 * ever conflicts: promotion never has a reason to hold.
 *
 * The generator keeps its own record of what it did (`HistoryRecord`): each first-parent commit
 * of `stable` with its revno, the paths it changed against its first parent and whether that is a
 * DB revision, the feature-branch commits behind each merge, and each security fix with the
 * first-parent commit that merges it back and how. The model (model.ts) checks that record
 * against git, and Runway against both.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type GitRead, isAncestor, isSchemaPatch, passes, type QaModel, type QaStatus } from './model';

// ── randomness ─────────────────────────────────────────────────────────────────────────────

/** mulberry32: small, fast, and the same on every platform. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[Math.floor(this.next() * items.length)];
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

// ── git ────────────────────────────────────────────────────────────────────────────────────

/** The environment every git command of a run gets: no system or user configuration. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GIT_')) delete env[k];
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...extra };
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
  ) {
    super(message);
  }
}

/** Runs git with `prefix` (e.g. `-C <dir>` or `--git-dir <dir>`); rejects on a non-zero exit. */
export function gitRunner(prefix: string[], env: () => NodeJS.ProcessEnv = () => gitEnv()): (args: string[], input?: string) => Promise<string> {
  return (args, input) =>
    new Promise((resolve, reject) => {
      const child = execFile('git', [...prefix, ...args], { env: env(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) {
          const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
          reject(new GitError(`git ${args.join(' ')}: ${String(stderr || err.message).trim().slice(0, 1000)}`, code));
        } else resolve(stdout);
      });
      if (input !== undefined) child.stdin?.end(input);
    });
}

/** Reads the bare remote (for the model and the checks). */
export function remoteReader(remote: string): GitRead {
  return gitRunner(['--git-dir', remote]);
}

// ── the record ─────────────────────────────────────────────────────────────────────────────

export type StableOpKind = 'initial' | 'plain' | 'schema' | 'feature' | 'revert' | 'merge-back-ancestry' | 'merge-back-cherry-pick';

export interface StableCommit {
  revno: number;
  sha: string;
  round: number;
  kind: StableOpKind;
  /** The full message, as git holds it. */
  message: string;
  /** Paths changed against the first parent, as the generator made them. */
  files: string[];
  db: boolean;
  /** For a merged feature branch: its commits, oldest first, and where it was forked. */
  branch?: { name: string; commits: string[]; forkedAt: number; schemaPatches: number };
  /** For a revert: the revno reverted. */
  reverts?: number;
  /** Security fixes this commit is the first to contain, and how. */
  mergesBack: { fix: string; how: 'ancestry' | 'patch-id' }[];
}

export interface SecurityFix {
  sha: string;
  round: number;
  files: string[];
  db: boolean;
}

export interface HistoryRecord {
  stable: StableCommit[];
  fixes: SecurityFix[];
  /** Every commit the generator made (first-parent, branch, fixes, rewritten). */
  commits: number;
  schemaPatches: number;
  schemaPatchesInBranches: number;
  merges: number;
  reverts: number;
  revertsOfSchemaPatches: number;
}

export interface RoundResult {
  /** New first-parent commits of stable, oldest first. */
  stable: StableCommit[];
  fix: SecurityFix | null;
}

export interface GeneratorOptions {
  /** Soft cap on commits in the whole run. */
  maxCommits: number;
  /** Operations on stable per round. */
  opsPerRound: [number, number];
}

const DEFAULTS: GeneratorOptions = { maxCommits: 40, opsPerRound: [1, 4] };

/**
 * Builds the history in `<dir>/remote.git` (bare, what Runway reads and pushes to) through a
 * working clone in `<dir>/work`.
 */
export class HistoryGenerator {
  readonly remote: string;
  readonly work: string;
  readonly record: HistoryRecord = { stable: [], fixes: [], commits: 0, schemaPatches: 0, schemaPatchesInBranches: 0, merges: 0, reverts: 0, revertsOfSchemaPatches: 0 };
  private readonly opts: GeneratorOptions;
  private readonly git: (args: string[], input?: string) => Promise<string>;
  private tick = 0;
  private readonly dateBase: number;
  /** Paths present on stable's tip. */
  private readonly onStable = new Set<string>();
  private readonly reverted = new Set<number>();
  private readonly mergedBack = new Set<string>();
  private n = { module: 0, patch: 0, feature: 0, fix: 0 };

  constructor(
    readonly dir: string,
    private readonly rng: Rng,
    seed: number,
    opts: Partial<GeneratorOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    this.remote = join(dir, 'remote.git');
    this.work = join(dir, 'work');
    // A date in 2024 picked by the seed; each commit one minute after the last.
    this.dateBase = 1_704_067_200 + (Math.abs(seed) % 10_000) * 86_400;
    this.git = gitRunner(['-C', this.work], () => {
      const at = `@${this.dateBase + this.tick * 60} +0000`;
      return gitEnv({ GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at });
    });
  }

  /** The date Runway's own commits get in this run (fixed, so its merge shas replay too). */
  get runwayCommitDate(): string {
    return `@${this.dateBase - 86_400} +0000`;
  }

  get tip(): StableCommit {
    return this.record.stable[this.record.stable.length - 1];
  }

  private async commitGit(args: string[]): Promise<string> {
    this.tick++;
    await this.git(args);
    this.record.commits++;
    return (await this.git(['rev-parse', 'HEAD'])).trim();
  }

  private write(path: string, content: string): void {
    const full = join(this.work, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }

  private async commitFiles(message: string, files: Record<string, string>): Promise<string> {
    for (const [p, c] of Object.entries(files)) this.write(p, c);
    await this.git(['add', '-A']);
    return this.commitGit(['commit', '--quiet', '--no-verify', '-m', message]);
  }

  private async message(sha: string): Promise<string> {
    return (await this.git(['log', '-1', '--format=%B', sha])).replace(/\n+$/, '');
  }

  private newModule(prefix = 'lib/m'): [string, string] {
    const n = ++this.n.module;
    return [`${prefix}${n}.py`, `# module ${n}\nVALUE_${n} = ${n}\n`];
  }

  private newPatch(): [string, string] {
    const n = 2200 + ++this.n.patch;
    return [`database/schema/patch-${String(n).padStart(4, '0')}-00-0.sql`, `-- patch ${n}\nCREATE TABLE t${n} (id integer);\n`];
  }

  /** The initial commit on stable; production-stable and production-devel start there too. */
  async init(): Promise<StableCommit> {
    mkdirSync(this.dir, { recursive: true });
    await gitRunner([])(['init', '--quiet', '--bare', '-b', 'stable', this.remote]);
    await gitRunner([])(['init', '--quiet', '-b', 'stable', this.work]);
    await this.git(['config', 'user.name', 'Histories Dev']);
    await this.git(['config', 'user.email', 'dev@histories.example']);
    await this.git(['remote', 'add', 'origin', this.remote]);
    const files = { README: 'Runway generated history\n', 'lib/app.py': 'VERSION = 1\n' };
    const sha = await this.commitFiles('Initial commit', files);
    await this.git(['push', '--quiet', 'origin', 'stable', 'stable:production-stable', 'stable:production-devel']);
    for (const p of Object.keys(files)) this.onStable.add(p);
    const c: StableCommit = { revno: 1, sha, round: 0, kind: 'initial', message: 'Initial commit', files: Object.keys(files).sort(), db: false, mergesBack: [] };
    this.record.stable.push(c);
    return c;
  }

  private async addStable(round: number, kind: StableOpKind, files: string[], extra: Partial<StableCommit> = {}): Promise<StableCommit> {
    const sha = (await this.git(['rev-parse', 'HEAD'])).trim();
    const c: StableCommit = {
      revno: this.record.stable.length + 1, sha, round, kind, message: await this.message(sha), files: [...new Set(files)].sort(),
      db: files.some(isSchemaPatch), mergesBack: [], ...extra,
    };
    this.record.stable.push(c);
    for (const m of c.mergesBack) this.mergedBack.add(m.fix);
    return c;
  }

  /** An earlier revno (never the baseline) for a `[rollback=N]` marker. */
  private rollbackTarget(): number | null {
    const tip = this.record.stable.length;
    return tip >= 2 ? this.rng.int(2, tip) : null;
  }

  private markers(pNoQa: number, pRollback: number): string {
    let s = '';
    if (this.rng.chance(pNoQa)) s += ' [no-qa]';
    const target = this.rng.chance(pRollback) ? this.rollbackTarget() : null;
    if (target !== null) s += ` [rollback=${target}]`;
    return s;
  }

  private async plain(round: number): Promise<StableCommit> {
    const [path, content] = this.newModule();
    await this.commitFiles(`Change ${path}${this.markers(0.2, 0.15)}`, { [path]: content });
    this.onStable.add(path);
    return this.addStable(round, 'plain', [path]);
  }

  private async schema(round: number): Promise<StableCommit> {
    const [path, content] = this.newPatch();
    await this.commitFiles(`Add ${path}${this.markers(0.05, 0.1)}`, { [path]: content });
    this.onStable.add(path);
    this.record.schemaPatches++;
    return this.addStable(round, 'schema', [path]);
  }

  /** A feature branch of 1–4 commits, from the tip or an older stable commit, merged with --no-ff. */
  private async feature(round: number, cherryPick: SecurityFix | null): Promise<StableCommit> {
    const k = ++this.n.feature;
    const name = `feature-${k}`;
    const tip = this.record.stable.length;
    const forkedAt = this.rng.chance(0.4) && tip > 1 ? this.rng.int(Math.max(1, tip - 5), tip - 1) : tip;
    await this.git(['checkout', '--quiet', '-b', name, this.record.stable[forkedAt - 1].sha]);
    const commits: string[] = [];
    const files: string[] = [];
    let patches = 0;
    const count = this.rng.int(1, 4);
    const pickAt = cherryPick ? this.rng.int(0, count) : -1;
    for (let i = 0; i <= count; i++) {
      if (i === pickAt && cherryPick) {
        commits.push(await this.commitGit(['cherry-pick', cherryPick.sha]));
        files.push(...cherryPick.files);
      }
      if (i === count) break;
      const add: Record<string, string> = {};
      const [path, content] = this.newModule(`lib/f${k}-`);
      add[path] = content;
      if (this.rng.chance(0.3)) {
        const [p, c] = this.newPatch();
        add[p] = c;
        patches++;
      }
      commits.push(await this.commitFiles(`${name}: step ${i + 1}${this.markers(0.1, 0.1)}`, add));
      files.push(...Object.keys(add));
    }
    await this.git(['checkout', '--quiet', 'stable']);
    this.tick++;
    await this.git(['merge', '--quiet', '--no-ff', '-m', `Merge ${name}${this.markers(0.1, 0.1)}`, name]);
    this.record.commits++;
    this.record.merges++;
    this.record.schemaPatches += patches;
    this.record.schemaPatchesInBranches += patches;
    for (const f of files) this.onStable.add(f);
    return this.addStable(round, 'feature', files, {
      branch: { name, commits, forkedAt, schemaPatches: patches },
      mergesBack: cherryPick ? [{ fix: cherryPick.sha, how: 'patch-id' }] : [],
    });
  }

  private async revert(round: number): Promise<StableCommit | null> {
    const candidates = this.record.stable.filter((c) => (c.kind === 'plain' || c.kind === 'schema') && !this.reverted.has(c.revno));
    if (candidates.length === 0) return null;
    const target = this.rng.pick(candidates);
    await this.commitGit(['revert', '--no-edit', target.sha]);
    this.reverted.add(target.revno);
    for (const f of target.files) this.onStable.delete(f);
    this.record.reverts++;
    if (target.db) this.record.revertsOfSchemaPatches++;
    return this.addStable(round, 'revert', target.files, { reverts: target.revno });
  }

  /** Fixes from earlier rounds that stable does not contain yet. */
  private unmergedFixes(round: number): SecurityFix[] {
    return this.record.fixes.filter((f) => f.round < round && !this.mergedBack.has(f.sha));
  }

  /** `git merge --no-ff origin/production-devel`: every fix production-devel holds comes back by ancestry. */
  private async mergeBackByAncestry(round: number): Promise<StableCommit | null> {
    await this.git(['fetch', '--quiet', 'origin']);
    const devel = (await this.git(['rev-parse', 'origin/production-devel'])).trim();
    const read: GitRead = this.git;
    const newlyHeld: SecurityFix[] = [];
    for (const f of this.record.fixes) if (!this.mergedBack.has(f.sha) && (await isAncestor(read, f.sha, devel))) newlyHeld.push(f);
    // A fix made this round may not be reported to Runway yet: it comes back in a later round.
    if (newlyHeld.length === 0 || newlyHeld.some((f) => f.round >= round)) return null;
    this.tick++;
    await this.git(['merge', '--quiet', '--no-ff', '-m', 'Merge security fixes from production-devel', 'origin/production-devel']);
    this.record.commits++;
    this.record.merges++;
    const files = newlyHeld.flatMap((f) => f.files).filter((p) => !this.onStable.has(p));
    for (const p of files) this.onStable.add(p);
    return this.addStable(round, 'merge-back-ancestry', files, { mergesBack: newlyHeld.map((f) => ({ fix: f.sha, how: 'ancestry' as const })) });
  }

  private async mergeBackByCherryPick(round: number, fix: SecurityFix): Promise<StableCommit> {
    await this.commitGit(['cherry-pick', fix.sha]);
    for (const p of fix.files) this.onStable.add(p);
    return this.addStable(round, 'merge-back-cherry-pick', fix.files, { mergesBack: [{ fix: fix.sha, how: 'patch-id' }] });
  }

  /** A security fix on production-devel, made on top of the remote's production-stable, force-pushed. */
  async securityFix(round: number): Promise<SecurityFix> {
    const k = ++this.n.fix;
    await this.git(['fetch', '--quiet', 'origin']);
    await this.git(['checkout', '--quiet', '-B', 'production-devel', 'origin/production-stable']);
    const add: Record<string, string> = { [`sec/fix-${k}.py`]: `# security fix ${k}\nSAFE_${k} = True\n` };
    if (this.rng.chance(0.35)) {
      const [p, c] = this.newPatch();
      add[p] = c;
      this.record.schemaPatches++;
    }
    const sha = await this.commitFiles(`Security fix ${k}`, add);
    await this.git(['push', '--quiet', '--force', 'origin', 'production-devel']);
    await this.git(['checkout', '--quiet', 'stable']);
    const fix: SecurityFix = { sha, round, files: Object.keys(add).sort(), db: Object.keys(add).some(isSchemaPatch) };
    this.record.fixes.push(fix);
    return fix;
  }

  /** One round of operations on stable, pushed at the end. */
  async round(round: number, withSecurityFix: boolean): Promise<RoundResult> {
    const fix = withSecurityFix ? await this.securityFix(round) : null;
    const out: StableCommit[] = [];
    const ops = this.rng.int(this.opts.opsPerRound[0], this.opts.opsPerRound[1]);
    let mergeBackDone = false;
    for (let i = 0; i < ops || out.length === 0; i++) {
      const capped = this.record.commits >= this.opts.maxCommits;
      const x = this.rng.next();
      const pending = this.unmergedFixes(round);
      let c: StableCommit | null = null;
      if (capped) c = await this.plain(round);
      else if (pending.length && !mergeBackDone && x < 0.4) {
        mergeBackDone = true;
        const y = this.rng.next();
        if (y < 0.5) c = await this.mergeBackByAncestry(round);
        if (!c && y < 0.8) c = await this.mergeBackByCherryPick(round, this.rng.pick(pending));
        if (!c) c = await this.feature(round, this.rng.pick(pending));
      } else if (x < 0.55) c = await this.plain(round);
      else if (x < 0.67) c = await this.schema(round);
      else if (x < 0.88) c = await this.feature(round, null);
      else c = (await this.revert(round)) ?? (await this.plain(round));
      out.push(c);
    }
    await this.git(['push', '--quiet', 'origin', 'stable']);
    return { stable: out, fix };
  }

  /**
   * A commit beside stable's history (on an older stable commit), pushed to
   * `refs/heads/rewritten` so a mirror can fetch it: what a force-push leaves behind.
   */
  async rewritten(belowRevno: number): Promise<string | null> {
    if (belowRevno < 2) return null;
    const base = this.record.stable[this.rng.int(1, belowRevno - 1) - 1].sha;
    await this.git(['checkout', '--quiet', '-B', 'rewritten', base]);
    const [path, content] = this.newModule('lib/rewritten-');
    const sha = await this.commitFiles('Rewritten history', { [path]: content });
    await this.git(['push', '--quiet', '--force', 'origin', 'rewritten:refs/heads/rewritten']);
    await this.git(['checkout', '--quiet', 'stable']);
    return sha;
  }

  /** Feature-branch commits whose merge is at or below `revno` (so they are ancestors of it, not first-parent). */
  featureCommitsUpTo(revno: number): string[] {
    return this.record.stable.filter((c) => c.revno <= revno && c.branch).flatMap((c) => c.branch!.commits);
  }
}

// ── the scenario ───────────────────────────────────────────────────────────────────────────

export type ReportKind = 'stable' | 'duplicate' | 'security-fix' | 'feature-commit' | 'rewritten';

/** One buildbot report: a finished, successful build of `sha` on `branch`. */
export interface Report {
  sha: string;
  branch: string;
  kind: ReportKind;
  /** For a first-parent commit of stable. */
  revno?: number;
}

export interface LandingPlan {
  /** Sent wave after wave; the reports of one wave go concurrently. */
  waves: Report[][];
  /** Pauses before each wave, in ms. */
  pauses: number[];
  /** The highest revno reported: everything up to it must be recorded afterwards. */
  reportedUpTo: number;
  duplicates: number;
  outOfOrder: number;
}

/**
 * Which commits buildbot reports this round: some of the unreported first-parent commits
 * (collapsed builds), some twice, in a shuffled order, in waves of concurrent posts; plus the
 * round's security fix on production-devel and, sometimes, a feature-branch commit (not
 * first-parent: to be refused without a blocker).
 */
export function planLandings(
  rng: Rng,
  input: { pending: { sha: string; revno: number }[]; recordedTip: number; securityFix: string | null; featureCandidates: readonly string[] },
): LandingPlan {
  const reports: Report[] = [];
  const { pending } = input;
  let chosen = pending.filter((_, i) => (i === pending.length - 1 ? rng.chance(0.8) : rng.chance(0.4)));
  if (chosen.length === 0 && pending.length && rng.chance(0.9)) chosen = [rng.pick(pending)];
  for (const c of chosen) reports.push({ sha: c.sha, branch: 'stable', kind: 'stable', revno: c.revno });
  let duplicates = 0;
  for (const c of chosen) {
    if (rng.chance(0.2)) {
      reports.push({ sha: c.sha, branch: 'stable', kind: 'duplicate', revno: c.revno });
      duplicates++;
    }
  }
  if (input.securityFix) {
    reports.push({ sha: input.securityFix, branch: 'production-devel', kind: 'security-fix' });
    if (rng.chance(0.2)) {
      reports.push({ sha: input.securityFix, branch: 'production-devel', kind: 'duplicate' });
      duplicates++;
    }
  }
  if (input.featureCandidates.length && rng.chance(0.3)) {
    reports.push({ sha: rng.pick(input.featureCandidates), branch: 'stable', kind: 'feature-commit' });
  }
  const order = rng.shuffle(reports);
  const waves: Report[][] = [];
  for (let i = 0; i < order.length; ) {
    const size = rng.int(1, 3);
    waves.push(order.slice(i, i + size));
    i += size;
  }
  // A report is out of order when a later revision was sent before it (or beside it).
  let outOfOrder = 0;
  let highest = 0;
  for (const w of waves) {
    const revnos = w.flatMap((r) => (r.revno !== undefined ? [r.revno] : []));
    for (const r of revnos) if (r < highest || revnos.some((o) => o > r)) outOfOrder++;
    highest = Math.max(highest, ...revnos);
  }
  return {
    waves, pauses: waves.map(() => rng.int(0, 40)), reportedUpTo: Math.max(input.recordedTip, ...chosen.map((c) => c.revno)),
    duplicates, outOfOrder,
  };
}

/** Every pending commit, one at a time, oldest first: what the tame self-check sends. */
export function planLandingsInOrder(pending: { sha: string; revno: number }[], recordedTip: number): LandingPlan {
  return {
    waves: pending.map((c) => [{ sha: c.sha, branch: 'stable', kind: 'stable' as const, revno: c.revno }]), pauses: pending.map(() => 0),
    reportedUpTo: Math.max(recordedTip, ...pending.map((c) => c.revno)), duplicates: 0, outOfOrder: 0,
  };
}

export type MarkAction =
  | {
      kind: 'status';
      revno: number;
      status: QaStatus;
      fixedBy?: number;
      /** How fixedBy is written: `r<revno>` or the fix's sha. */
      fixRef?: 'revno' | 'sha';
      /** A bad mark at or below the deployable revision, not promoted yet. */
      late?: boolean;
      /** A bad mark on a revision production already runs. */
      onProduction?: boolean;
    }
  | { kind: 'fix'; revno: number; fixedBy: number; fixRef: 'revno' | 'sha' };

/** Applies a planned mark to a model (the runner does the same with the real one). */
export function applyMark(model: QaModel, m: MarkAction) {
  return m.kind === 'fix' ? model.linkFix(m.revno, m.fixedBy) : model.mark(m.revno, m.status, m.fixedBy);
}

/**
 * QA's marks for a round, planned on a copy of the model so each twist is aimed at the state
 * the marks before it leave. `locked`: everything QA does (late bad marks, marks back to
 * needs-testing, fixes linked later, bad marks on what production runs); unlocked: only
 * passing marks, so nothing promoted meanwhile can turn out wrong.
 */
export function planMarks(rng: Rng, model: QaModel, locked: boolean): MarkAction[] {
  const sim = model.clone();
  const out: MarkAction[] = [];
  const add = (m: MarkAction) => {
    applyMark(sim, m);
    out.push(m);
  };
  const laterThan = (revno: number, upTo = sim.tip) => (upTo > revno ? rng.int(revno + 1, upTo) : null);
  const ref = (): 'revno' | 'sha' => (rng.chance(0.5) ? 'revno' : 'sha');
  const from = sim.lastPromoted + 1;

  // QA tests what waits, mostly passing it.
  for (let revno = Math.max(2, from); revno <= sim.tip; revno++) {
    if (sim.get(revno).status !== 'needs-testing') continue;
    const x = rng.next();
    if (x < 0.72) add({ kind: 'status', revno, status: rng.chance(0.85) ? 'ok' : 'untestable' });
    else if (locked && x < 0.84) {
      const fixedBy = rng.chance(0.5) ? laterThan(revno) : null;
      add({ kind: 'status', revno, status: 'bad', ...(fixedBy ? { fixedBy, fixRef: ref() } : {}) });
    }
  }
  if (!locked) return out;

  const twists = rng.shuffle(['late-bad', 'needs-testing', 'link-fix', 'production-bad', 'clear-production-bad', 'pass-again'] as const);
  for (const t of twists) {
    const d = sim.deployable();
    const p = sim.lastPromoted;
    if (t === 'late-bad' && d > Math.max(p, 1) && rng.chance(0.45)) {
      const revno = rng.int(Math.max(p + 1, 2), d);
      const fixedBy = rng.chance(0.4) ? laterThan(revno) : null;
      add({ kind: 'status', revno, status: 'bad', late: true, ...(fixedBy ? { fixedBy, fixRef: ref() } : {}) });
    } else if (t === 'needs-testing' && d > Math.max(p, 1) && rng.chance(0.3)) {
      add({ kind: 'status', revno: rng.int(Math.max(p + 1, 2), d), status: 'needs-testing' });
    } else if (t === 'link-fix' && rng.chance(0.4)) {
      const bad = sim.revisions.filter((r) => r.revno > p && r.status === 'bad' && r.revno < sim.tip);
      if (bad.length) {
        const r = rng.pick(bad);
        add({ kind: 'fix', revno: r.revno, fixedBy: laterThan(r.revno)!, fixRef: ref() });
      }
    } else if (t === 'production-bad' && p >= 2 && rng.chance(0.25)) {
      const revno = rng.int(2, p);
      const fixedBy = rng.chance(0.4) ? laterThan(revno) : null;
      add({ kind: 'status', revno, status: 'bad', onProduction: true, ...(fixedBy ? { fixedBy, fixRef: ref() } : {}) });
    } else if (t === 'clear-production-bad' && rng.chance(0.5)) {
      const running = sim.productionRunsBad();
      if (running.length) {
        const r = rng.pick(running);
        if (rng.chance(0.5)) add({ kind: 'status', revno: r.revno, status: 'ok' });
        else if (r.revno < sim.tip) add({ kind: 'fix', revno: r.revno, fixedBy: laterThan(r.revno, Math.max(p, r.revno + 1))!, fixRef: ref() });
      }
    } else if (t === 'pass-again' && rng.chance(0.3)) {
      const blocked = sim.revisions.filter((r) => r.revno > Math.max(p, 1) && !passes(r.status));
      if (blocked.length) add({ kind: 'status', revno: rng.pick(blocked).revno, status: 'ok' });
    }
  }
  return out;
}

export interface RoundShape {
  locked: boolean;
  securityFix: boolean;
}

/** Whether a round locks promotion and whether it brings a security fix. */
export function planRound(rng: Rng, round: number): RoundShape {
  return { locked: rng.chance(0.75), securityFix: round > 0 && rng.chance(0.35) };
}
