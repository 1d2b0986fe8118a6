/**
 * Lead time per stage, as pure arithmetic over the recorded times; and what "running
 * everywhere" means: every registered, unheld production server runs a revision that contains
 * it, so what is everywhere is what all their revisions contain in common.
 */
import type { Content } from '../positions/positions';
export interface LeadTimeRow {
  sha: string;
  revno: number | null;
  landed_at: Date | null;
  qa_passed_at: Date | null;
  promoted_at: Date | null;
  deployed_at: Date | null;
}

export const STAGES = [
  ['landedToQaPassed', 'landed_at', 'qa_passed_at'],
  ['qaPassedToPromoted', 'qa_passed_at', 'promoted_at'],
  ['promotedToDeployed', 'promoted_at', 'deployed_at'],
  ['landedToDeployed', 'landed_at', 'deployed_at'],
] as const;

export type Stage = (typeof STAGES)[number][0];

function seconds(a: Date | null, b: Date | null): number | null {
  return a && b ? Math.max(0, (b.getTime() - a.getTime()) / 1000) : null;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarizeLeadTimes(rows: LeadTimeRow[]) {
  const revisions = rows.map((r) => ({
    sha: r.sha, revno: r.revno, landedAt: r.landed_at, qaPassedAt: r.qa_passed_at, promotedAt: r.promoted_at, deployedAt: r.deployed_at,
    seconds: Object.fromEntries(STAGES.map(([name, from, to]) => [name, seconds(r[from], r[to])])) as Record<Stage, number | null>,
  }));
  const stages = Object.fromEntries(
    STAGES.map(([name]) => {
      const values = revisions.map((r) => r.seconds[name]).filter((v): v is number => v !== null).sort((a, b) => a - b);
      return [name, { count: values.length, p50Seconds: percentile(values, 50), p90Seconds: percentile(values, 90) }];
    }),
  ) as Record<Stage, { count: number; p50Seconds: number | null; p90Seconds: number | null }>;
  return { stages, revisions };
}

/**
 * What every one of these servers' revisions contains: the QA branch up to the lowest revno
 * among them, and the fixes all of them carry. Nothing when there is no server, or one runs a
 * revision whose content is unknown.
 */
export function commonContent(contents: readonly (Content | null)[]): Content | null {
  if (contents.length === 0 || contents.some((c) => c === null || c.stableRevno === null)) return null;
  const known = contents as Content[];
  return {
    stableRevno: Math.min(...known.map((c) => c.stableRevno!)),
    fixes: known[0].fixes.filter((f) => known.every((c) => c.fixes.includes(f))),
  };
}
