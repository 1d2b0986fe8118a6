/** Value shapes shared by several event payloads. */
import { IsBoolean, IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

/** A git object name: abbreviated (7+) or full SHA-1/SHA-256, lower-case hex. */
export const SHA_PATTERN = /^[0-9a-f]{7,64}$/;
/** A branch name as git allows it, without the oddities git refuses. */
export const BRANCH_PATTERN = /^(?!\/)(?!.*\/\/)(?!.*\.\.)[A-Za-z0-9._\/-]{1,200}(?<!\/)$/;
/** A host name (RFC 1123 labels). */
export const HOST_PATTERN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** One revision of a range (a promotion, a QA pass). */
export class RevisionRef {
  @IsString() @Matches(SHA_PATTERN) sha!: string;
  @IsOptional() @IsInt() @Min(1) revno?: number;
  @IsBoolean() db!: boolean;
  @IsOptional() @IsString() @MaxLength(500) summary?: string;
}
