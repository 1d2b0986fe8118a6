import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { DEPLOY_KINDS, type DeployKind, HOST_PATTERN, SHA_PATTERN } from '@runway/contracts';

export class RegisterAgentDto {
  @ApiProperty({ example: 'app1.lpnet' }) @IsString() @Matches(HOST_PATTERN, { message: 'host must be a host name' }) host!: string;
  @ApiProperty({ example: 'lpnet' }) @IsString() @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/) environment!: string;
  @ApiPropertyOptional({ example: 'lpnet-1' }) @IsOptional() @IsString() @MaxLength(64) wave?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(SHA_PATTERN) runningRevision?: string;
  @ApiProperty({ example: '0.1.0' }) @IsString() @MaxLength(64) agentVersion!: string;
}

export class ManualRolloutDto {
  @ApiProperty({ description: 'The revision to put on the servers: the one they run (a redeploy) or an older one (a rollback)' })
  @IsString() @Matches(SHA_PATTERN, { message: 'revision must be 7 to 64 lower-case hex digits' }) revision!: string;
  @ApiPropertyOptional({ description: 'Only these servers; every production server when absent' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10000) @IsString({ each: true }) @Matches(HOST_PATTERN, { each: true, message: 'hosts must be host names' }) hosts?: string[];
  @ApiPropertyOptional({ enum: DEPLOY_KINDS, default: 'no-downtime' }) @IsOptional() @IsIn(DEPLOY_KINDS) kind?: DeployKind;
  @ApiProperty({ example: 'Roll back the search regression' }) @IsString() @MinLength(3) @MaxLength(4096) reason!: string;
}

export class HoldServerDto {
  @ApiProperty({ example: 'cowboy 1f2e3d applied by hand; wait for r9421' }) @IsString() @MinLength(3) @MaxLength(4096) reason!: string;
  @ApiPropertyOptional({ description: 'Who the hold is for; the caller by default' }) @IsOptional() @IsString() @MaxLength(256) author?: string;
  @ApiPropertyOptional({ description: 'When the hold ends by itself' }) @IsOptional() @IsISO8601({ strict: true }) until?: string;
}

/** Why an operator cancels a rollout, or deregisters a server: kept, and shown. */
export class ReasonDto {
  @ApiProperty({ example: 'app3 died mid-deploy; replaced by app7' }) @IsString() @MinLength(3) @MaxLength(4096) reason!: string;
}
