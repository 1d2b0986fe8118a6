/**
 * The promotion decision, as pure functions: given what QA approved and withdrew, what
 * production carries, locks and freezes, what promotion should do now. `PromotionsService`
 * gathers the facts (Postgres, git) and carries the decision out; everything that can be
 * decided without them is decided here.
 *
 * - Security fixes go first, always: a lock or a freeze never keeps a fix out of production.
 * - An approval holds until QA withdraws it. qa-gate numbers its decisions (`seq`), so an
 *   approval older than a withdrawal and above the revision it withdrew to is dead, whatever
 *   order the two arrived in; and an approval that a later, lower approval supersedes is dead
 *   too, since the deployable revision only goes down when something was withdrawn.
 * - The newest live approval goes, unless promotion is locked or frozen, or an earlier
 *   approval in its chain has not arrived (then it waits, and after a while goes as a downtime
 *   deploy, since what the missing range holds is unknown).
 * - Without a repository, production may carry a security fix stable lacks, and nothing can
 *   tell: an approval is held rather than shipped over it, until an operator says it is merged.
 * - Downtime follows what ships: the paths changed between production before and after.
 */
import type { DeployKind, RevisionRef } from '@runway/contracts';

export interface ApprovalFacts {
  sha: string;
  revno: number;
  /** qa-gate's decision number; null for approvals from before it numbered them. */
  seq: number | null;
  previousSha: string | null;
  approvedAt: Date;
  range: RevisionRef[];
  containsDb: boolean;
}

/** The latest withdrawal qa-gate announced: everything approved before `seq` above `revno` is dead. */
export interface LatestWithdrawal {
  seq: number;
  revno: number | null;
}

export interface Dead {
  approval: ApprovalFacts;
  reason: string;
}

/** Splits the pending approvals (any order) into those that still hold, by revno, and those QA took back. */
export function liveApprovals(pending: readonly ApprovalFacts[], withdrawal: LatestWithdrawal | null): { live: ApprovalFacts[]; dead: Dead[] } {
  const dead: Dead[] = [];
  let rest = [...pending];
  if (withdrawal) {
    const to = withdrawal.revno ?? 0;
    const [gone, kept] = partition(rest, (a) => (a.seq ?? 0) < withdrawal.seq && a.revno > to);
    for (const a of gone) dead.push({ approval: a, reason: `QA withdrew it: the deployable revision went back to ${to ? `r${to}` : 'none'}` });
    rest = kept;
  }
  const newest = rest.filter((a) => a.seq !== null).sort((a, b) => b.seq! - a.seq!)[0];
  if (newest) {
    const [gone, kept] = partition(rest, (a) => (a.seq ?? 0) < newest.seq! && a.revno > newest.revno);
    for (const a of gone) dead.push({ approval: a, reason: `superseded: QA's later approval of r${newest.revno} is lower, so it was withdrawn meanwhile` });
    rest = kept;
  }
  return { live: rest.sort((a, b) => a.revno - b.revno), dead };
}

export interface Blocking {
  locks: readonly { id: string; reason: string; author: string; until: Date | null }[];
  /** The freeze window in force, and when it ends. */
  freeze: { spec: string; until: Date } | null;
}

export interface DecisionFacts {
  now: Date;
  /** Security fixes not on production yet, oldest first. */
  unpromotedFixes: readonly string[];
  /** Live approvals, by revno. */
  live: readonly ApprovalFacts[];
  /** Locks and the freeze in force, if any. */
  blocked: Blocking | null;
  /** The newest live approval's first earlier approval that has not arrived and production lacks, if any. */
  gap: string | null;
  chainWaitMs: number;
  /** Without a repository: fixes production carries that stable may not have. */
  fixesNotKnownMerged: readonly string[];
}

export type ApprovalDecision =
  | { kind: 'none' }
  | { kind: 'wait'; why: 'locked' | 'frozen' | 'chain'; detail: string }
  | { kind: 'hold'; code: 'merge-back-unknown'; approval: ApprovalFacts; reason: string }
  | { kind: 'promote'; approval: ApprovalFacts; revisions: RevisionRef[]; assumeDb: boolean; reason?: string };

export interface Decision {
  /** Security fixes to put on production first, in order. */
  fixes: string[];
  approval: ApprovalDecision;
}

const short = (sha: string) => sha.slice(0, 10);

/** The approval that would go: the newest live one. */
export function target(live: readonly ApprovalFacts[]): ApprovalFacts | null {
  return live.length ? live[live.length - 1] : null;
}

export function decide(f: DecisionFacts): Decision {
  const fixes = [...f.unpromotedFixes];
  const newest = target(f.live);
  if (!newest) return { fixes, approval: { kind: 'none' } };
  if (f.blocked?.locks.length) {
    const l = f.blocked.locks[0];
    return { fixes, approval: { kind: 'wait', why: 'locked', detail: `promotion is locked by ${l.author}: ${l.reason}` } };
  }
  if (f.blocked?.freeze) return { fixes, approval: { kind: 'wait', why: 'frozen', detail: `frozen (${f.blocked.freeze.spec})` } };
  if (f.fixesNotKnownMerged.length) {
    return {
      fixes,
      approval: {
        kind: 'hold', code: 'merge-back-unknown', approval: newest,
        reason: `production carries security fix${f.fixesNotKnownMerged.length > 1 ? 'es' : ''} ${f.fixesNotKnownMerged.map(short).join(', ')}, and without a repository Runway cannot tell whether r${newest.revno} has ${f.fixesNotKnownMerged.length > 1 ? 'them' : 'it'}; an operator confirms the merge-back (POST /security-fixes/{sha}/merged-back), or configures PROMOTION_GIT_REMOTE`,
      },
    };
  }
  const revisions = rangeUpTo(f.live, newest);
  if (!f.gap) return { fixes, approval: { kind: 'promote', approval: newest, revisions, assumeDb: false } };
  if (f.now.getTime() - newest.approvedAt.getTime() < f.chainWaitMs) {
    return { fixes, approval: { kind: 'wait', why: 'chain', detail: `r${newest.revno} waits for the approval of ${short(f.gap)}, which has not arrived` } };
  }
  // The missing range is unknown: assume it changes the schema, so the deploy takes the safe path.
  return {
    fixes,
    approval: {
      kind: 'promote', approval: newest, revisions, assumeDb: true,
      reason: `the approval of ${short(f.gap)} never arrived; its revisions are not listed and a downtime deploy is assumed`,
    },
  };
}

/** Every revision the live approvals up to `approval` bring, oldest first, once each. */
export function rangeUpTo(live: readonly ApprovalFacts[], approval: ApprovalFacts): RevisionRef[] {
  const seen = new Set<string>();
  const out: RevisionRef[] = [];
  for (const a of [...live.filter((p) => p.revno < approval.revno), approval]) {
    for (const r of a.range) {
      if (seen.has(r.sha)) continue;
      seen.add(r.sha);
      out.push(r);
    }
  }
  return out.sort((a, b) => (a.revno ?? 0) - (b.revno ?? 0));
}

/** A promotion that changes a schema patch needs a downtime deploy; anything else does not. */
export function deployKindFor(containsDbRevision: boolean): DeployKind {
  return containsDbRevision ? 'downtime' : 'no-downtime';
}

/** Whether what ships (the paths changed between production before and after) holds a schema change. */
export function shipsSchemaChange(changedPaths: readonly string[], isSchemaPatch: (path: string) => boolean): boolean {
  return changedPaths.some(isSchemaPatch);
}

function partition<T>(list: readonly T[], test: (x: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const x of list) (test(x) ? yes : no).push(x);
  return [yes, no];
}
