/**
 * Launchpad's rule for the deployable revision, as a pure function.
 *
 * Given the revisions above the last deployable one, in revno order, the deployable revision
 * is the highest `r` such that every revision up to `r` either passes QA (`ok`, `untestable`,
 * `no-qa`) or is `bad` and fixed by a revision at or below `r`. So a bad revision ships only
 * together with its fix, and nothing ships past a revision nobody has looked at. When the walk
 * stops, the revision that stopped it is the blocker, with who must act on it.
 */
import type { QaStatus } from '@runway/contracts';

export interface RevisionQa {
  revno: number;
  sha: string;
  status: QaStatus;
  /** Revno of the landed revision that fixes this one, when it is bad and fixed. */
  fixedByRevno?: number | null;
  db: boolean;
}

export type Actor = 'qa' | 'developer';

export interface Blocker {
  revno: number;
  sha: string;
  status: QaStatus;
  reason: string;
  /** Who must act for the deployable revision to move. */
  actor: Actor;
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

export function computeDeployable(revisions: readonly RevisionQa[]): DeployableResult {
  let deployableIndex = -1;
  let needFixAtOrBelow = 0;
  let waitingOn: RevisionQa | null = null;
  let blocker: Blocker | null = null;
  for (let i = 0; i < revisions.length; i++) {
    const r = revisions[i];
    if (r.status === 'needs-testing') {
      blocker = { revno: r.revno, sha: r.sha, status: r.status, reason: `r${r.revno} needs testing`, actor: 'qa' };
      break;
    }
    if (r.status === 'bad') {
      if (r.fixedByRevno == null || r.fixedByRevno <= r.revno) {
        blocker = { revno: r.revno, sha: r.sha, status: r.status, reason: `r${r.revno} is bad and no fix has landed`, actor: 'developer' };
        break;
      }
      if (r.fixedByRevno > needFixAtOrBelow) {
        needFixAtOrBelow = r.fixedByRevno;
        waitingOn = r;
      }
    } else if (!passes(r.status)) {
      blocker = { revno: r.revno, sha: r.sha, status: r.status, reason: `r${r.revno} has unknown status ${r.status}`, actor: 'qa' };
      break;
    }
    if (needFixAtOrBelow <= r.revno) deployableIndex = i;
  }
  if (!blocker && deployableIndex < revisions.length - 1 && waitingOn) {
    // Every landed revision was looked at, but a bad one's fix has not landed yet.
    blocker = {
      revno: waitingOn.revno, sha: waitingOn.sha, status: 'bad',
      reason: `r${waitingOn.revno} is bad; its fix r${needFixAtOrBelow} has not landed yet`, actor: 'developer',
    };
  }
  return {
    deployable: deployableIndex >= 0 ? revisions[deployableIndex] : null,
    range: revisions.slice(0, deployableIndex + 1),
    blocker,
  };
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
