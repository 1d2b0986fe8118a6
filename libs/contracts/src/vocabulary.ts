/**
 * The words events and HTTP answers share: QA statuses, deploy kinds, roles, promotion causes,
 * hold reasons and cowboy policies. Plain constants, without decorators, so the dashboard's
 * browser build can type-check the HTTP contracts that use them.
 */

export const QA_STATUSES = ['needs-testing', 'ok', 'bad', 'untestable', 'no-qa'] as const;
export type QaStatus = (typeof QA_STATUSES)[number];

export const DEPLOY_KINDS = ['no-downtime', 'downtime'] as const;
export type DeployKind = (typeof DEPLOY_KINDS)[number];

export const ROLES = ['viewer', 'qa', 'operator', 'flag-editor', 'sdk', 'agent', 'buildbot', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PROMOTION_CAUSES = ['qa-passed', 'security-fix', 'manual'] as const;
export type PromotionCause = (typeof PROMOTION_CAUSES)[number];

/** How production-stable moved. */
export const PROMOTION_MOVES = ['fast-forward', 'merge', 'adopted', 'record-only'] as const;
export type PromotionMove = (typeof PROMOTION_MOVES)[number];

/**
 * `merge-back-unknown`: production carries a security fix and, without a repository, Runway
 * cannot tell whether the approved revision has it, so it will not promote over it.
 */
export const HOLD_REASONS = ['locked', 'frozen', 'conflict', 'remote-moved', 'not-approved', 'merge-back-unknown'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

export const COWBOY_POLICIES = ['hold', 'carry'] as const;
export type CowboyPolicy = (typeof COWBOY_POLICIES)[number];

/**
 * Who made an event happen: a holder of an API token (a person or a script, named by the
 * token), an agent (named by its host), or Runway itself deciding from earlier events.
 */
export const ACTOR_KINDS = ['token', 'agent', 'runway'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export const ROLLOUT_STATES = [
  'queued', 'waiting-window', 'preflight', 'blocked', 'in-progress', 'paused', 'succeeded', 'failed', 'no-servers', 'superseded', 'cancelled',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
/** Where a rollout ends for good: it holds its track no longer. */
export const FINISHED_ROLLOUT_STATES: readonly RolloutState[] = ['succeeded', 'failed', 'no-servers', 'superseded', 'cancelled'];

/** Why a rollout exists: a promotion, a QA tip, an operator, or servers that fell behind (`catch-up`). */
export const ROLLOUT_CAUSES = ['promoted', 'qa-tip', 'manual', 'catch-up'] as const;
export type RolloutCause = (typeof ROLLOUT_CAUSES)[number];
/** The servers a rollout keeps current: production (`promoted`), the QA environments (`qa-tip`), or an operator's own (`manual`). */
export const ROLLOUT_TRACKS = ['promoted', 'qa-tip', 'manual'] as const;
export type RolloutTrack = (typeof ROLLOUT_TRACKS)[number];
