/** How the trail looks to people: a revision's story as a timeline, and pages of entries. */
import type { Dora, Story, TrailEntry } from '@runway/contracts';
import { duration, revLabel, shortSha, table } from '../output';

/** `ada (qa)`, `app3.lpnet (agent)`, `runway`. */
export function actorLabel(a: TrailEntry['actor']): string {
  if (a.kind === 'runway') return 'runway';
  if (a.kind === 'agent') return `${a.name} (agent)`;
  return a.roles.length ? `${a.name} (${a.roles.join(', ')})` : a.name;
}

const time = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const span = (s: number | null) => (s === null ? '-' : duration(s));

export function storyText(s: Story): string {
  const r = s.revision;
  const head = [
    `${revLabel(r)}${r.branch ? ` on ${r.branch}` : ''}${r.message ? `: ${r.message.split('\n', 1)[0]}` : ''}`,
    ...(r.author ? [`author: ${r.author}`] : []),
    ...(r.landedWith ? [`landed with ${shortSha(r.landedWith)} (buildbot's build covered several commits)`] : []),
    `lead time: landed → QA passed ${span(s.leadTime.landedToQaPassed)}, → promoted ${span(s.leadTime.qaPassedToPromoted)}, → running everywhere ${span(s.leadTime.promotedToEverywhere)}; total ${span(s.leadTime.total)}`,
  ];
  if (s.steps.length === 0) return `${head.join('\n')}\nNothing recorded yet.`;
  const steps = table(
    ['TIME', 'STAGE', 'WHO', 'WHAT', 'REASON'],
    s.steps.map((x) => [time(x.time), x.stage, actorLabel(x.actor), x.summary, x.reason ?? '']),
  );
  return `${head.join('\n')}\n\n${steps}`;
}

export function trailTable(entries: TrailEntry[]): string {
  if (entries.length === 0) return 'Nothing in the trail matches.';
  return table(['TIME', 'WHO', 'WHAT', 'REASON'], entries.map((e) => [time(e.time), actorLabel(e.actor), e.summary, e.reason ?? '']));
}

/** One line per entry as JSON, for `--format jsonl`. */
export function trailJsonLines(entries: TrailEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n');
}

const CSV_HEAD = ['time', 'type', 'actor', 'actor_kind', 'actor_roles', 'summary', 'reason', 'revisions', 'hosts', 'rollout_id', 'id'];
const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** RFC 4180 CSV, for `--format csv`. */
export function trailCsv(entries: TrailEntry[]): string {
  const rows = entries.map((e) => [
    e.time, e.type, e.actor.name, e.actor.kind, e.actor.roles.join(' '), e.summary, e.reason ?? '', e.revisions.join(' '), e.hosts.join(' '), e.rolloutId ?? '', e.id,
  ]);
  return [CSV_HEAD, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n');
}

export function doraText(d: Dora): string {
  const pct = d.changeFailureRate.rate === null ? '-' : `${(d.changeFailureRate.rate * 100).toFixed(1)}%`;
  return [
    `DORA, ${d.environment}, ${time(d.since)} to ${time(d.until)}`,
    `deployment frequency   ${d.deploymentFrequency.deployments} deployments, ${d.deploymentFrequency.perDay.toFixed(2)} a day`,
    `lead time for changes  p50 ${span(d.leadTimeForChanges.p50)}, p90 ${span(d.leadTimeForChanges.p90)} (${d.leadTimeForChanges.count} revisions)`,
    `change failure rate    ${pct} (${d.changeFailureRate.failed} of ${d.changeFailureRate.changes} changes)`,
    `time to restore        p50 ${span(d.timeToRestore.p50)}, p90 ${span(d.timeToRestore.p90)} (${d.timeToRestore.count} restored)`,
    ...d.changeFailureRate.failures.map((f) => `  failed: ${revLabel({ revno: f.revno, sha: f.revision })} ${f.why}: ${f.detail}`),
  ].join('\n');
}
