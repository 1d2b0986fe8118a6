/** HTTP bodies of the flags API. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf,
} from 'class-validator';
import { FLAG_NAME, MAX_VALUE_LENGTH, VALUE_DOMAINS, type ValueDomain } from '@runway/sdk';

const MAX_TEXT = 2 * 1024 * 1024;

export class ReplaceRulesDto {
  @ApiProperty({ description: 'The whole rule set, one `flag scope priority value` per line', example: 'new-ui default 0 false\nnew-ui team:qa 10 true\n' })
  @IsString() @MaxLength(MAX_TEXT) text!: string;
  @ApiProperty({ description: 'Why: kept in the changelog' }) @IsString() @MinLength(3) @MaxLength(4096) comment!: string;
  @ApiPropertyOptional({ description: 'The version the edit started from; 409 if the rules moved since' })
  @IsOptional() @IsInt() @Min(0) expectedVersion?: number;
}

export class CheckRulesDto {
  @ApiProperty() @IsString() @MaxLength(MAX_TEXT) text!: string;
}

export class AddRuleDto {
  @ApiProperty({ example: 'team:qa' }) @IsString() @MinLength(1) @MaxLength(300) scope!: string;
  @ApiProperty() @IsInt() @Min(-999_999_999) @Max(999_999_999) priority!: number;
  @ApiProperty({ description: 'May be empty: "" is a value' }) @IsString() @MaxLength(MAX_VALUE_LENGTH) value!: string;
  @ApiProperty() @IsString() @MinLength(3) @MaxLength(4096) comment!: string;
}

export class UpdateRuleDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(300) scope?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(-999_999_999) @Max(999_999_999) priority?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(MAX_VALUE_LENGTH) value?: string;
  @ApiProperty() @IsString() @MinLength(3) @MaxLength(4096) comment!: string;
}

export class RemoveRuleDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(3) @MaxLength(4096) comment?: string;
}

export class FlagDocDto {
  @ApiProperty({ example: 'New navigation' }) @IsString() @MinLength(1) @MaxLength(200) title!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string;
  @ApiProperty({ enum: VALUE_DOMAINS }) @IsIn(VALUE_DOMAINS as unknown as string[]) domain!: ValueDomain;
  @ApiPropertyOptional({ description: 'The documented default: the value when no rule matches; null for none', nullable: true, type: String })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsString() @MaxLength(MAX_VALUE_LENGTH) default?: string | null;
  @ApiProperty() @IsString() @MinLength(3) @MaxLength(4096) comment!: string;
}

export class EvaluateDto {
  @ApiPropertyOptional({ description: 'targetingKey, user, userId, teams, server, pageId, script, and any attributes' })
  @IsOptional() @IsObject() context?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Only these flags' })
  @IsOptional() @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) @Matches(FLAG_NAME, { each: true, message: 'each flag must be a flag name' }) flags?: string[];
  @ApiPropertyOptional({ description: 'Also say, for each flag, which scopes were active and why each rule did or did not apply' })
  @IsOptional() @IsBoolean() explain?: boolean;
}

export class EvaluateOneDto {
  @ApiPropertyOptional() @IsOptional() @IsObject() context?: Record<string, unknown>;
}

export class UsageDto {
  @ApiProperty({ description: 'Evaluations per flag since the last report' })
  @IsObject() evaluations!: Record<string, number>;
  @ApiProperty() @IsArray() @ArrayMaxSize(10_000) @IsString({ each: true }) @MaxLength(200, { each: true }) undocumentedFlags!: string[];
  @ApiProperty() @IsArray() @ArrayMaxSize(10_000) @IsString({ each: true }) @MaxLength(300, { each: true }) undocumentedScopes!: string[];
}

export class ChangelogQuery {
  @IsOptional() @Matches(FLAG_NAME) flag?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) before?: number;
}
