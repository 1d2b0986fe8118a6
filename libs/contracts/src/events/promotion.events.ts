/** Events about production-stable moving, or refusing to move. */
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, MaxLength, Min, ValidateNested,
} from 'class-validator';
import {
  DEPLOY_KINDS, type DeployKind, HOLD_REASONS, type HoldReason, PROMOTION_CAUSES, PROMOTION_MOVES, type PromotionCause, type PromotionMove,
} from '../vocabulary';
import { BRANCH_PATTERN, RevisionRef, SHA_PATTERN } from './common';

export class PromotedV1 {
  @IsUUID() promotionId!: string;
  @IsString() @Matches(BRANCH_PATTERN) branch!: string;
  @IsOptional() @IsString() @Matches(SHA_PATTERN) fromSha?: string;
  @IsString() @Matches(SHA_PATTERN) toSha!: string;
  @IsOptional() @IsInt() @Min(1) toRevno?: number;
  @IsArray() @ArrayMaxSize(100000) @ValidateNested({ each: true }) @Type(() => RevisionRef) revisions!: RevisionRef[];
  @IsBoolean() containsDbRevision!: boolean;
  @IsIn(DEPLOY_KINDS) deployKind!: DeployKind;
  @IsIn(PROMOTION_CAUSES) cause!: PromotionCause;
  @IsArray() @ArrayMaxSize(10000) @IsString({ each: true }) @Matches(SHA_PATTERN, { each: true }) pendingMergeBack!: string[];
  /** How production-stable moved: fast-forward, a merge (it carries security fixes), adopted, or recorded only (absent before this was added). */
  @IsOptional() @IsIn(PROMOTION_MOVES) move?: PromotionMove;
  /** The revision promoted, when production-stable's new head is a merge commit made for it. */
  @IsOptional() @IsString() @Matches(SHA_PATTERN) approvedSha?: string;
}

export class PromotionHeldV1 {
  @IsString() @Matches(BRANCH_PATTERN) branch!: string;
  @IsString() @Matches(SHA_PATTERN) sha!: string;
  @IsOptional() @IsInt() @Min(1) revno?: number;
  @IsIn(HOLD_REASONS) code!: HoldReason;
  @IsString() @MaxLength(4096) reason!: string;
}
