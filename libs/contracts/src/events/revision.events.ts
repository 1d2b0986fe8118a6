/** Events about revisions landing on a watched branch and their QA status. */
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUrl, Matches, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { BRANCH_PATTERN, QA_STATUSES, type QaStatus, RevisionRef, SHA_PATTERN } from './common';

export class RevisionLandedV1 {
  @IsString() @Matches(BRANCH_PATTERN) branch!: string;
  @IsString() @Matches(SHA_PATTERN) sha!: string;
  /** First-parent sequence number on the branch, when the sender knows it. */
  @IsOptional() @IsInt() @Min(1) revno?: number;
  @IsOptional() @IsString() @MaxLength(65536) message?: string;
  @IsOptional() @IsString() @MaxLength(256) author?: string;
  @IsISO8601({ strict: true }) landedAt!: string;
  @IsOptional() @IsUrl({ require_tld: false }) buildUrl?: string;
  @IsOptional() @IsString() @MaxLength(64) reportedBy?: string;
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
  @IsArray() @ArrayMaxSize(100000) @ValidateNested({ each: true }) @Type(() => RevisionRef) range!: RevisionRef[];
  @IsBoolean() containsDbRevision!: boolean;
}
