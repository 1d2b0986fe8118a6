/** How qa-gate's answers look to people. */
import type {
  BadRevisionInProduction, Blocker, Deployable, Landing, LandingAnswer, LandingBlocker, LandingPage, Revision, RevisionPage,
} from '@runway/contracts';
import { ago, details, duration, firstLine, revLabel, shortSha, table } from '../output';

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

export function isLandingBlocker(b: Blocker | null): b is LandingBlocker {
  return b !== null && (b.kind === 'landing-refused' || b.kind === 'landing-pending');
}

/** `r45`, or `landing 12` when a landing blocks. */
export function blockerName(b: Blocker): string {
  return isLandingBlocker(b) ? `landing ${b.landingId}` : `r${b.revno}`;
}

function blockerLine(b: Blocker | null): string {
  if (!b) return 'nothing';
  const waited = `waiting ${duration(b.waitingSeconds)}, ${b.actor} to act${b.author ? `; author ${b.author}` : ''}`;
  if (!isLandingBlocker(b)) return `r${b.revno} ${b.kind}: ${b.reason} (${waited})`;
  const hint = b.kind === 'landing-refused' ? `; runway landings dismiss ${b.landingId} --reason ...` : '';
  return `landing ${b.landingId} ${shortSha(b.sha)} ${b.kind === 'landing-refused' ? 'refused' : 'pending'}: ${b.reason} (${waited}${hint})`;
}

/** `r6 412e7af50e (developer to act): production runs r6, which is bad: ...` */
export function productionBadLine(r: BadRevisionInProduction): string {
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

export function landingSummary(o: LandingAnswer, sha: string): string {
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
