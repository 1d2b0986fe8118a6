/**
 * Launchpad's rule for the deployable revision, as pure functions.
 *
 * Walking the revisions above the last deployable one in revno order, the deployable revision
 * is the highest `r` such that every revision up to `r` either passes QA (`ok`, `untestable`,
 * `no-qa`) or is `bad` and fixed by a revision at or below `r`. So a bad revision ships only
 * together with its fix, and nothing ships past a revision nobody has looked at.
 *
 * The walk is incremental: it stops at the first revision that blocks (one needing testing, a
 * bad one with no fix, one not yet read from git), so its cost is the distance from the last
 * deployable revision to the first blocker, not the length of the branch. The revision that
 * stopped it is the blocker, with who must act and what single action moves the frontier.
 */
import type { QaStatus } from '@runway/contracts';

export interface RevisionQa {
  revno: number;
  sha: string;
  status: QaStatus;
  /** Revno of the landed revision that fixes this one, when it is bad and fixed. */
  fixedByRevno?: number | null;
  db: boolean;
  /** False while Runway has not read the commit from git (its DB flag is unknown). */
  enriched?: boolean;
}

export type Actor = 'qa' | 'developer' | 'runway';

export type BlockKind = 'needs-testing' | 'needs-testing-fix' | 'bad-unfixed' | 'fix-not-landed' | 'not-enriched';

export interface Blocker {
  revno: number;
  sha: string;
  status: QaStatus;
  kind: BlockKind;
  reason: string;
  /** Who must act for the deployable revision to move. */
  actor: Actor;
  /** For a fix that needs testing: the bad revision it fixes. */
  fixes?: number;
}

export interface DeployableResult {
  deployable: RevisionQa | null;
  /** Revisions from the start up to and including the deployable one. */
  range: RevisionQa[];
  blocker: Blocker | null;
}

const PASSES: ReadonlySet<QaStatus> = new Set<QaStatus>(['ok', 'untestable', 'no-qa']);

export function passes(status: QaStatus): boolean {
  return PASSES.has(status);
}

/**
 * The walk, fed in chunks. `lastLandedRevno` lets it stop as soon as a bad revision's fix lies
 * beyond everything that has landed, instead of reading the rest of the branch for nothing.
 */
export class DeployableWalk {
  private readonly seen: RevisionQa[] = [];
  private deployableIndex = -1;
  private needFixAtOrBelow = 0;
  private waitingOn: RevisionQa | null = null;
  private fixesOf = new Map<number, number>();
  private blocker: Blocker | null = null;

  constructor(private readonly lastLandedRevno = Number.POSITIVE_INFINITY) {}

  get blocked(): boolean {
    return this.blocker !== null;
  }

  get revnoReached(): number {
    return this.seen.length ? this.seen[this.seen.length - 1].revno : 0;
  }

  /** Feeds the next revisions, in revno order. Returns false once the walk is blocked. */
  feed(revisions: readonly RevisionQa[]): boolean {
    for (const r of revisions) {
      if (this.blocker) return false;
      this.step(r);
    }
    return !this.blocker;
  }

  private step(r: RevisionQa): void {
    if (r.enriched === false) {
      this.block(r, 'not-enriched', `r${r.revno} has not been read from git yet`, 'runway');
      return;
    }
    if (r.status === 'needs-testing') {
      const fixes = this.fixesOf.get(r.revno);
      if (fixes !== undefined) this.block(r, 'needs-testing-fix', `r${r.revno} needs testing; it fixes bad r${fixes}`, 'qa', fixes);
      else this.block(r, 'needs-testing', `r${r.revno} needs testing`, 'qa');
      return;
    }
    if (r.status === 'bad') {
      if (r.fixedByRevno == null || r.fixedByRevno <= r.revno) {
        this.block(r, 'bad-unfixed', `r${r.revno} is bad and no fix has landed`, 'developer');
        return;
      }
      this.fixesOf.set(r.fixedByRevno, r.revno);
      if (r.fixedByRevno > this.needFixAtOrBelow) {
        this.needFixAtOrBelow = r.fixedByRevno;
        this.waitingOn = r;
      }
    } else if (!passes(r.status)) {
      this.block(r, 'needs-testing', `r${r.revno} has unknown status ${r.status}`, 'qa');
      return;
    }
    this.seen.push(r);
    if (this.needFixAtOrBelow <= r.revno) this.deployableIndex = this.seen.length - 1;
    if (this.needFixAtOrBelow > this.lastLandedRevno && this.waitingOn) {
      const w = this.waitingOn;
      this.blocker = {
        revno: w.revno, sha: w.sha, status: 'bad', kind: 'fix-not-landed', actor: 'developer',
        reason: `r${w.revno} is bad; its fix r${this.needFixAtOrBelow} has not landed yet`,
      };
    }
  }

  private block(r: RevisionQa, kind: BlockKind, reason: string, actor: Actor, fixes?: number): void {
    this.blocker = { revno: r.revno, sha: r.sha, status: r.status, kind, reason, actor, ...(fixes !== undefined ? { fixes } : {}) };
  }

  finish(): DeployableResult {
    let blocker = this.blocker;
    if (!blocker && this.waitingOn && this.deployableIndex < this.seen.length - 1) {
      const w = this.waitingOn;
      blocker = {
        revno: w.revno, sha: w.sha, status: 'bad', kind: 'fix-not-landed', actor: 'developer',
        reason: `r${w.revno} is bad; its fix r${this.needFixAtOrBelow} has not landed yet`,
      };
    }
    return {
      deployable: this.deployableIndex >= 0 ? this.seen[this.deployableIndex] : null,
      range: this.seen.slice(0, this.deployableIndex + 1),
      blocker,
    };
  }
}

