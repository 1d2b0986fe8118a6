import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { HOST_PATTERN, SHA_PATTERN } from '@runway/contracts';

export class RegisterAgentDto {
  @ApiProperty({ example: 'app1.lpnet' }) @IsString() @Matches(HOST_PATTERN, { message: 'host must be a host name' }) host!: string;
  @ApiProperty({ example: 'lpnet' }) @IsString() @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/) environment!: string;
  @ApiPropertyOptional({ example: 'lpnet-1' }) @IsOptional() @IsString() @MaxLength(64) wave?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(SHA_PATTERN) runningRevision?: string;
  @ApiProperty({ example: '0.1.0' }) @IsString() @MaxLength(64) agentVersion!: string;
}

export class HoldServerDto {
  @ApiProperty({ example: 'cowboy 1f2e3d applied by hand; wait for r9421' }) @IsString() @MinLength(3) @MaxLength(4096) reason!: string;
  @ApiPropertyOptional({ description: 'Who the hold is for; the caller by default' }) @IsOptional() @IsString() @MaxLength(256) author?: string;
  @ApiPropertyOptional({ description: 'When the hold ends by itself' }) @IsOptional() @IsISO8601({ strict: true }) until?: string;
}
