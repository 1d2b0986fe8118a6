/**
 * The catalogue: every event Runway publishes, its versioned CloudEvents `type`, its payload
 * class, and the key that becomes the last token of its NATS subject (so a consumer can filter
 * on one host or one branch). A breaking change adds a `.v2` entry beside the `.v1` one.
 */
import {
  AgentHeartbeatV1, DeployProgressV1, DeployReportedV1, DeployRequestedV1, RolloutChangedV1, RunningEverywhereV1, ServerChangedV1,
} from './events/rollout.events';
import { CowboyAppliedV1, CowboyRemovedV1 } from './events/cowboy.events';
import { FlagChangedV1 } from './events/flag.events';
import { PromotedV1, PromotionHeldV1 } from './events/promotion.events';
import { ApprovalWithdrawnV1, ProductionQaChangedV1, QaPassedV1, QaStatusChangedV1, QaTipMovedV1, RevisionLandedV1 } from './events/revision.events';
import { TokenIssuedV1, TokenRevokedV1 } from './events/auth.events';

/**
 * `events` are the durable record (kept for weeks); `telemetry` (heartbeats) is kept for an
 * hour, in its own stream, so chatter never crowds out the history that matters.
 */
export type EventChannel = 'events' | 'telemetry';

export interface EventDefinition<T extends object> {
  readonly name: string;
  readonly channel: EventChannel;
  readonly type: string;
  readonly payload: new () => T;
  /** The subject key: an entity the event is about (a branch, a host, a flag). */
  readonly key: (data: T) => string;
}

function define<T extends object>(
  name: string, type: string, payload: new () => T, key: (data: T) => string, channel: EventChannel = 'events',
): EventDefinition<T> {
  return { name, channel, type, payload, key };
}

export const Events = {
  RevisionLanded: define('revision-landed', 'runway.revision.landed.v1', RevisionLandedV1, (d) => d.branch),
  QaStatusChanged: define('qa-status-changed', 'runway.qa.status-changed.v1', QaStatusChangedV1, (d) => d.branch),
  QaPassed: define('qa-passed', 'runway.qa.passed.v1', QaPassedV1, (d) => d.branch),
  ApprovalWithdrawn: define('approval-withdrawn', 'runway.qa.approval-withdrawn.v1', ApprovalWithdrawnV1, (d) => d.branch),
  ProductionQaChanged: define('production-qa-changed', 'runway.qa.production-qa-changed.v1', ProductionQaChangedV1, (d) => d.branch),
  QaTipMoved: define('qa-tip-moved', 'runway.qa.tip-moved.v1', QaTipMovedV1, (d) => d.branch),
  Promoted: define('promoted', 'runway.promotion.promoted.v1', PromotedV1, (d) => d.branch),
  PromotionHeld: define('promotion-held', 'runway.promotion.held.v1', PromotionHeldV1, (d) => d.branch),
  DeployRequested: define('deploy-requested', 'runway.deploy.requested.v1', DeployRequestedV1, (d) => d.host),
  DeployReported: define('deploy-reported', 'runway.deploy.reported.v1', DeployReportedV1, (d) => d.host),
  DeployProgress: define('deploy-progress', 'runway.deploy.progress.v1', DeployProgressV1, (d) => d.host, 'telemetry'),
  RolloutChanged: define('rollout-changed', 'runway.rollout.changed.v1', RolloutChangedV1, (d) => d.track),
  ServerChanged: define('server-changed', 'runway.server.changed.v1', ServerChangedV1, (d) => d.host),
  RunningEverywhere: define('running-everywhere', 'runway.revision.running-everywhere.v1', RunningEverywhereV1, () => 'production'),
  CowboyApplied: define('cowboy-applied', 'runway.cowboy.applied.v1', CowboyAppliedV1, (d) => d.host),
  CowboyRemoved: define('cowboy-removed', 'runway.cowboy.removed.v1', CowboyRemovedV1, (d) => d.host),
  AgentHeartbeat: define('agent-heartbeat', 'runway.agent.heartbeat.v1', AgentHeartbeatV1, (d) => d.host, 'telemetry'),
  FlagChanged: define('flag-changed', 'runway.flag.changed.v1', FlagChangedV1, () => 'rules'),
  TokenIssued: define('token-issued', 'runway.token.issued.v1', TokenIssuedV1, () => 'registry'),
  TokenRevoked: define('token-revoked', 'runway.token.revoked.v1', TokenRevokedV1, () => 'registry'),
} as const;

export type EventName = keyof typeof Events;
export type PayloadOf<E> = E extends EventDefinition<infer T> ? T : never;

const byType = new Map<string, EventDefinition<object>>(
  Object.values(Events).map((e) => [e.type, e as unknown as EventDefinition<object>]),
);

export function eventDefinitionOf(type: string): EventDefinition<object> | undefined {
  return byType.get(type);
}

export function allEventDefinitions(): EventDefinition<object>[] {
  return [...byType.values()];
}
