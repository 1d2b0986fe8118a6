/** Events about revisions landing on a watched branch and their QA status. */
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { QA_STATUSES, type QaStatus } from '../vocabulary';
import { BRANCH_PATTERN, RevisionRef, SHA_PATTERN } from './common';

export class RevisionLandedV1 {
  @IsString() @Matches(BRANCH_PATTERN) branch!: string;
  @IsString() @Matches(SHA_PATTERN) sha!: string;
  /** First-parent sequence number on the branch, when the sender knows it. */
  @IsOptional() @IsInt() @Min(1) @Max(2147483647) revno?: number;
  @IsOptional() @IsString() @MaxLength(65536) message?: string;
  @IsOptional() @IsString() @MaxLength(256) author?: string;
  @IsISO8601({ strict: true }) landedAt!: string;
  @IsOptional() @IsUrl({ require_tld: false }) buildUrl?: string;
  @IsOptional() @IsString() @MaxLength(64) reportedBy?: string;
  /** Paths the revision changed, when the sender knows them (git enrichment fills them otherwise). */
  @IsOptional() @IsArray() @ArrayMaxSize(100000) @IsString({ each: true }) @MaxLength(4096, { each: true }) files?: string[];
  @IsOptional() @IsInt() @Min(0) @Max(2147483647) buildId?: number;
  /**
   * The sha the landing reported, when it covered several first-parent commits (buildbot
   * collapses builds): each of them is announced on its own, naming the landing that brought it.
   */
  @IsOptional() @IsString() @Matches(SHA_PATTERN) landedWith?: string;
  /**
   * For a merge: the commits it brought to the branch (those its first parent lacks), so a
   * fix made on a merged branch is known to be in this revision and every later one.
   */
  @IsOptional() @IsArray() @ArrayMaxSize(10000) @IsString({ each: true }) @Matches(SHA_PATTERN, { each: true }) brings?: string[];
}

export class QaStatusChangedV1 {
  @IsString() @Matches(BRANCH_PATTERN) branch!: string;
  @IsString() @Matches(SHA_PATTERN) sha!: string;
  @IsInt() @Min(1) revno!: number;
  @IsOptional() @IsIn(QA_STATUSES) from?: QaStatus;
  @IsIn(QA_STATUSES) to!: QaStatus;
  @IsString() @MaxLength(256) by!: string;
  @IsOptional() @IsString() @MaxLength(4096) note?: string;
  @IsOptional() @IsString() @Matches(SHA_PATTERN) fixedBy?: string;
}

export class QaPassedV1 {
  @IsString() @Matches(BRANCH_PATTERN) branch!: string;
  @IsString() @Matches(SHA_PATTERN) sha!: string;
  @IsInt() @Min(1) revno!: number;
  /** The deployable revision before this one, if there was one. */
  @IsOptional() @IsString() @Matches(SHA_PATTERN) previousSha?: string;
  /** The revisions since the previous deployable one; long ranges keep the newest and every DB one. */
  @IsArray() @ArrayMaxSize(100000) @ValidateNested({ each: true }) @Type(() => RevisionRef) range!: RevisionRef[];
  /** How many revisions the range really holds, when `range` was shortened. */
  @IsOptional() @IsInt() @Min(0) rangeCount?: number;
  @IsBoolean() containsDbRevision!: boolean;
  /**
   * qa-gate's decision number on this branch: every approval and every withdrawal takes the
   * next one, so a consumer can tell which came later whatever order they arrive in.
   */
  @IsOptional() @IsInt() @Min(1) seq?: number;
}

/**
 * A mark moved the deployable revision backwards (a revision at or below it turned `bad` with
 * no passing fix at or below it, or back to `needs-testing`): every approval above `revno` that
 * was given before `seq` no longer holds. The revision that is deployable now is approved by
 * this very event, with its range from the last promoted revision, as a `qa-passed` would.
 */
export class ApprovalWithdrawnV1 {
  @IsString() @Matches(BRANCH_PATTERN) branch!: string;
  @IsInt() @Min(1) seq!: number;
  /** The deployable revision now; absent when nothing above the last promoted one is. */
  @IsOptional() @IsInt() @Min(1) revno?: number;
  @IsOptional() @IsString() @Matches(SHA_PATTERN) sha?: string;
  /** The last promoted revision, as qa-gate knows it: where `range` starts from. */
  @IsOptional() @IsString() @Matches(SHA_PATTERN) previousSha?: string;
  /** The revisions above the last promoted one up to `revno`; long ranges keep the newest and every DB one. */
  @IsArray() @ArrayMaxSize(100000) @ValidateNested({ each: true }) @Type(() => RevisionRef) range!: RevisionRef[];
  @IsBoolean() containsDbRevision!: boolean;
  /** The deployable revision that was approved before. */
  @IsInt() @Min(1) withdrawnRevno!: number;
  @IsString() @Matches(SHA_PATTERN) withdrawnSha!: string;
  /** The revision whose mark caused it, its status now, and who marked it. */
  @ValidateNested() @Type(() => RevisionRef) cause!: RevisionRef;
  @IsIn(QA_STATUSES) causeStatus!: QaStatus;
  @IsString() @MaxLength(256) by!: string;
  @IsString() @MaxLength(4096) reason!: string;
}

/** One revision production runs that QA found bad, and what would make it right. */
export class BadInProduction {
  @IsString() @Matches(SHA_PATTERN) sha!: string;
  @IsInt() @Min(1) revno!: number;
  /** Its fix, when one has landed. */
  @IsOptional() @IsInt() @Min(1) fixedByRevno?: number;
  @IsString() @MaxLength(1000) reason!: string;
  /** Who must act: a developer (land a fix), QA (test the fix), or an operator (promote the fix, or roll back). */
  @IsIn(['developer', 'qa', 'operator']) actor!: 'developer' | 'qa' | 'operator';
}

/**
 * What qa-gate knows of production's QA state changed: the revisions production runs that are
 * bad with no passing fix in production. An empty list says production is clean again.
 */
export class ProductionQaChangedV1 {
  @IsString() @Matches(BRANCH_PATTERN) branch!: string;
  @IsInt() @Min(1) seq!: number;
  /** The stable revision production runs, as qa-gate knows it. */
  @IsOptional() @IsInt() @Min(1) productionRevno?: number;
  @IsOptional() @IsString() @Matches(SHA_PATTERN) productionSha?: string;
  @IsArray() @ArrayMaxSize(10000) @ValidateNested({ each: true }) @Type(() => BadInProduction) bad!: BadInProduction[];
}

/** The tip of the QA branch moved: the QA environments (qastaging, edge) should run it. */
export class QaTipMovedV1 {
  @IsString() @Matches(BRANCH_PATTERN) branch!: string;
  @IsString() @Matches(SHA_PATTERN) sha!: string;
  @IsInt() @Min(1) revno!: number;
  @IsOptional() @IsString() @Matches(SHA_PATTERN) previousSha?: string;
  /** Whether any revision since the previous tip changes the schema. */
  @IsBoolean() containsDbRevision!: boolean;
}
