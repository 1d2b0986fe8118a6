/** HTTP bodies of the promotion API. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { SHA_PATTERN } from '@runway/contracts';

export class PromoteDto {
  @ApiProperty({ description: 'A revno (42 or r42) of the QA branch, or a sha' })
  @IsString() @Matches(/^(r?\d{1,9}|[0-9a-f]{7,64})$/, { message: 'revision must be a revno or a sha' }) revision!: string;
  @ApiPropertyOptional({ description: 'Promote even though QA has not approved it (audited; needs a reason)' }) @IsOptional() @IsBoolean() force?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(3) @MaxLength(4096) reason?: string;
}

export class LockDto {
  @ApiProperty({ example: 'Incident 1234: database failover in progress' }) @IsString() @MinLength(3) @MaxLength(4096) reason!: string;
  @ApiPropertyOptional({ description: 'Who the lock is for; the caller by default' }) @IsOptional() @IsString() @MaxLength(256) author?: string;
  @ApiPropertyOptional({ description: 'When the lock ends by itself' }) @IsOptional() @IsISO8601({ strict: true }) until?: string;
}

export class SecurityFixDto {
  @ApiProperty() @IsString() @Matches(SHA_PATTERN, { message: 'sha must be 7 to 64 lower-case hex digits' }) sha!: string;
}

export class MergedBackDto {
  @ApiProperty({ example: 'reworked by hand in r4521; git cannot see it' }) @IsString() @MinLength(3) @MaxLength(4096) reason!: string;
}
