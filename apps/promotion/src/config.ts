/** promotion's environment. */
import { Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { BRANCH_PATTERN } from '@runway/contracts';
import { CommonEnv } from '@runway/platform';

export class PromotionEnv extends CommonEnv {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(65535) override PORT = 3102;
  /** The branch production runs, which only this service moves. */
  @Matches(BRANCH_PATTERN) PRODUCTION_BRANCH = 'production-stable';
}
