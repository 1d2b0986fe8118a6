/**
 * What one event means in the trail: who acted, one line a person can read, and what it
 * concerns (revisions, servers, a rollout), so the record can be searched by each. Pure: the
 * same event always reads the same, whichever replica ingests it and whenever.
 */
import type {
  ActorKind, ApprovalWithdrawnV1, CloudEvent, CowboyAppliedV1, CowboyRemovedV1, DeployReportedV1, DeployRequestedV1, FlagChangedV1,
  ProductionQaChangedV1, PromotedV1, PromotionHeldV1, QaPassedV1, QaStatusChangedV1, QaTipMovedV1, RevisionLandedV1, RolloutChangedV1,
  RunningEverywhereV1, ServerChangedV1, TokenIssuedV1, TokenRevokedV1, TrailActor,
} from '@runway/contracts';
import { Events } from '@runway/contracts';

export interface EntryFacts {
  actor: TrailActor;
  summary: string;
  revisions: string[];
  hosts: string[];
  rolloutId: string | null;
  /** For a rollout: the track and the revno it rolls out, so a revision finds the rollout that first carried it. */
  track: string | null;
  revno: number | null;
}

const short = (sha: string | undefined | null) => (sha ? sha.slice(0, 10) : '?');
const rev = (revno: number | undefined | null, sha: string | undefined | null) => (revno ? `r${revno}` : short(sha));
const firstLine = (text: string | undefined | null, max = 120) => {
  const line = (text ?? '').split('\n', 1)[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};
const unique = (values: (string | undefined | null)[]) => [...new Set(values.filter((v): v is string => Boolean(v)))];

/** Who acted: the envelope says so; events published before it did are read from their payload and source. */
export function actorOf(e: CloudEvent<object>): TrailActor {
  if (e.actor) {
    return { name: e.actor, kind: e.actorkind ?? 'token', roles: e.actorroles ? e.actorroles.split(',').filter(Boolean) : [] };
  }
  const agent = /^runway\/agent\/(.+)$/.exec(e.source);
  if (agent) return { name: agent[1], kind: 'agent', roles: [] };
  const d = e.data as Record<string, unknown>;
  const named = [d.by, d.appliedBy, d.reportedBy, d.issuedBy, d.revokedBy].find((v) => typeof v === 'string' && v !== 'commit message');
  return typeof named === 'string' ? { name: named, kind: 'token' as ActorKind, roles: [] } : { name: 'runway', kind: 'runway', roles: [] };
}

const none = { revisions: [] as string[], hosts: [] as string[], rolloutId: null, track: null, revno: null };

/** The trail's reading of a valid event. Unknown types still get an entry, described by their type. */
export function describeEvent(e: CloudEvent<object>): EntryFacts {
  const actor = actorOf(e);
  const by = actor.name;
  switch (e.type) {
    case Events.RevisionLanded.type: {
      const d = e.data as RevisionLandedV1;
      const collapsed = d.landedWith ? ` (build of ${short(d.landedWith)})` : '';
      return { ...none, actor, revisions: [d.sha], revno: d.revno ?? null, summary: `${rev(d.revno, d.sha)} landed on ${d.branch}${collapsed}: ${firstLine(d.message)}` };
    }
    case Events.QaStatusChanged.type: {
      const d = e.data as QaStatusChangedV1;
      if (d.from === d.to && d.fixedBy) {
        return { ...none, actor, revisions: unique([d.sha, d.fixedBy]), revno: d.revno, summary: `r${d.revno} (${d.to}) linked to its fix ${short(d.fixedBy)} by ${d.by}` };
      }
      const fix = d.fixedBy ? `, fixed by ${short(d.fixedBy)}` : '';
      const note = d.note ? `: ${firstLine(d.note)}` : '';
      return { ...none, actor, revisions: unique([d.sha, d.fixedBy]), revno: d.revno, summary: `r${d.revno} marked ${d.to} by ${d.by}${d.from ? ` (was ${d.from})` : ''}${fix}${note}` };
    }
    case Events.QaPassed.type: {
      const d = e.data as QaPassedV1;
      const count = d.rangeCount ?? d.range.length;
      return {
        ...none, actor, revisions: unique([d.sha, ...d.range.map((r) => r.sha)]), revno: d.revno,
        summary: `r${d.revno} approved by QA: ${count} revision${count === 1 ? '' : 's'}${d.containsDbRevision ? ', with a schema change' : ''}`,
      };
    }
    case Events.ApprovalWithdrawn.type: {
      const d = e.data as ApprovalWithdrawnV1;
      return {
        ...none, actor, revisions: unique([d.withdrawnSha, d.cause.sha]), revno: d.withdrawnRevno,
        summary: `approval of r${d.withdrawnRevno} withdrawn: ${rev(d.cause.revno, d.cause.sha)} is ${d.causeStatus} (${d.by}); deployable now ${d.revno ? `r${d.revno}` : 'nothing'}`,
      };
    }
    case Events.ProductionQaChanged.type: {
      const d = e.data as ProductionQaChangedV1;
      return {
        ...none, actor, revisions: d.bad.map((b) => b.sha),
        summary: d.bad.length ? `production runs a bad revision: ${d.bad.map((b) => `r${b.revno}`).join(', ')}` : 'production runs no bad revision any more',
      };
    }
    case Events.QaTipMoved.type: {
      const d = e.data as QaTipMovedV1;
      return { ...none, actor, revisions: [d.sha], revno: d.revno, summary: `QA tip of ${d.branch} moved to r${d.revno}` };
    }
    case Events.Promoted.type: {
      const d = e.data as PromotedV1;
      const how = d.move ? `${d.move}, ` : '';
      return {
        ...none, actor, revisions: unique([d.toSha, d.approvedSha, ...d.revisions.map((r) => r.sha)]), revno: d.toRevno ?? null,
        summary: `${d.branch} moved to ${rev(d.toRevno, d.approvedSha ?? d.toSha)} (${how}${d.deployKind}, ${d.cause}${e.reason ? `: ${firstLine(e.reason)}` : ''})`,
      };
    }
    case Events.PromotionHeld.type: {
      const d = e.data as PromotionHeldV1;
      return { ...none, actor, revisions: [d.sha], revno: d.revno ?? null, summary: `promotion of ${rev(d.revno, d.sha)} held (${d.code}): ${firstLine(d.reason)}` };
    }
    case Events.DeployRequested.type: {
      const d = e.data as DeployRequestedV1;
      const where = [d.environment, d.wave && d.wave !== d.environment ? `wave ${d.wave}` : null, d.batch !== undefined ? `batch ${d.batch + 1}` : null].filter(Boolean).join(', ');
      return {
        ...none, actor, revisions: [d.revision], hosts: [d.host], rolloutId: d.rolloutId, revno: d.revno ?? null,
        summary: `deploy of ${rev(d.revno, d.revision)} to ${d.host} requested (${where}, ${d.kind})`,
      };
    }
    case Events.DeployReported.type: {
      const d = e.data as DeployReportedV1;
      const took = d.durationMs !== undefined ? ` in ${(d.durationMs / 1000).toFixed(1)} s` : '';
      return { ...none, actor, revisions: [d.revision], hosts: [d.host], rolloutId: d.rolloutId, summary: `${d.host}: deploy of ${short(d.revision)} ${d.status}${took}` };
    }
    case Events.RolloutChanged.type: {
      const d = e.data as RolloutChangedV1;
      const what = d.track === 'promoted' ? 'production' : d.track === 'qa-tip' ? 'QA' : 'manual';
      const batch = d.batches > 0 && d.status === 'in-progress' ? `, batch ${d.batch + 1} of ${d.batches}` : '';
      const skipped = d.skipped.length ? `; skipped ${d.skipped.map((s) => `${s.host} (${s.reason})`).join(', ')}` : '';
      const failure = d.failure && ['failed', 'blocked', 'cancelled'].includes(d.status) ? `: ${firstLine(d.failure)}` : '';
      return {
        ...none, actor, revisions: unique([d.revision, ...d.revisions]), hosts: unique([...(d.hosts ?? []), ...d.skipped.map((s) => s.host)]),
        rolloutId: d.rolloutId, track: d.track, revno: d.revno ?? null,
        summary: `${what} rollout of ${rev(d.revno, d.revision)} (${d.cause}, ${d.kind}) ${d.status}${batch}${failure}${skipped}`,
      };
    }
    case Events.ServerChanged.type: {
      const d = e.data as ServerChangedV1;
      const until = d.until ? ` until ${d.until}` : '';
      return { ...none, actor, hosts: [d.host], summary: `${d.host} ${d.change} by ${by}${until}${d.reason ? `: ${firstLine(d.reason)}` : ''}` };
    }
    case Events.RunningEverywhere.type: {
      const d = e.data as RunningEverywhereV1;
      const names = d.revisions.map((r) => rev(r.revno, r.sha));
      const listed = names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
      return { ...none, actor, revisions: d.revisions.map((r) => r.sha), summary: `${listed} ${names.length === 1 ? 'runs' : 'run'} on every production server` };
    }
    case Events.CowboyApplied.type: {
      const d = e.data as CowboyAppliedV1;
      const how = d.detected ? `found on ${d.host} by its agent` : `applied on ${d.host} by ${d.appliedBy}`;
      const fix = d.fixedBy ? `, fixed by ${short(d.fixedBy)}` : '';
      return {
        ...none, actor, revisions: unique([d.fixedBy]), hosts: [d.host],
        summary: `cowboy ${d.patchHash.slice(0, 12)} ${how} (${d.policy ?? 'hold'}${fix})${d.reason ? `: ${firstLine(d.reason)}` : ''}`,
      };
    }
    case Events.CowboyRemoved.type: {
      const d = e.data as CowboyRemovedV1;
      return { ...none, actor, revisions: unique([d.retiredByRevision]), hosts: [d.host], summary: `cowboy ${d.patchHash.slice(0, 12)} retired on ${d.host}: ${firstLine(d.reason)}` };
    }
    case Events.FlagChanged.type: {
      const d = e.data as FlagChangedV1;
      return { ...none, actor, summary: `flag${d.flags.length === 1 ? '' : 's'} ${d.flags.join(', ')} changed by ${d.by} (rules v${d.version}): ${firstLine(d.comment)}` };
    }
    case Events.TokenIssued.type: {
      const d = e.data as TokenIssuedV1;
      return { ...none, actor, hosts: unique([d.host]), summary: `token "${d.name}" issued to ${d.roles.join(', ')} by ${d.issuedBy}` };
    }
    case Events.TokenRevoked.type: {
      const d = e.data as TokenRevokedV1;
      return { ...none, actor, summary: `token ${d.tokenId} revoked by ${d.revokedBy}` };
    }
    default:
      return { ...none, actor, summary: `${e.type}${e.subject ? ` about ${e.subject}` : ''}` };
  }
}

/** What a dead letter says: which consumer refused which message, and why. */
export interface DeadLetter {
  consumer: string;
  reason: string;
  originalSubject: string;
  streamSequence: string;
  body: string;
}

/** The trail's reading of a dead letter. The refused message is kept as text, parsed where it can be. */
export function describeDeadLetter(d: DeadLetter): EntryFacts & { event: Record<string, unknown> } {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(d.body);
  } catch {
    parsed = null;
  }
  const envelope = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Partial<CloudEvent<object>>) : null;
  const actor: TrailActor = envelope?.actor && typeof envelope.actor === 'string'
    ? { name: envelope.actor.slice(0, 256), kind: 'token', roles: [] }
    : { name: 'unknown', kind: 'runway', roles: [] };
  if (envelope?.actorkind === 'agent' || envelope?.actorkind === 'runway') actor.kind = envelope.actorkind;
  return {
    ...none, actor,
    summary: `${d.consumer} refused a message on ${d.originalSubject}: ${firstLine(d.reason, 300)}`,
    event: {
      reason: d.reason, consumer: d.consumer, originalSubject: d.originalSubject, streamSequence: d.streamSequence,
      body: envelope ?? d.body.slice(0, 65536),
    },
  };
}
