/** promotion's environment. */
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { BRANCH_PATTERN, DEFAULT_SCHEMA_PATCH_GLOB } from '@runway/contracts';
import { CommonEnv } from '@runway/platform';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

export class PromotionEnv extends CommonEnv {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) override PORT = 3102;
  /** The branch production runs, which only this service moves. */
  @Matches(BRANCH_PATTERN) PRODUCTION_BRANCH = 'production-stable';
  /** The branch QA approves revisions of. */
  @Matches(BRANCH_PATTERN) QA_BRANCH = 'stable';
  /** Where security fixes land first; each goes to production at once. */
  @Matches(BRANCH_PATTERN) SECURITY_BRANCH = 'production-devel';
  /** The repository whose production branch Runway moves: a path or URL. Unset: promotions are only recorded. */
  @IsOptional() @IsString() @MinLength(1) PROMOTION_GIT_REMOTE?: string;
  @IsString() PROMOTION_GIT_WORKDIR = '.runway/promotion/git';
  @IsString() PROMOTION_GIT_AUTHOR_NAME = 'Runway';
  @IsString() PROMOTION_GIT_AUTHOR_EMAIL = 'runway@localhost';
  /**
   * Changed paths matching this glob make a promotion a downtime one: keep it the same as
   * qa-gate's QA_DB_PATCH_PATTERN.
   */
  @IsString() PROMOTION_DB_PATCH_PATTERN = DEFAULT_SCHEMA_PATCH_GLOB;
  /** When automatic promotion waits: `<ISO>/<ISO>` ranges and `weekly:Fri 16:00/Mon 08:00` windows, `;`-separated. */
  @IsString() PROMOTION_FREEZES = '';
  /** How often waiting approvals are looked at again (a lock expiring, a freeze ending, git back). */
  @Transform(toInt) @IsInt() @Min(1) PROMOTION_RETRY_SECONDS = 30;
  /**
   * How long an approval waits for the one before it (events can arrive out of order); after
   * that it goes, and its deploy is assumed to need downtime, since the missing range is unknown.
   */
  @Transform(toInt) @IsInt() @Min(0) PROMOTION_CHAIN_WAIT_SECONDS = 30;
}
