/** Events about hot patches applied by hand to a server ("cowboys"). */
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { COWBOY_POLICIES, type CowboyPolicy } from '../vocabulary';
import { HOST_PATTERN, SHA_PATTERN } from './common';

export class CowboyAppliedV1 {
  @IsString() @Matches(HOST_PATTERN) host!: string;
  @IsString() @Matches(/^[0-9a-f]{7,128}$/) patchHash!: string;
  @IsOptional() @IsString() @MaxLength(4096) reason?: string;
  @IsString() @MaxLength(256) appliedBy!: string;
  @IsOptional() @IsString() @Matches(SHA_PATTERN) fixedBy?: string;
  @IsOptional() @IsIn(COWBOY_POLICIES) policy?: CowboyPolicy;
  /** True when an agent found the patch on disk without Runway having been told of it. */
  @IsBoolean() detected!: boolean;
}

export class CowboyRemovedV1 {
  @IsString() @Matches(HOST_PATTERN) host!: string;
  @IsString() @Matches(/^[0-9a-f]{7,128}$/) patchHash!: string;
  @IsString() @MaxLength(4096) reason!: string;
  @IsOptional() @IsString() @Matches(SHA_PATTERN) retiredByRevision?: string;
}
