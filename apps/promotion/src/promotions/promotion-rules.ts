/**
 * The rules of promotion that need no database: production never moves backwards or twice to
 * the same revision, and a range holding a schema change needs a downtime deploy.
 */
import type { DeployKind } from '@runway/contracts';

export interface Position {
  revno: number;
  sha: string;
}

export type PromotionDecision = { action: 'promote' } | { action: 'skip'; reason: string };

export function decidePromotion(current: Position | null, approved: Position): PromotionDecision {
  if (!current) return { action: 'promote' };
  if (approved.sha === current.sha) return { action: 'skip', reason: `production is already at r${current.revno}` };
  if (approved.revno <= current.revno) {
    return { action: 'skip', reason: `r${approved.revno} is behind production (r${current.revno}); production never moves backwards` };
  }
  return { action: 'promote' };
}

export function deployKindFor(containsDbRevision: boolean): DeployKind {
  return containsDbRevision ? 'downtime' : 'no-downtime';
}
