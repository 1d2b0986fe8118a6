/**
 * DORA's four keys, computed from the trail. Pure, so the definitions below are the code:
 *
 * - A **deployment** is a production rollout (caused by a promotion or by an operator; a
 *   catch-up brings nothing new) that finished `succeeded` in the window.
 *   Deployment frequency = deployments / days in the window, with the count per UTC day.
 * - **Lead time for changes**: for each revision that started running on every production
 *   server in the window, from its landing to that moment; p50 and p90 (nearest rank).
 * - **Change failure rate** = failed changes / changes. A change is a production rollout
 *   (promotion or operator) that finished `succeeded` or `failed` in the window. It failed when:
 *   it failed; or the next production rollout was an operator's, to another revision (rolled
 *   back); or a revision it shipped was later marked `bad`; or a cowboy was applied to one of its
 *   servers before the next deployment. The first of these that holds is its reason.
 * - **Time to restore**: for each failed change, from the moment it failed (the failed rollout's
 *   end, the rollback's start, the bad mark, the cowboy) to the first moment after it that a
 *   revision started running on every production server; p50 and p90. Not restored yet: listed
 *   with no end, and left out of the percentiles.
 */
import { type Dora, FINISHED_ROLLOUT_STATES, type RolloutChangedV1, type RolloutState } from '@runway/contracts';
import type { EntryRow } from './trail.repository';

export interface DoraRollout {
  rolloutId: string;
  cause: string;
  revision: string;
  revno: number | null;
  revisions: string[];
  hosts: string[];
  startedAt: string;
  status: RolloutState;
  finishedAt: string | null;
}

export interface DoraInput {
  since: Date;
  until: Date;
  environment: string;
  rollouts: DoraRollout[];
  everywhere: { sha: string; revno: number | null; at: string }[];
  landedAt: Map<string, string>;
  badMarks: { sha: string; revno: number | null; at: string; by: string }[];
  cowboys: { host: string; at: string; patchHash: string }[];
}

/** Each rollout's path, from its `rollout-changed` entries (in time order): where it started, how it ended. */
export function rolloutsFrom(entries: EntryRow[], hostsByRollout: Map<string, string[]>): DoraRollout[] {
  const byId = new Map<string, DoraRollout>();
  for (const e of entries) {
    const d = (e.event as { data: RolloutChangedV1 }).data;
    const time = new Date(e.time).toISOString();
    let r = byId.get(d.rolloutId);
    if (!r) {
      r = {
        rolloutId: d.rolloutId, cause: d.cause, revision: d.revision, revno: d.revno ?? null, revisions: d.revisions, hosts: hostsByRollout.get(d.rolloutId) ?? [],
        startedAt: time, status: d.status, finishedAt: null,
      };
      byId.set(d.rolloutId, r);
    }
    r.status = d.status;
    if (FINISHED_ROLLOUT_STATES.includes(d.status)) r.finishedAt ??= time;
  }
  return [...byId.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

const inWindow = (at: string | null, since: Date, until: Date) => at !== null && Date.parse(at) >= since.getTime() && Date.parse(at) < until.getTime();
const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

export function computeDora(input: DoraInput): Dora {
  const { since, until } = input;
  const changesAll = input.rollouts.filter((r) => r.cause !== 'catch-up');

  // Deployment frequency.
  const deployments = changesAll.filter((r) => r.status === 'succeeded' && inWindow(r.finishedAt, since, until));
  const days = new Map<string, number>();
  for (const d of deployments) days.set(d.finishedAt!.slice(0, 10), (days.get(d.finishedAt!.slice(0, 10)) ?? 0) + 1);
  const windowDays = Math.max((until.getTime() - since.getTime()) / 86_400_000, 1 / 24);

  // Lead time for changes.
  const lead = input.everywhere
    .filter((e) => inWindow(e.at, since, until) && input.landedAt.has(e.sha))
    .map((e) => ({ sha: e.sha, revno: e.revno, landedAt: input.landedAt.get(e.sha)!, everywhereAt: e.at, seconds: Math.max(0, seconds(input.landedAt.get(e.sha)!, e.at)) }));
  const leadSorted = lead.map((l) => l.seconds).sort((a, b) => a - b);

  // Change failure rate.
  const changes = changesAll.filter((r) => (r.status === 'succeeded' || r.status === 'failed') && inWindow(r.finishedAt, since, until));
  const failures: Dora['changeFailureRate']['failures'] = [];
  for (const c of changes) {
    const why = failureOf(c, changesAll, input);
    if (why) failures.push({ rolloutId: c.rolloutId, revision: c.revision, revno: c.revno, ...why });
  }

  // Time to restore.
  const restorations = failures.map((f) => {
    const fix = input.everywhere.find((e) => Date.parse(e.at) > Date.parse(f.at));
    return { rolloutId: f.rolloutId, failedAt: f.at, restoredAt: fix?.at ?? null, seconds: fix ? seconds(f.at, fix.at) : null, restoredBy: fix?.sha ?? null };
  });
  const restoreSorted = restorations.flatMap((r) => (r.seconds === null ? [] : [r.seconds])).sort((a, b) => a - b);

  return {
    since: since.toISOString(), until: until.toISOString(), environment: input.environment,
    deploymentFrequency: {
      deployments: deployments.length, perDay: deployments.length / windowDays,
      days: [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, n]) => ({ day, deployments: n })),
      rollouts: deployments.map((d) => ({ rolloutId: d.rolloutId, revision: d.revision, revno: d.revno, finishedAt: d.finishedAt! })),
    },
    leadTimeForChanges: { p50: percentile(leadSorted, 50), p90: percentile(leadSorted, 90), count: lead.length, revisions: lead },
    changeFailureRate: { changes: changes.length, failed: failures.length, rate: changes.length ? failures.length / changes.length : null, failures },
    timeToRestore: { p50: percentile(restoreSorted, 50), p90: percentile(restoreSorted, 90), count: restoreSorted.length, restorations },
  };
}

type Failure = Pick<Dora['changeFailureRate']['failures'][number], 'why' | 'detail' | 'at'>;

function failureOf(c: DoraRollout, all: DoraRollout[], input: DoraInput): Failure | null {
  if (c.status === 'failed') return { why: 'failed', detail: 'the rollout failed', at: c.finishedAt! };
  const later = all.filter((r) => r.startedAt > c.startedAt && r.rolloutId !== c.rolloutId);
  const next = later[0];
  if (next && next.cause === 'manual' && next.revision !== c.revision) {
    return { why: 'rolled-back', detail: `an operator rolled production to ${next.revno ? `r${next.revno}` : next.revision.slice(0, 10)}`, at: next.startedAt };
  }
  const shipped = new Set([c.revision, ...c.revisions]);
  const bad = input.badMarks.find((b) => shipped.has(b.sha) && b.at >= c.startedAt);
  if (bad) return { why: 'bad-revision', detail: `${bad.revno ? `r${bad.revno}` : bad.sha.slice(0, 10)} marked bad by ${bad.by}`, at: bad.at };
  const nextDeployment = later.find((r) => r.status === 'succeeded');
  const hosts = new Set(c.hosts);
  const cowboy = input.cowboys.find((k) => hosts.has(k.host) && k.at >= (c.finishedAt ?? c.startedAt) && (!nextDeployment || k.at < nextDeployment.startedAt));
  if (cowboy) return { why: 'cowboy', detail: `cowboy ${cowboy.patchHash.slice(0, 12)} applied on ${cowboy.host}`, at: cowboy.at };
  return null;
}

