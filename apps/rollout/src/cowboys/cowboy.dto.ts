/** HTTP bodies of the cowboys API. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { COWBOY_POLICIES, type CowboyPolicy, HOST_PATTERN, SHA_PATTERN } from '@runway/contracts';

const PATCH_HASH = /^[0-9a-f]{7,128}$/;

export class RecordCowboyDto {
  @ApiProperty({ example: ['app1.lpnet', 'app2.lpnet'] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1000) @IsString({ each: true }) @Matches(HOST_PATTERN, { each: true, message: 'hosts must be host names' }) hosts!: string[];
  @ApiProperty({ description: 'Identity of the patch: a hash of its content' }) @IsString() @Matches(PATCH_HASH, { message: 'patchHash must be 7 to 128 hex digits' }) patchHash!: string;
  @ApiProperty({ example: 'Stop the search OOM until the fix lands' }) @IsString() @MinLength(3) @MaxLength(4096) reason!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(4096) description?: string;
  @ApiPropertyOptional({ enum: COWBOY_POLICIES, default: 'hold' }) @IsOptional() @IsIn(COWBOY_POLICIES) policy?: CowboyPolicy;
  @ApiPropertyOptional({ description: 'The revision that fixes it for good, if known' }) @IsOptional() @IsString() @Matches(SHA_PATTERN) fixedBy?: string;
}

export class UpdateCowboyDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(SHA_PATTERN, { message: 'fixedBy must be a sha' }) fixedBy?: string;
  @ApiPropertyOptional({ enum: COWBOY_POLICIES }) @IsOptional() @IsIn(COWBOY_POLICIES) policy?: CowboyPolicy;
}

export class RetireCowboyDto {
  @ApiProperty({ example: 'Removed by hand after the incident' }) @IsString() @MinLength(3) @MaxLength(4096) reason!: string;
}
