/** How promotion's answers look to people. */
import type { ActiveLock, NewLock, Promotion, PromotionStatus, SecurityFix } from '@runway/contracts';
import { ago, details, duration, firstLine, revLabel, shortSha, table } from '../output';

function lockLine(l: ActiveLock, now: Date): string {
  return `${l.reason} (${l.author}, ${ago(l.created_at, now)}${l.until ? `, until ${l.until}` : ''}) [${l.id}]`;
}

/** Withdrawn approvals shown in a summary; `--json` has every one the service keeps. */
const WITHDRAWN_SHOWN = 3;
/** Merged-back security fixes shown in a summary, newest first. */
const MERGED_BACK_SHOWN = 3;

/** How a fix came back to stable, in words: `cherry-picked (patch identity) at 1a2b3c4d5e`. */
export function mergeBackLabel(f: SecurityFix, now: Date): string {
  if (!f.mergedBackAt) return `pending for ${duration((now.getTime() - Date.parse(f.reportedAt)) / 1000)}`;
  const at = f.mergedBackBy ? ` at ${shortSha(f.mergedBackBy)}` : '';
  switch (f.mergedBackHow) {
    case 'patch-id':
      return `cherry-picked (patch identity)${at}`;
    case 'ancestry':
      return `merged (ancestry)${at}`;
    case 'operator':
      return `confirmed by an operator: ${f.mergedBackNote ?? ''}`;
    default:
      return `merged back${at}`;
  }
}

/**
 * `fixes`, when given, are every security fix (GET /security-fixes): the summary then says how
 * recent ones came back to stable, besides those still pending.
 */
export function promotionSummary(s: PromotionStatus, now: Date, fixes?: SecurityFix[] | null): string {
  const rows: [string, string][] = [
    ['production-stable', s.productionStable ? `${revLabel(s.productionStable)} (since ${ago(s.productionStable.since, now)})` : 'not promoted yet'],
  ];
  const bad = s.productionRunsBad;
  if (bad) {
    for (const r of bad.revisions) rows.push(['production runs bad', `${revLabel(r)} (${r.actor} to act${bad.since ? `, since ${ago(bad.since, now)}` : ''})`]);
  }
  rows.push(['automatic promotion', s.automaticPromotion]);
  for (const l of s.locks) rows.push(['locked', lockLine(l, now)]);
  if (s.freeze) rows.push(['frozen', JSON.stringify(s.freeze)]);
  rows.push(['waiting', s.waiting ? `${s.waiting.count} approval(s), newest r${s.waiting.newest}` : 'nothing']);
  if (s.lastHold) {
    rows.push(['held', `${revLabel(s.lastHold)} ${s.lastHold.code}: ${s.lastHold.reason}`]);
    if (s.lastHold.code === 'merge-back-unknown') {
      for (const f of s.pendingMergeBack) rows.push(['to release', `runway security-fixes merged-back ${shortSha(f.sha)} --reason "<where stable got it>" (role operator)`]);
    }
  }
  const withdrawn = s.withdrawnApprovals ?? [];
  for (const w of withdrawn.slice(0, WITHDRAWN_SHOWN)) rows.push(['withdrawn', `${revLabel(w)} (${ago(w.withdrawnAt, now)}): ${firstLine(w.reason, 160)}`]);
  if (withdrawn.length > WITHDRAWN_SHOWN) rows.push(['withdrawn', `${withdrawn.length - WITHDRAWN_SHOWN} more (runway --json status)`]);
  for (const f of s.pendingMergeBack) rows.push(['merge-back pending', `${shortSha(f.sha)} (${duration(f.ageSeconds)})${f.detection ? `: ${f.detection}` : ''}`]);
  const merged = (fixes ?? []).filter((f) => f.mergedBackAt).sort((a, b) => Date.parse(b.mergedBackAt!) - Date.parse(a.mergedBackAt!));
  for (const f of merged.slice(0, MERGED_BACK_SHOWN)) rows.push(['merged back', `${shortSha(f.sha)} ${mergeBackLabel(f, now)} (${ago(f.mergedBackAt, now)})`]);
  if (s.gitError) rows.push(['git error', `${s.gitError.message} (${ago(s.gitError.at, now)})`]);
  return details(rows);
}

export function securityFixesTable(fixes: SecurityFix[], now: Date): string {
  if (!fixes.length) return 'No security fixes.';
  return table(
    ['SHA', 'BRANCH', 'REPORTED', 'BY', 'IN PRODUCTION', 'MERGE-BACK'],
    fixes.map((f) => [shortSha(f.sha), f.branch, ago(f.reportedAt, now), f.reportedBy, f.promotedAt ? ago(f.promotedAt, now) : 'not yet', mergeBackLabel(f, now)]),
  );
}

export function mergedBackSummary(f: SecurityFix, now: Date): string {
  return `security fix ${shortSha(f.sha)}: ${mergeBackLabel(f, now)}`;
}

export function promotionsTable(list: Promotion[], now: Date): string {
  if (!list.length) return 'No promotions.';
  return table(
    ['WHEN', 'FROM', 'TO', 'CAUSE', 'HOW', 'BY', 'FORCED'],
    list.map((p) => [ago(p.createdAt, now), revLabel({ revno: p.fromRevno, sha: p.fromSha }), revLabel({ revno: p.toRevno, sha: p.toSha }), p.cause, p.kind, p.requestedBy, p.forced ? 'forced' : '']),
  );
}

export function lockSummary(l: NewLock): string {
  return `locked: ${l.reason} (${l.author}${l.until ? `, until ${l.until}` : ''})\nlock id: ${l.id}`;
}
