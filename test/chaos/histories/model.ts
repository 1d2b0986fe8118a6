/**
 * What Runway must say about a generated history, computed from the generator's own record of
 * what it did and from git itself, never from Runway's code: nothing here imports `apps/` or
 * `libs/`. It holds the rules of DESIGN.md written afresh:
 *   - markers: `[no-qa]` passes a revision; `[rollback=<revno or sha>]` links it as the fix of an
 *     earlier revision that has no fix linked yet (an operator's link always sets it);
 *   - Launchpad's deployable rule: the highest `r` above the last promoted revision such that
 *     every revision up to `r` passes, or is `bad` and fixed at or below `r`;
 *   - production runs a bad revision when one at or below production's revno is `bad` without a
 *     good fix at or below production's revno;
 *   - a DB revision is one whose diff against its first parent touches a schema patch;
 *   - a security fix is merged back at the first first-parent commit of `stable` that contains
 *     it, by ancestry or by patch identity.
 * `QaModel` is pure; the git questions take a `GitRead` so they can be asked of any repository.
 */

export type QaStatus = 'ok' | 'bad' | 'untestable' | 'no-qa' | 'needs-testing';
export const QA_STATUSES: readonly QaStatus[] = ['ok', 'bad', 'untestable', 'no-qa', 'needs-testing'];

const PASSING: ReadonlySet<QaStatus> = new Set<QaStatus>(['ok', 'untestable', 'no-qa']);

export function passes(status: QaStatus): boolean {
  return PASSING.has(status);
}

/** DESIGN.md's default pattern, `database/schema/patch-*.sql` (the `*` stays within one directory). */
export function isSchemaPatch(path: string): boolean {
  return /^database\/schema\/patch-[^/]*\.sql$/.test(path);
}

export interface CommitMarkers {
  noQa: boolean;
  rollbackOf?: { revno: number } | { sha: string };
}

/** `[no-qa]` and `[rollback=<revno or sha>]`, as a release engineer writes them (case and spaces forgiven). */
export function readMarkers(message: string): CommitMarkers {
  const noQa = /\[\s*no-qa\s*\]/i.test(message);
  const m = /\[\s*rollback\s*=\s*(r?\d+|[0-9a-f]{7,64})\s*\]/i.exec(message);
  if (!m) return { noQa };
  const ref = m[1].toLowerCase();
  // r123, or a short run of digits, is a revno; seven or more hex digits name a sha.
  if (ref.startsWith('r') || /^\d{1,6}$/.test(ref)) return { noQa, rollbackOf: { revno: Number(ref.replace(/^r/, '')) } };
  return { noQa, rollbackOf: { sha: ref } };
}

export interface ModelRevision {
  revno: number;
  sha: string;
  message: string;
  db: boolean;
  status: QaStatus;
  /** The revno of the later revision linked as its fix (by a marker or by an operator). */
  fixedBy: number | null;
}

/** A landed first-parent commit, as the model learns it: what git says it is. */
export interface LandedCommit {
  sha: string;
  message: string;
  db: boolean;
}

/** The deployable revision went backwards from `from` to `to`: the approvals above `to` are withdrawn. */
export interface Withdrawal {
  from: number;
  to: number;
  because: string;
  /** The approvals (revisions the deployable one moved forward to, not promoted yet) this withdraws. */
  approvals: { revno: number; sha: string }[];
}

export interface MarkOutcome {
  before: number;
  after: number;
  withdrawal: Withdrawal | null;
}

/** QA's state of `stable`, revision by revision, and what follows from it. */
export class QaModel {
  /** Index `revno - 1`. */
  readonly revisions: ModelRevision[] = [];
  /** production-stable's revno on `stable` (the baseline's at first). */
  lastPromoted = 0;
  /**
   * Approvals waiting for promotion: each revision the deployable one moved forward to, above
   * the last promoted one, and not withdrawn since. (Forward moves within a batch of landings
   * are not seen one by one: only where the batch leaves it, which `noteDeployable` records.)
   */
  readonly approvals = new Map<number, string>();

