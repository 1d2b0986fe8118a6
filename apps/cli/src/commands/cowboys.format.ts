/** How cowboys (hot patches applied by hand) look to people. */
import type { Cowboy, Preflight } from '@runway/contracts';
import { ago, shortSha, table } from '../output';

export function cowboysTable(list: Cowboy[], now: Date): string {
  if (!list.length) return 'No cowboys.';
  return table(
    ['ID', 'HOST', 'PATCH', 'POLICY', 'FIXED BY', 'APPLIED', 'BY', 'STATUS', 'REASON'],
    list.map((c) => [
      c.id.slice(0, 8), c.host, shortSha(c.patchHash, 12), c.policy, shortSha(c.fixedBy), ago(c.appliedAt, now),
      c.detected ? `${c.appliedBy} (found by agent)` : c.appliedBy, c.status, c.reason,
    ]),
  );
}

export function preflightSummary(p: Preflight, now: Date): string {
  if (p.clean) return 'clean: no cowboy applied anywhere';
  return `${p.count} cowboy(s) applied on ${p.hosts.join(', ')}\n${cowboysTable(p.cowboys, now)}`;
}

/** A cowboy named by full id or by a prefix of its id that only one matches. */
export function findByIdPrefix(list: Cowboy[], prefix: string): Cowboy | 'ambiguous' | undefined {
  const p = prefix.toLowerCase();
  const hits = list.filter((c) => c.id.toLowerCase().startsWith(p));
  return hits.length > 1 ? 'ambiguous' : hits[0];
}
