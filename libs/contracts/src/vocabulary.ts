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

/**
 * `merge-back-unknown`: production carries a security fix and, without a repository, Runway
 * cannot tell whether the approved revision has it, so it will not promote over it.
 */
export const HOLD_REASONS = ['locked', 'frozen', 'conflict', 'remote-moved', 'not-approved', 'merge-back-unknown'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

export const COWBOY_POLICIES = ['hold', 'carry'] as const;
export type CowboyPolicy = (typeof COWBOY_POLICIES)[number];
