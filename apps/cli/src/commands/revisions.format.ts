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
  buildId?: number | null;
  buildUrl?: string | null;
  /** The sha the build reported: when it is not this revision's own, buildbot collapsed builds and this revision came with it. */
  landedWith?: string | null;
}

export interface RevisionPage {
  items: Revision[];
  next: { before: number } | null;
}

/** A revision that blocks the next deployable one. */
export interface RevisionBlocker {
  revno: number; sha: string; status: string; kind: string; reason: string; actor: string; author: string | null; waitingSeconds: number;
}

/** A landing that blocks the branch: refused (stable's history was rewritten) or not yet placed by git. */
export interface LandingBlocker {
  kind: 'landing-refused' | 'landing-pending';
  actor: 'operator' | 'runway';
  revno: null;
  status: null;
  sha: string;
  landingId: string;
  reason: string;
  author: string | null;
  landedAt: string;
  waitingSeconds: number;
}

/** Who must act, for a revision production runs that QA found bad: land a fix, test it, or promote it (or roll back). */
export type BadActor = 'developer' | 'qa' | 'operator';

export interface BadInProduction {
  revno: number;
  sha: string;
  fixedByRevno?: number;
  reason: string;
  actor: BadActor;
}

export interface ProductionRunsBad {
  revisions: BadInProduction[];
  actor: BadActor;
  reason: string;
}

export interface Deployable {
  branch: string;
  lastPromoted: { revno: number | null; sha: string; at: string | null } | null;
  deployable: { revno: number; sha: string | null } | null;
  tip: { revno: number; sha: string | null } | null;
  waiting: number;
  blocker: RevisionBlocker | LandingBlocker | null;
  nextAction: { description: string; actor: string; revno: number; wouldMakeDeployable: number | null } | null;
  productionRunsBad?: ProductionRunsBad | null;
  landings?: { pending: number; refused: { id: string; sha: string; reason: string | null; buildId: number | null; at: string | null }[] };
}

export type LandingState = 'pending' | 'recorded' | 'known' | 'refused' | 'dismissed';
export const LANDING_STATES: readonly LandingState[] = ['pending', 'recorded', 'known', 'refused', 'dismissed'];

/** A landing as reported (qa-gate with a repository), and what git made of it. */
export interface Landing {
  id: string;
  branch: string;
  sha: string;
  claimedRevno: number | null;
  author: string | null;
  landedAt: string;
  buildUrl: string | null;
  buildId: number | null;
  reportedBy: string | null;
  state: LandingState;
  refusal: 'rewritten' | 'not-first-parent' | null;
  reason: string | null;
  revnoFrom: number | null;
  revnoTo: number | null;
  attempts: number;
  receivedAt: string;
  resolvedAt: string | null;
  dismissedBy: string | null;
}

export interface LandingPage {
  items: Landing[];
  next: { before: string } | null;
}

export interface LandingOutcome {
  branch: string;
  sha: string;
  recorded: boolean;
  revno?: number;
  qaStatus?: string;
  /** It waits for git to place it on the branch's first-parent history (qa-gate with a repository). */
  pending?: boolean;
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

export function isLandingBlocker(b: Deployable['blocker']): b is LandingBlocker {
  return b !== null && (b.kind === 'landing-refused' || b.kind === 'landing-pending');
}

/** `r45`, or `landing 12` when a landing blocks. */
export function blockerName(b: NonNullable<Deployable['blocker']>): string {
  return isLandingBlocker(b) ? `landing ${b.landingId}` : `r${b.revno}`;
}

function blockerLine(b: Deployable['blocker']): string {
  if (!b) return 'nothing';
  const waited = `waiting ${duration(b.waitingSeconds)}, ${b.actor} to act${b.author ? `; author ${b.author}` : ''}`;
  if (!isLandingBlocker(b)) return `r${b.revno} ${b.kind}: ${b.reason} (${waited})`;
  const hint = b.kind === 'landing-refused' ? `; runway landings dismiss ${b.landingId} --reason ...` : '';
  return `landing ${b.landingId} ${shortSha(b.sha)} ${b.kind === 'landing-refused' ? 'refused' : 'pending'}: ${b.reason} (${waited}${hint})`;
}

/** `r6 412e7af50e (developer to act): production runs r6, which is bad: ...` */
export function productionBadLine(r: BadInProduction): string {
  return `${revLabel(r)} (${r.actor} to act): ${r.reason}`;
}

export function deployableSummary(d: Deployable, now: Date): string {
  const rows: [string, string][] = [];
  // What production runs comes first: it is the one thing here that is already wrong.
  for (const r of d.productionRunsBad?.revisions ?? []) rows.push(['production runs bad', productionBadLine(r)]);
  rows.push(
    ['branch', d.branch],
    ['last promoted', d.lastPromoted ? `${revLabel(d.lastPromoted)}${d.lastPromoted.at ? ` (${ago(d.lastPromoted.at, now)})` : ''}` : 'none'],
    ['deployable', d.deployable ? revLabel(d.deployable) : 'none'],
    ['tip', d.tip ? revLabel(d.tip) : 'none'],
    ['blocked by', blockerLine(d.blocker)],
    ['next', d.nextAction?.description ?? '-'],
  );
  const l = d.landings;
  if (l && (l.pending > 0 || l.refused.length > 0)) {
    const parts = [l.pending ? `${l.pending} waiting for git` : null, l.refused.length ? `${l.refused.length} refused (${l.refused.map((r) => r.id).join(', ')})` : null];
    rows.push(['landings', `${parts.filter(Boolean).join(', ')}: runway landings`]);
  }
  return details(rows);
}

export function landingSummary(o: LandingOutcome | null, sha: string): string {
  if (!o) return `${shortSha(sha)}: not recorded (not a branch qa-gate watches)`;
  if (o.pending) return `${o.recorded ? 'queued' : 'already queued'}: ${o.branch} ${shortSha(o.sha)} waits for git to place it on ${o.branch} (runway landings --state pending)`;
  return `${o.recorded ? 'landed' : 'already landed'}: ${o.branch} r${o.revno ?? '?'} ${shortSha(o.sha)} (QA: ${o.qaStatus ?? '?'})`;
}

/** `r5-r7`, `r5`, or `-`. */
function revnoRange(l: Pick<Landing, 'revnoFrom' | 'revnoTo'>): string {
  if (l.revnoFrom == null || l.revnoTo == null) return '';
  return l.revnoFrom === l.revnoTo ? `r${l.revnoFrom}` : `r${l.revnoFrom}-r${l.revnoTo}`;
}

export function landingsTable(page: LandingPage, now: Date): string {
  if (!page.items.length) return 'No landings. (qa-gate lists landings only when it reads a git repository.)';
  const rows = page.items.map((l) => [
    l.id, shortSha(l.sha), l.branch, l.refusal ? `${l.state} (${l.refusal})` : l.state, revnoRange(l), l.buildId ?? '', ago(l.receivedAt, now), l.reason ? firstLine(l.reason, 80) : '',
  ]);
  const t = table(['ID', 'SHA', 'BRANCH', 'STATE', 'REVISIONS', 'BUILD', 'RECEIVED', 'REASON'], rows);
  return page.next ? `${t}\nMore: --before ${page.next.before}` : t;
}

export function dismissedSummary(l: Landing): string {
  return `dismissed landing ${l.id} (${shortSha(l.sha)} on ${l.branch}) by ${l.dismissedBy ?? '?'}: ${l.reason ?? ''}`;
}