  get tip(): number {
    return this.revisions.length;
  }

  get(revno: number): ModelRevision {
    const r = this.revisions[revno - 1];
    if (!r) throw new Error(`model: no revision r${revno} (tip r${this.tip})`);
    return r;
  }

  bySha(sha: string): ModelRevision | undefined {
    return this.revisions.find((r) => r.sha === sha);
  }

  clone(): QaModel {
    const c = new QaModel();
    c.revisions.push(...this.revisions.map((r) => ({ ...r })));
    c.lastPromoted = this.lastPromoted;
    for (const [k, v] of this.approvals) c.approvals.set(k, v);
    return c;
  }

  /** Records the next first-parent commits, oldest first; markers apply in revno order. */
  record(commits: readonly LandedCommit[]): void {
    for (const c of commits) {
      const revno = this.tip + 1;
      const markers = readMarkers(c.message);
      this.revisions.push({ revno, sha: c.sha, message: c.message, db: c.db, status: markers.noQa ? 'no-qa' : 'needs-testing', fixedBy: null });
      const of = markers.rollbackOf;
      if (!of) continue;
      const target = 'revno' in of ? this.revisions[of.revno - 1] : this.revisions.find((r) => r.sha.startsWith(of.sha));
      // A marker names an earlier revision; it links only when no fix is linked yet.
      if (target && target.revno < revno && target.fixedBy === null) target.fixedBy = revno;
    }
  }

  /**
   * Launchpad's rule from `from` (the last promoted revno): the highest `r > from` such that
   * every revision in (from, r] passes or is bad and fixed at or below r; `from` when none is.
   */
  deployableFrom(from: number): number {
    let best = from;
    let needFixAtOrBelow = 0;
    for (let revno = from + 1; revno <= this.tip; revno++) {
      const r = this.get(revno);
      if (r.status === 'bad') {
        if (r.fixedBy === null || r.fixedBy <= revno) break;
        needFixAtOrBelow = Math.max(needFixAtOrBelow, r.fixedBy);
      } else if (!passes(r.status)) {
        break;
      }
      if (needFixAtOrBelow <= revno) best = revno;
    }
    return best;
  }

  deployable(): number {
    return this.deployableFrom(this.lastPromoted);
  }

  /** Records the deployable revision as approved (after landings, say); returns it. */
  noteDeployable(): number {
    const d = this.deployable();
    if (d > this.lastPromoted) this.approvals.set(d, this.get(d).sha);
    return d;
  }

  /** production-stable now holds stable up to `revno`: approvals at or below it are settled. */
  promoted(revno: number): void {
    this.lastPromoted = Math.max(this.lastPromoted, revno);
    for (const k of [...this.approvals.keys()]) if (k <= this.lastPromoted) this.approvals.delete(k);
  }

  /** Sets a status as QA does; `fixedBy` (a later revno) is only given with `bad`, and always links. */
  mark(revno: number, status: QaStatus, fixedBy?: number): MarkOutcome {
    const r = this.get(revno);
    if (fixedBy !== undefined) {
      if (status !== 'bad') throw new Error('model: only a bad revision has a fix');
      this.checkFix(r, fixedBy);
    }
    return this.change(`r${revno} marked ${status}${fixedBy ? ` (fixed by r${fixedBy})` : ''}`, () => {
      r.status = status;
      if (fixedBy !== undefined) r.fixedBy = fixedBy;
    });
  }

  /** An operator links a fix (PUT /revisions/<sha>/fix): it always sets it. */
  linkFix(revno: number, fixedBy: number): MarkOutcome {
    const r = this.get(revno);
    this.checkFix(r, fixedBy);
    return this.change(`r${revno} linked to its fix r${fixedBy}`, () => {
      r.fixedBy = fixedBy;
    });
  }

  private checkFix(r: ModelRevision, fixedBy: number): void {
    if (fixedBy <= r.revno || fixedBy > this.tip) throw new Error(`model: r${fixedBy} cannot fix r${r.revno} (tip r${this.tip})`);
  }

