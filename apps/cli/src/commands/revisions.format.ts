/** How qa-gate's answers look to people. */
import { ago, details, duration, firstLine, revLabel, shortSha, table } from '../output';

export interface Revision {
  id: string;
  branch: string;
  revno: number;
  sha: string;
  message: string | null;
  author: string | null;
  landedAt: string;
  qaStatus: string;
  db: boolean;
  fixedByRevno: number | null;
  fixesRevno: number | null;
}

export interface RevisionPage {
  items: Revision[];
  next: { before: number } | null;
}

export interface Deployable {
  branch: string;
  lastPromoted: { revno: number | null; sha: string; at: string | null } | null;
  deployable: { revno: number; sha: string | null } | null;
  tip: { revno: number; sha: string | null } | null;
  waiting: number;
  blocker: {
    revno: number; sha: string; status: string; kind: string; reason: string; actor: string; author: string | null; waitingSeconds: number;
  } | null;
  nextAction: { description: string; actor: string; revno: number; wouldMakeDeployable: number | null } | null;
}

export interface LandingOutcome {
  branch: string;
  sha: string;
  recorded: boolean;
  revno?: number;
  qaStatus?: string;
}

/** `ok`, or `bad (fixed by r46)`. */
export function qaLabel(r: Pick<Revision, 'qaStatus' | 'fixedByRevno' | 'fixesRevno'>): string {
  const extra = [r.fixedByRevno ? `fixed by r${r.fixedByRevno}` : null, r.fixesRevno ? `fixes r${r.fixesRevno}` : null].filter(Boolean);
  return extra.length ? `${r.qaStatus} (${extra.join(', ')})` : r.qaStatus;
}

export function revisionsTable(page: RevisionPage, now: Date): string {
  if (!page.items.length) return 'No revisions.';
  const rows = page.items.map((r) => [`r${r.revno}`, shortSha(r.sha), r.branch, qaLabel(r), r.db ? 'db' : '', firstLine(r.author, 24), ago(r.landedAt, now), firstLine(r.message, 50)]);
  const t = table(['REV', 'SHA', 'BRANCH', 'QA', 'DB', 'AUTHOR', 'LANDED', 'MESSAGE'], rows);
  return page.next ? `${t}\nMore: --before ${page.next.before}` : t;
}

export function deployableSummary(d: Deployable, now: Date): string {
  const b = d.blocker;
  return details([
    ['branch', d.branch],
    ['last promoted', d.lastPromoted ? `${revLabel(d.lastPromoted)}${d.lastPromoted.at ? ` (${ago(d.lastPromoted.at, now)})` : ''}` : 'none'],
    ['deployable', d.deployable ? revLabel(d.deployable) : 'none'],
    ['tip', d.tip ? revLabel(d.tip) : 'none'],
    ['blocked by', b ? `r${b.revno} ${b.kind}: ${b.reason} (waiting ${duration(b.waitingSeconds)}, ${b.actor} to act${b.author ? `; author ${b.author}` : ''})` : 'nothing'],
    ['next', d.nextAction?.description ?? '-'],
  ]);
}

export function landingSummary(o: LandingOutcome | null, sha: string): string {
  if (!o) return `${shortSha(sha)}: not recorded (not a branch qa-gate watches)`;
  return `${o.recorded ? 'landed' : 'already landed'}: ${o.branch} r${o.revno ?? '?'} ${shortSha(o.sha)} (QA: ${o.qaStatus ?? '?'})`;
}