export function computeDeployable(revisions: readonly RevisionQa[]): DeployableResult {
  const walk = new DeployableWalk();
  walk.feed(revisions);
  return walk.finish();
}

export interface NextAction {
  /** What to do, addressed to the person who must do it. */
  description: string;
  actor: Actor;
  revno: number;
  /** The deployable revision once that action is done, if it moves the frontier at all. */
  wouldMakeDeployable: number | null;
  /** How many revisions that would add to what can be promoted. */
  wouldRelease: number;
}

/**
 * The single action that moves the frontier furthest. Only the first blocker can move it, so
 * the action is always about that revision; what differs is how far it would go, which we find
 * by walking again as if it were resolved.
 */
export function nextAction(revisions: readonly RevisionQa[], current: DeployableResult): NextAction | null {
  const b = current.blocker;
  if (!b) return null;
  const resolved = revisions.map((r) => {
    if (r.revno !== b.revno) return r;
    if (b.kind === 'not-enriched') return { ...r, enriched: true };
    return { ...r, status: 'ok' as QaStatus };
  });
  const after = computeDeployable(resolved);
  const from = current.deployable?.revno ?? 0;
  const to = after.deployable && after.deployable.revno > from ? after.deployable.revno : null;
  const released = to === null ? 0 : after.range.length - current.range.length;
  const gain = to === null ? 'nothing moves until then' : `r${to} becomes deployable (${released} more revision${released === 1 ? '' : 's'})`;
  const description: Record<BlockKind, string> = {
    'needs-testing': `QA: test r${b.revno} and mark it ok, untestable or bad; if ok, ${gain}`,
    'needs-testing-fix': `QA: test r${b.revno}, the fix of r${b.fixes}; if ok, ${gain}`,
    'bad-unfixed': `Developer: land a fix for r${b.revno} with [rollback=${b.revno}] in its message, or link an existing fix; ${gain.replace(/^r/, 'then, once it passes, r')}`,
    'fix-not-landed': `Developer: land the fix of r${b.revno}`,
    'not-enriched': `Runway: read r${b.revno} from git (is the repository reachable?); then ${gain}`,
  };
  return { description: description[b.kind], actor: b.actor, revno: b.revno, wouldMakeDeployable: to, wouldRelease: released };
}

/** A revision production runs that is bad with no passing fix in production, and who must act. */
export interface BadInProduction {
  revno: number;
  sha: string;
  fixedByRevno?: number;
  reason: string;
  actor: 'developer' | 'qa' | 'operator';
}

/**
 * What production runs that QA found bad: every bad revision at or below the production
 * revision whose fix is missing, not in production yet, or not good itself (a fix passes, or is
 * bad and fixed in production in turn: the same rule that let it ship). Each names who must
 * act: a developer lands a fix (or an operator rolls back), QA tests the fix, or the passing
 * fix waits to reach production. `bad` holds every bad revision at or below production.
 */
export function badInProduction(
  bad: readonly { revno: number; sha: string; fixedByRevno: number | null; fixStatus: QaStatus | null }[],
  productionRevno: number,
): BadInProduction[] {
  const byRevno = new Map(bad.map((b) => [b.revno, b]));
  const good = (b: (typeof bad)[number], seen = new Set<number>()): boolean => {
    const f = b.fixedByRevno;
    if (f == null || f <= b.revno || f > productionRevno || !b.fixStatus || seen.has(f)) return false;
    if (passes(b.fixStatus)) return true;
    const fix = byRevno.get(f);
    return b.fixStatus === 'bad' && fix !== undefined && good(fix, seen.add(b.revno));
  };
  return bad
    .filter((b) => b.revno <= productionRevno && !good(b))
    .map((b): BadInProduction => {
      const base = { revno: b.revno, sha: b.sha, ...(b.fixedByRevno != null ? { fixedByRevno: b.fixedByRevno } : {}) };
      if (b.fixedByRevno == null || !b.fixStatus) {
        return { ...base, actor: 'developer', reason: `production runs r${b.revno}, which is bad: land a fix with [rollback=${b.revno}] in its message, or roll production back` };
      }
      if (!passes(b.fixStatus) && b.fixedByRevno <= productionRevno) {
        return { ...base, actor: 'qa', reason: `production runs r${b.revno}, which is bad; its fix r${b.fixedByRevno} ${b.fixStatus === 'bad' ? 'is bad too' : 'needs testing'}` };
      }
      if (!passes(b.fixStatus)) {
        return { ...base, actor: 'qa', reason: `production runs r${b.revno}, which is bad; its fix r${b.fixedByRevno} ${b.fixStatus === 'bad' ? 'is bad too' : 'needs testing'}, and is not in production yet` };
      }
      return { ...base, actor: 'operator', reason: `production runs r${b.revno}, which is bad; its fix r${b.fixedByRevno} passes QA and is not in production yet` };
    });
}

export interface CommitMarkers {
  noQa: boolean;
  /** `[rollback=<revno or sha>]`: the revision this one fixes. */
  rollbackOf?: { revno: number } | { sha: string };
}

/** Reads the markers Runway understands from a commit message. */
export function readCommitMarkers(message: string | undefined | null): CommitMarkers {
  const text = message ?? '';
  const noQa = /\[\s*no-qa\s*\]/i.test(text);
  const m = /\[\s*rollback\s*=\s*(r?\d+|[0-9a-f]{7,64})\s*\]/i.exec(text);
  if (!m) return { noQa };
  const ref = m[1].toLowerCase();
  // `r123` or up to six digits is a revno; seven or more hex digits is a sha (prefix).
  if (ref.startsWith('r') || /^\d{1,6}$/.test(ref)) return { noQa, rollbackOf: { revno: Number(ref.replace(/^r/, '')) } };
  return { noQa, rollbackOf: { sha: ref } };
}
