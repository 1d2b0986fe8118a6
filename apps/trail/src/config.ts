/** trail's environment. */
import { Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { BRANCH_PATTERN } from '@runway/contracts';
import { CommonEnv } from '@runway/platform';

export class TrailEnv extends CommonEnv {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(65535) override PORT = 3105;
  /** The branch whose revnos `r<N>` names in `GET /story` (the QA branch). */
  @Matches(BRANCH_PATTERN) QA_BRANCH = 'stable';
  /** The most events written in one transaction when many arrive together. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(10_000) TRAIL_BATCH_SIZE = 500;
  /** How long entries are kept, in days (0: for ever). A revision's story is trimmed whole. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(36_500) TRAIL_RETENTION_DAYS = 0;
}
