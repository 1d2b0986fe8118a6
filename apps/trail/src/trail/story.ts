/**
 * A revision's story, told from trail entries: every step in order with its stage, and the
 * moments that make its lead time (landed → approved by QA → promoted → running on every
 * production server). Pure: given the same entries it tells the same story.
 */
import { type ActorKind, Events, type Story, type StoryStage, type StoryStep, TRAIL_DEAD_LETTER_TYPE, type TrailEntry } from '@runway/contracts';
import type { EntryRow, RevisionRow } from './trail.repository';

const STAGE_OF: Record<string, StoryStage> = {
  [Events.RevisionLanded.type]: 'landed',
  [Events.QaStatusChanged.type]: 'qa',
  [Events.ApprovalWithdrawn.type]: 'qa',
  [Events.ProductionQaChanged.type]: 'qa',
  [Events.QaTipMoved.type]: 'qa',
  [Events.QaPassed.type]: 'qa-passed',
  [Events.Promoted.type]: 'promoted',
  [Events.PromotionHeld.type]: 'promoted',
  [Events.RolloutChanged.type]: 'rollout',
  [Events.DeployRequested.type]: 'deploy',
  [Events.DeployReported.type]: 'deploy',
  [Events.ServerChanged.type]: 'server',
  [Events.CowboyApplied.type]: 'cowboy',
  [Events.CowboyRemoved.type]: 'cowboy',
  [Events.FlagChanged.type]: 'flag',
  [Events.RunningEverywhere.type]: 'everywhere',
};

export function entryView(r: EntryRow): TrailEntry {
  return {
    id: r.event_id, type: r.type, time: new Date(r.time).toISOString(), source: r.source, subject: r.subject,
    actor: { name: r.actor, kind: r.actor_kind as ActorKind, roles: r.actor_roles }, reason: r.reason, correlationId: r.correlation_id,
    summary: r.summary, revisions: r.revisions, hosts: r.hosts, rolloutId: r.rollout_id, event: r.event,
  };
}

const seconds = (from: string | null, to: string | null) => (from && to ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) : null);

/** The window a story's surroundings are looked for in: from its first rollout to its last step (or now). */
export function rolloutWindow(entries: EntryRow[], now: Date): { from: Date; to: Date; hosts: string[] } | null {
  const rollout = entries.filter((e) => e.rollout_id);
  if (rollout.length === 0) return null;
  const from = new Date(Math.min(...rollout.map((e) => new Date(e.time).getTime())));
  const everywhere = entries.find((e) => e.type === Events.RunningEverywhere.type);
  const last = Math.max(...entries.map((e) => new Date(e.time).getTime()));
  const to = everywhere ? new Date(everywhere.time) : new Date(Math.max(last, now.getTime()));
  return { from, to, hosts: [...new Set(rollout.flatMap((e) => e.hosts))] };
}

/**
 * Tells the story of `sha` from its own entries and their surroundings (deduplicated, in time
 * order). A QA rollout that did not carry it, or a rollout of an older revision, is not part of
 * it: the repository chose which rollouts carried it. Each server's deploy is one step, its
 * outcome with its output (the request and the start that came before it say nothing more):
 * a rollout to 1,000 servers tells 1,000 steps, not 3,000.
 */
export function tellStory(revision: RevisionRow | { sha: string }, own: EntryRow[], surroundings: EntryRow[]): Story {
  const sha = revision.sha;
  const seen = new Set<string>();
  const steps: StoryStep[] = [];
  const all = [...own, ...surroundings].sort((a, b) => new Date(a.time).getTime() - new Date(b.time).getTime() || Number(BigInt(a.seq) - BigInt(b.seq)));
  const lastOfDeploy = new Map<string, string>();
  for (const r of all) {
    const deployId = deployOf(r);
    if (deployId) lastOfDeploy.set(deployId, r.event_id);
  }
  for (const r of all) {
    if (seen.has(r.event_id) || r.type === TRAIL_DEAD_LETTER_TYPE) continue;
    const deployId = deployOf(r);
    if (deployId && lastOfDeploy.get(deployId) !== r.event_id) continue;
    seen.add(r.event_id);
    steps.push({ stage: STAGE_OF[r.type] ?? 'other', ...entryView(r) });
  }
  const first = (type: string, pick: (s: StoryStep) => boolean = () => true) => steps.find((s) => s.type === type && pick(s)) ?? null;
  const landedStep = first(Events.RevisionLanded.type, (s) => s.revisions.includes(sha));
  const landedAt = row(revision)?.landed_at ? new Date(row(revision)!.landed_at).toISOString()
    : ((landedStep?.event as { data?: { landedAt?: string } })?.data?.landedAt ?? landedStep?.time ?? null);
  const qaPassed = first(Events.QaPassed.type, (s) => s.revisions.includes(sha))?.time ?? null;
  const promoted = first(Events.Promoted.type, (s) => s.revisions.includes(sha))?.time ?? null;
  const everywhereStep = first(Events.RunningEverywhere.type, (s) => s.revisions.includes(sha));
  const everywhere = (everywhereStep?.event as { data?: { at?: string } })?.data?.at ?? everywhereStep?.time ?? null;
  const r = row(revision);
  return {
    revision: {
      sha, revno: r?.revno ?? null, branch: r?.branch ?? null, message: r?.message ?? null, author: r?.author ?? null,
      landedWith: r?.landed_with && r.landed_with !== sha ? r.landed_with : null, buildUrl: r?.build_url ?? null,
    },
    times: { landed: landedAt, qaPassed, promoted, runningEverywhere: everywhere },
    leadTime: {
      landedToQaPassed: seconds(landedAt, qaPassed), qaPassedToPromoted: seconds(qaPassed, promoted), promotedToEverywhere: seconds(promoted, everywhere),
      total: seconds(landedAt, everywhere),
    },
    steps,
  };
}

function deployOf(r: EntryRow): string | undefined {
  if (r.type !== Events.DeployRequested.type && r.type !== Events.DeployReported.type) return undefined;
  return (r.event as { data?: { deployId?: string } })?.data?.deployId;
}

function row(revision: RevisionRow | { sha: string }): RevisionRow | null {
  return 'branch' in revision ? revision : null;
}
