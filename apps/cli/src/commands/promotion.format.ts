/** How promotion's answers look to people. */
import { ago, details, duration, revLabel, shortSha, table } from '../output';

export interface Lock {
  id: string;
  reason: string;
  author: string;
  created_by?: string;
  created_at?: string;
  until: string | null;
}

export interface PromotionStatus {
  branch: string;
  repository: string | null;
  productionStable: { sha: string; revno: number | null; since: string } | null;
  automaticPromotion: 'on' | 'locked' | 'frozen';
  locks: Lock[];
  freeze: { start?: string; end?: string; window?: string } | null;
  pendingApprovals: { sha: string; revno: number; approvedAt: string; containsDb: boolean }[];
  waiting: { newest: number; count: number } | null;
  pendingMergeBack: { sha: string; reportedAt: string; ageSeconds: number }[];
  lastHold: { sha: string; revno: number | null; code: string; reason: string; created_at: string } | null;
  gitError: string | null;
}

export interface Promotion {
  id: string;
  fromSha: string | null;
  fromRevno: number | null;
  toSha: string;
  toRevno: number | null;
  cause: string;
  requestedBy?: string;
  forced?: boolean;
  reason?: string | null;
  kind?: string;
  createdAt: string;
}

function lockLine(l: Lock, now: Date): string {
  return `${l.reason} (${l.author}${l.created_at ? `, ${ago(l.created_at, now)}` : ''}${l.until ? `, until ${l.until}` : ''}) [${l.id}]`;
}

export function promotionSummary(s: PromotionStatus, now: Date): string {
  const rows: [string, string][] = [
    ['production-stable', s.productionStable ? `${revLabel(s.productionStable)} (since ${ago(s.productionStable.since, now)})` : 'not promoted yet'],
    ['automatic promotion', s.automaticPromotion],
  ];
  for (const l of s.locks) rows.push(['locked', lockLine(l, now)]);
  if (s.freeze) rows.push(['frozen', JSON.stringify(s.freeze)]);
  rows.push(['waiting', s.waiting ? `${s.waiting.count} approval(s), newest r${s.waiting.newest}` : 'nothing']);
  if (s.lastHold) rows.push(['held', `${revLabel(s.lastHold)} ${s.lastHold.code}: ${s.lastHold.reason}`]);
  for (const f of s.pendingMergeBack) rows.push(['merge-back pending', `${shortSha(f.sha)} (${duration(f.ageSeconds)})`]);
  if (s.gitError) rows.push(['git error', s.gitError]);
  return details(rows);
}

export function promotionsTable(list: Promotion[], now: Date): string {
  if (!list.length) return 'No promotions.';
  return table(
    ['WHEN', 'FROM', 'TO', 'CAUSE', 'HOW', 'BY', 'FORCED'],
    list.map((p) => [ago(p.createdAt, now), revLabel({ revno: p.fromRevno, sha: p.fromSha }), revLabel({ revno: p.toRevno, sha: p.toSha }), p.cause, p.kind, p.requestedBy, p.forced ? 'forced' : '']),
  );
}

export function lockSummary(l: Lock): string {
  return `locked: ${l.reason} (${l.author}${l.until ? `, until ${l.until}` : ''})\nlock id: ${l.id}`;
}