  private change(because: string, apply: () => void): MarkOutcome {
    const before = this.deployable();
    apply();
    const after = this.deployable();
    if (after > before && after > this.lastPromoted) this.approvals.set(after, this.get(after).sha);
    let withdrawal: Withdrawal | null = null;
    if (after < before) {
      const approvals = [...this.approvals].filter(([revno]) => revno > after).map(([revno, sha]) => ({ revno, sha })).sort((a, b) => a.revno - b.revno);
      for (const a of approvals) this.approvals.delete(a.revno);
      withdrawal = { from: before, to: after, because, approvals };
      // Where the deployable revision falls back to is what QA approves now: promotion may ship it.
      if (after > this.lastPromoted) this.approvals.set(after, this.get(after).sha);
    }
    return { before, after, withdrawal };
  }

  /**
   * Whether `revno` is harmless in a production that runs up to `upTo`: it passes, or it is bad
   * and its fix is in that production and harmless too.
   */
  goodUpTo(revno: number, upTo: number): boolean {
    const r = this.get(revno);
    if (passes(r.status)) return true;
    if (r.status !== 'bad' || r.fixedBy === null || r.fixedBy <= revno || r.fixedBy > upTo) return false;
    return this.goodUpTo(r.fixedBy, upTo);
  }

  /** The bad revisions production runs without their good fix, at production's revno `upTo`. */
  productionRunsBad(upTo = this.lastPromoted): ModelRevision[] {
    return this.revisions.filter((r) => r.revno <= upTo && r.status === 'bad' && !this.goodUpTo(r.revno, upTo));
  }

  /** What is wrong with shipping (from, to]: every revision must pass, or be bad and fixed at or below `to`. */
  problemsShipping(from: number, to: number): string[] {
    const out: string[] = [];
    for (let revno = from + 1; revno <= to && revno <= this.tip; revno++) {
      const r = this.get(revno);
      if (passes(r.status)) continue;
      if (r.status === 'bad' && r.fixedBy !== null && r.fixedBy > revno && r.fixedBy <= to) continue;
      out.push(`r${revno} (${r.sha.slice(0, 10)}) is ${r.status}${r.status === 'bad' ? (r.fixedBy ? `, fixed only by r${r.fixedBy}` : ', unfixed') : ''}`);
    }
    return out;
  }
}

/** Reads a git repository: `git <args>` with optional standard input; resolves to stdout. */
export type GitRead = (args: string[], input?: string) => Promise<string>;

const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * `git` with the answers that cannot change remembered: whether one commit is an ancestor of
 * another, asked by full sha (commits are immutable; a branch name is not, and is always asked).
 * The checks ask the same questions round after round, and each is a git process.
 */
export function rememberingAncestry(git: GitRead): GitRead {
  const known = new Map<string, Promise<string>>();
  return (args, input) => {
    if (args.length === 4 && args[0] === 'merge-base' && args[1] === '--is-ancestor' && FULL_SHA.test(args[2]) && FULL_SHA.test(args[3])) {
      const key = `${args[2]}..${args[3]}`;
      let answer = known.get(key);
      if (!answer) {
        answer = git(args, input);
        known.set(key, answer);
      }
      return answer;
    }
    return git(args, input);
  };
}

export async function isAncestor(git: GitRead, ancestor: string, descendant: string): Promise<boolean> {
  // `merge-base --is-ancestor` answers by exit code; GitRead rejects on a non-zero one.
  return git(['merge-base', '--is-ancestor', ancestor, descendant]).then(
    () => true,
    () => false,
  );
}

