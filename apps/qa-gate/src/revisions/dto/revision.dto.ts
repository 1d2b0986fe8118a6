/** HTTP bodies and queries of the revisions API. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, MinLength,
} from 'class-validator';
import { BRANCH_PATTERN, LANDING_STATES, type LandingState, QA_STATUSES, type QaStatus, SHA_PATTERN } from '@runway/contracts';

const REVISION_REF = /^(r?\d{1,9}|[0-9a-f]{7,64})$/;
/** Revnos and build ids are Postgres integers. */
const PG_INT_MAX = 2147483647;

export class LandRevisionDto {
  @ApiProperty({ example: 'stable' }) @IsString() @Matches(BRANCH_PATTERN, { message: 'branch must be a git branch name' }) branch!: string;
  @ApiProperty({ example: '3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f901' })
  @IsString() @Matches(SHA_PATTERN, { message: 'sha must be 7 to 64 lower-case hex digits' }) sha!: string;
  @ApiPropertyOptional({ description: 'First-parent sequence number, if the sender knows it' })
  @IsOptional() @IsInt() @Min(1) @Max(PG_INT_MAX) revno?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(65536) message?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(256) author?: string;
  @ApiPropertyOptional({ description: 'When it landed; now if absent' }) @IsOptional() @IsISO8601({ strict: true }) landedAt?: string;
  @ApiPropertyOptional() @IsOptional() @IsUrl({ require_tld: false }) buildUrl?: string;
  @ApiPropertyOptional({ description: 'Changed paths, when no git repository is configured' })
  @IsOptional() @IsArray() @ArrayMaxSize(100000) @IsString({ each: true }) @MaxLength(4096, { each: true }) files?: string[];
}

export class SetQaStatusDto {
  @ApiProperty({ enum: QA_STATUSES }) @IsIn(QA_STATUSES) status!: QaStatus;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(4096) note?: string;
  @ApiPropertyOptional({ description: 'For bad: the revno or sha of the revision that fixes it' })
  @IsOptional() @IsString() @Matches(REVISION_REF, { message: 'fixedBy must be a revno or a sha' }) fixedBy?: string;
}

export class LinkFixDto {
  @ApiProperty({ description: 'The revno or sha of the later revision that fixes this one' })
  @IsString() @Matches(REVISION_REF, { message: 'fixedBy must be a revno or a sha' }) fixedBy!: string;
}

export class ListRevisionsQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(BRANCH_PATTERN) branch?: string;
  @ApiPropertyOptional({ enum: QA_STATUSES }) @IsOptional() @IsIn(QA_STATUSES) status?: QaStatus;
  @ApiPropertyOptional({ description: 'Only revisions landed at or after this time' }) @IsOptional() @IsISO8601({ strict: true }) since?: string;
  @ApiPropertyOptional({ default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit = 100;
  @ApiPropertyOptional({ description: 'Page: revisions below this revno (from `next.before`)' }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(PG_INT_MAX) before?: number;
}

export class DeployableQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(BRANCH_PATTERN) branch?: string;
}

export class ListLandingsQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(BRANCH_PATTERN) branch?: string;
  @ApiPropertyOptional({ enum: LANDING_STATES }) @IsOptional() @IsIn(LANDING_STATES) state?: LandingState;
  @ApiPropertyOptional({ default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit = 100;
  @ApiPropertyOptional({ description: 'Page: landings below this id (from `next.before`)' }) @IsOptional() @Matches(/^\d{1,18}$/) before?: string;
}

export class DismissLandingDto {
  @ApiProperty({ description: 'Why this landing is set aside (the branch was set right by hand, say)' })
  @IsString() @MinLength(1) @MaxLength(4096) reason!: string;
}
