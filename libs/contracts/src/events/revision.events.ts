/** Events about revisions landing on a watched branch and their QA status. */
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { BRANCH_PATTERN, QA_STATUSES, type QaStatus, RevisionRef, SHA_PATTERN } from './common';

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