/** Index of the first commit of a first-parent chain (oldest first) that contains `sha`; -1 if none does. */
export async function firstContaining(git: GitRead, chain: readonly string[], sha: string): Promise<number> {
  // Containment is monotone along a first-parent chain: once in, in for good.
  let lo = 0;
  let hi = chain.length; // answer in [lo, hi]; hi = none
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await isAncestor(git, sha, chain[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo < chain.length ? lo : -1;
}

/** The highest index of a first-parent chain (oldest first) whose commit is an ancestor of `head`; -1 if none is. */
export async function newestAncestorIn(git: GitRead, chain: readonly string[], head: string): Promise<number> {
  let lo = -1;
  let hi = chain.length - 1; // answer in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (await isAncestor(git, chain[mid], head)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** `stable`'s first-parent commits from the root, oldest first (index revno - 1). */
export async function firstParentChain(git: GitRead, tip: string): Promise<string[]> {
  return (await git(['rev-list', '--first-parent', '--reverse', tip])).split('\n').filter(Boolean);
}

export async function revnoOf(git: GitRead, sha: string): Promise<number> {
  return Number((await git(['rev-list', '--count', '--first-parent', sha])).trim());
}

/** Paths a commit changes against its first parent (every path, for a root commit). */
export async function changedAgainstFirstParent(git: GitRead, sha: string): Promise<string[]> {
  const parents = (await git(['rev-list', '--parents', '-n', '1', sha])).trim().split(' ').slice(1);
  const out = parents.length
    ? await git(['diff', '--name-only', '--no-renames', `${sha}^1`, sha])
    : await git(['show', '--name-only', '--format=', sha]);
  return out.split('\n').filter(Boolean).sort();
}

/** `changedAgainstFirstParent` for every first-parent commit up to `tip`, in one git call. */
export async function changedAlongFirstParents(git: GitRead, tip: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of (await git(['log', '--first-parent', '-m', '--name-only', '--no-renames', '--format=@@%H', tip])).split('\n')) {
    if (line.startsWith('@@')) out.set(line.slice(2), (current = []));
    else if (line && current) current.push(line);
  }
  for (const files of out.values()) files.sort();
  return out;
}

export async function changedBetween(git: GitRead, from: string, to: string): Promise<string[]> {
  return (await git(['diff', '--name-only', '--no-renames', from, to])).split('\n').filter(Boolean).sort();
}

async function patchIds(git: GitRead, shas: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (shas.length === 0) return out;
  const patches = await git(['log', '--no-walk=unsorted', '--no-merges', '-p', '--format=commit %H', ...shas]);
  for (const line of (await git(['patch-id', '--stable'], patches)).split('\n')) {
    const [pid, sha] = line.trim().split(' ');
    if (pid && sha) out.set(sha, pid);
  }
  return out;
}

export interface MergeBack {
  /** Index in the chain (revno - 1) of the first first-parent commit that contains the fix. */
  index: number;
  sha: string;
  how: 'ancestry' | 'patch-id';
}

/**
 * Where each security fix is merged back into `chain` (stable's first-parent commits, oldest
 * first): the first commit that contains the fix itself (ancestry) or another commit with the
 * same patch id (a cherry-pick). Ancestry wins a tie. null: not merged back.
 */
export async function mergeBacks(git: GitRead, chain: readonly string[], fixes: readonly string[]): Promise<Map<string, MergeBack | null>> {
  const result = new Map<string, MergeBack | null>();
  if (fixes.length === 0 || chain.length === 0) {
    for (const f of fixes) result.set(f, null);
    return result;
  }
  const tip = chain[chain.length - 1];
  const onStable = (await git(['rev-list', '--no-merges', tip])).split('\n').filter(Boolean);
  const stableIds = await patchIds(git, onStable);
  const fixIds = await patchIds(git, fixes);
  for (const fix of fixes) {
    let best: MergeBack | null = null;
    const byAncestry = await firstContaining(git, chain, fix);
    if (byAncestry >= 0) best = { index: byAncestry, sha: chain[byAncestry], how: 'ancestry' };
    const pid = fixIds.get(fix);
    for (const [sha, id] of stableIds) {
      if (sha === fix || id !== pid) continue;
      const at = await firstContaining(git, chain, sha);
      if (at >= 0 && (best === null || at < best.index)) best = { index: at, sha: chain[at], how: 'patch-id' };
    }
    result.set(fix, best);
  }
  return result;
}
