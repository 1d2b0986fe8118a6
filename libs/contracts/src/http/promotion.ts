/**
 * promotion's answers: where production-stable stands and what waits for it, the promotions
 * made, locks, and security fixes with how each came back to stable.
 */
import { type Static, Type } from '@sinclair/typebox';
import { DEPLOY_KINDS, HOLD_REASONS, PROMOTION_CAUSES } from '../vocabulary';
import { Nullable, OneOf, Timestamp } from './common';
import { BadRevisionInProductionSchema, BadActorSchema } from './qa-gate';

/** A lock an operator put on automatic promotion, as `POST /locks` answers it. */
export const NewLockSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  reason: Type.String(),
  author: Type.String(),
  until: Nullable(Timestamp),
});
export type NewLock = Static<typeof NewLockSchema>;

/** A lock in force, as `GET /status` lists it. */
export const ActiveLockSchema = Type.Object({
  ...NewLockSchema.properties,
  created_by: Type.String(),
  created_at: Timestamp,
});
export type ActiveLock = Static<typeof ActiveLockSchema>;

export const MERGED_BACK_HOWS = ['ancestry', 'patch-id', 'operator'] as const;
export type MergedBackHow = (typeof MERGED_BACK_HOWS)[number];

/** A security fix: where it is, and how it came back to stable. */
export const SecurityFixSchema = Type.Object({
  sha: Type.String(),
  branch: Type.String(),
  reportedBy: Type.String(),
  reportedAt: Timestamp,
  promotedAt: Nullable(Timestamp),
  mergedBackAt: Nullable(Timestamp),
  mergedBackBy: Nullable(Type.String({ description: 'The first stable commit that contains it' })),
  mergedBackHow: Nullable(OneOf(MERGED_BACK_HOWS)),
  mergedBackNote: Nullable(Type.String({ description: 'The operator\'s note, for a merge-back an operator confirmed' })),
});
export type SecurityFix = Static<typeof SecurityFixSchema>;
export const SecurityFixListSchema = Type.Array(SecurityFixSchema);

/** An approval QA took back (a late bad mark, a mark back to needs-testing). */
export const WithdrawnApprovalSchema = Type.Object({
  sha: Type.String(),
  revno: Type.Integer(),
  approvedAt: Timestamp,
  withdrawnAt: Nullable(Timestamp),
  reason: Nullable(Type.String()),
});
export type WithdrawnApproval = Static<typeof WithdrawnApprovalSchema>;

/** `GET /status`: production-stable, what waits (approvals, locks, freezes, holds), and fixes awaiting merge-back. */
export const PromotionStatusSchema = Type.Object({
  branch: Type.String(),
  repository: Nullable(Type.String()),
  productionStable: Nullable(Type.Object({
    sha: Type.String(), revno: Nullable(Type.Integer()), since: Timestamp, promotionId: Type.String({ format: 'uuid' }),
  })),
  automaticPromotion: OneOf(['on', 'locked', 'frozen']),
  locks: Type.Array(ActiveLockSchema),
  freeze: Nullable(Type.Object({ spec: Type.String(), until: Timestamp })),
  pendingApprovals: Type.Array(Type.Object({ sha: Type.String(), revno: Type.Integer(), approvedAt: Timestamp, containsDb: Type.Boolean() })),
  waiting: Nullable(Type.Object({ newest: Type.Integer(), count: Type.Integer() })),
  withdrawnApprovals: Type.Array(WithdrawnApprovalSchema, { description: 'Newest first' }),
  pendingMergeBack: Type.Array(Type.Object({
    sha: Type.String(),
    reportedAt: Timestamp,
    promotedAt: Nullable(Timestamp),
    ageSeconds: Type.Integer(),
    detection: Type.Optional(Type.String({ description: 'Only without a repository: how a merge-back can be known at all' })),
  })),
  recentlyMergedBack: Type.Array(SecurityFixSchema, { description: 'The last fixes merged back, newest first' }),
  productionRunsBad: Nullable(Type.Object({
    revisions: Type.Array(BadRevisionInProductionSchema),
    actor: BadActorSchema,
    reason: Type.String(),
    since: Nullable(Timestamp),
    productionRevno: Nullable(Type.Integer()),
  })),
  lastHold: Nullable(Type.Object({
    sha: Type.String(), revno: Nullable(Type.Integer()), code: OneOf(HOLD_REASONS), reason: Type.String(), created_at: Timestamp,
  })),
  gitError: Nullable(Type.Object({ at: Timestamp, message: Type.String() })),
});
export type PromotionStatus = Static<typeof PromotionStatusSchema>;

export const RevisionRefSchema = Type.Object({
  sha: Type.String(),
  revno: Type.Optional(Type.Integer()),
  db: Type.Boolean(),
  summary: Type.Optional(Type.String()),
});

/** A move of production-stable, newest first in `GET /promotions`. */
export const PromotionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  branch: Type.String(),
  fromSha: Nullable(Type.String()),
  fromRevno: Nullable(Type.Integer()),
  toSha: Type.String(),
  toRevno: Nullable(Type.Integer()),
  cause: OneOf(PROMOTION_CAUSES),
  revisions: Type.Array(RevisionRefSchema),
  containsDb: Type.Boolean(),
  deployKind: OneOf(DEPLOY_KINDS),
  requestedBy: Type.String(),
  kind: OneOf(['fast-forward', 'merge', 'adopted', 'record-only']),
  pushedSha: Nullable(Type.String({ description: 'What production-stable points at afterwards (the merge commit, for a merge)' })),
  forced: Type.Boolean(),
  reason: Nullable(Type.String()),
  createdAt: Timestamp,
});
export type Promotion = Static<typeof PromotionSchema>;
export const PromotionListSchema = Type.Array(PromotionSchema);

/** `POST /promotions`: the commit production-stable now points at; null when it already held the revision. */
export const PromotedSchema = Type.Object({ promoted: Nullable(Type.String()) });
export type Promoted = Static<typeof PromotedSchema>;
