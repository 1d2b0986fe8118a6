/** Lead time per stage, as pure arithmetic over the recorded times. */
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
