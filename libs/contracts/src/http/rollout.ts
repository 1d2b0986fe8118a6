/**
 * rollout's answers: servers as agents registered them and as Runway sees them (reachable,
 * held, drifted, what they should run), rollouts and their deploys, cowboys, and lead time.
 */
import { type Static, Type } from '@sinclair/typebox';
import { COWBOY_POLICIES, DEPLOY_KINDS, ROLLOUT_CAUSES, ROLLOUT_STATES } from '../vocabulary';
import { Nullable, OneOf, Timestamp } from './common';

/** `skipped`: decided against when its batch went out (held, unreachable, a hold cowboy); its reason is in `outputTail`. */
export const DEPLOY_STATES = ['pending', 'requested', 'started', 'succeeded', 'failed', 'rolled-back', 'cancelled', 'skipped'] as const;
export type DeployState = (typeof DEPLOY_STATES)[number];

/** A server as its agent registered it (`POST /agents/register`). */
export const ServerRecordSchema = Type.Object({
  host: Type.String(),
  environment: Type.String(),
  wave: Nullable(Type.String()),
  runningRevision: Nullable(Type.String()),
  agentVersion: Type.String(),
  registeredBy: Type.String(),
  registeredAt: Timestamp,
  lastHeartbeatAt: Nullable(Timestamp),
  deregisteredAt: Type.Optional(Nullable(Timestamp)),
  deregisteredBy: Type.Optional(Nullable(Type.String())),
  runningSince: Type.Optional(Nullable(Timestamp)),
  lastDeployedRevision: Type.Optional(Nullable(Type.String({ description: 'What Runway last put on it; running anything else is drift' }))),
  pinnedRevision: Type.Optional(Nullable(Type.String({ description: 'An operator\'s manual rollout to it, until its track rolls out something newer' }))),
  pinnedAt: Type.Optional(Nullable(Timestamp)),
  driftSince: Type.Optional(Nullable(Timestamp)),
});
export type ServerRecord = Static<typeof ServerRecordSchema>;

/** An operator's hold on a server, as `PUT /servers/{host}/hold` answers it. */
export const NewHoldSchema = Type.Object({
  host: Type.String(),
  reason: Type.String(),
  author: Type.String(),
  until: Nullable(Timestamp),
});
export type NewHold = Static<typeof NewHoldSchema>;

export const ServerHoldSchema = Type.Object({ ...NewHoldSchema.properties, createdAt: Timestamp });
export type ServerHold = Static<typeof ServerHoldSchema>;

/** The deploy on its way to a server, and when rollout fails it if the agent never reports. */
export const InFlightSchema = Type.Object({
  rolloutId: Type.String({ format: 'uuid' }),
  deployId: Type.String({ format: 'uuid' }),
  revision: Type.String(),
  status: OneOf(DEPLOY_STATES),
  requestedAt: Timestamp,
  deadlineAt: Nullable(Timestamp),
});
export type InFlight = Static<typeof InFlightSchema>;

/** A server as `GET /servers` shows it: reachable or not, held or not, what it should run, and any drift. */
export const ServerSchema = Type.Object({
  ...ServerRecordSchema.properties,
  heartbeatAgeSeconds: Nullable(Type.Integer()),
  reachable: Type.Boolean(),
  hold: Nullable(ServerHoldSchema),
  track: OneOf(['promoted', 'qa-tip']),
  desiredRevision: Nullable(Type.String({ description: 'What it should run: its track\'s last rollout, or an operator\'s later pin' })),
  drift: Nullable(Type.Object({ expected: Nullable(Type.String()), running: Nullable(Type.String()), since: Nullable(Timestamp) })),
  deploying: Nullable(InFlightSchema),
});
export type Server = Static<typeof ServerSchema>;
export const ServerListSchema = Type.Array(ServerSchema);

/** `POST /servers/{host}/deregister`. */
export const DeregisteredSchema = Type.Object({ host: Type.String(), deregisteredBy: Type.String(), reason: Type.String() });
export type Deregistered = Static<typeof DeregisteredSchema>;

export const RolloutSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sourceId: Type.String({ description: 'The promotion, or the qa-tip-moved event, it carries out' }),
  cause: OneOf(ROLLOUT_CAUSES),
  track: OneOf(['promoted', 'qa-tip', 'manual']),
  hosts: Nullable(Type.Array(Type.String(), { description: 'The servers it is for, when not its whole track' })),
  cancelledBy: Nullable(Type.String()),
  toSha: Type.String(),
  toRevno: Nullable(Type.Integer()),
  kind: OneOf(DEPLOY_KINDS),
  status: OneOf(ROLLOUT_STATES),
  batches: Type.Integer(),
  currentBatch: Type.Integer(),
  scheduledFor: Nullable(Timestamp),
  failure: Nullable(Type.String()),
  pausedFrom: Nullable(OneOf(ROLLOUT_STATES)),
  pausedBy: Nullable(Type.String()),
  skipped: Type.Array(Type.Object({ host: Type.String(), reason: Type.String() })),
  revisions: Type.Array(Type.String(), { description: 'The revisions it brings to production, for lead time' }),
  createdAt: Timestamp,
  startedAt: Nullable(Timestamp),
  finishedAt: Nullable(Timestamp),
});
export type Rollout = Static<typeof RolloutSchema>;
export const RolloutListSchema = Type.Array(RolloutSchema);

export const DeploySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  rolloutId: Type.String({ format: 'uuid' }),
  host: Type.String(),
  batch: Type.Integer(),
  wave: Nullable(Type.String()),
  revision: Type.String(),
  previousRevision: Nullable(Type.String()),
  status: OneOf(DEPLOY_STATES),
  outputTail: Nullable(Type.String()),
  requestedAt: Timestamp,
  updatedAt: Timestamp,
  deadlineAt: Nullable(Timestamp),
});
export type Deploy = Static<typeof DeploySchema>;

/** `GET /rollouts/{id}`: a rollout with its deploys. */
export const RolloutDetailSchema = Type.Object({ ...RolloutSchema.properties, deploys: Type.Array(DeploySchema) });
export type RolloutDetail = Static<typeof RolloutDetailSchema>;

/** A hot patch applied by hand to a server. */
export const CowboySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  host: Type.String(),
  patchHash: Type.String(),
  description: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  appliedBy: Type.String(),
  appliedAt: Timestamp,
  policy: OneOf(COWBOY_POLICIES),
  fixedBy: Nullable(Type.String()),
  detected: Type.Boolean({ description: 'Found by the agent\'s scan, not recorded by an operator' }),
  status: OneOf(['applied', 'retired']),
  retiredAt: Nullable(Timestamp),
  retiredByRevision: Nullable(Type.String()),
  retiredReason: Nullable(Type.String()),
});
export type Cowboy = Static<typeof CowboySchema>;
export const CowboyListSchema = Type.Array(CowboySchema);

/** `GET /preflight/cowboys`: `clean` only when no cowboy is applied anywhere. */
export const PreflightSchema = Type.Object({
  clean: Type.Boolean(),
  count: Type.Integer(),
  hosts: Type.Array(Type.String()),
  cowboys: Type.Array(CowboySchema),
});
export type Preflight = Static<typeof PreflightSchema>;

const StageSeconds = Type.Object({
  landedToQaPassed: Nullable(Type.Number()),
  qaPassedToPromoted: Nullable(Type.Number()),
  promotedToDeployed: Nullable(Type.Number()),
  landedToDeployed: Nullable(Type.Number()),
});
const StageSummary = Type.Object({ count: Type.Integer(), p50Seconds: Nullable(Type.Number()), p90Seconds: Nullable(Type.Number()) });
export type LeadTimeStage = keyof Static<typeof StageSeconds>;

/** `GET /lead-time`: each revision's stages, p50 and p90 of each; one not running everywhere yet says which servers it waits for. */
export const LeadTimeSchema = Type.Object({
  stages: Type.Object({
    landedToQaPassed: StageSummary,
    qaPassedToPromoted: StageSummary,
    promotedToDeployed: StageSummary,
    landedToDeployed: StageSummary,
  }),
  revisions: Type.Array(Type.Object({
    sha: Type.String(),
    revno: Nullable(Type.Integer()),
    landedAt: Nullable(Timestamp),
    qaPassedAt: Nullable(Timestamp),
    promotedAt: Nullable(Timestamp),
    deployedAt: Nullable(Timestamp),
    seconds: StageSeconds,
    pendingOn: Type.Optional(Type.Array(Type.Object({ host: Type.String(), why: Type.String() }), {
      description: 'A promoted revision not running everywhere yet: the servers it waits for, and why',
    })),
  })),
});
export type LeadTime = Static<typeof LeadTimeSchema>;
