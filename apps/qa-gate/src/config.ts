/** qa-gate's environment. */
import { Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { BRANCH_PATTERN } from '@runway/contracts';
import { CommonEnv } from '@runway/platform';

export class QaGateEnv extends CommonEnv {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(65535) override PORT = 3101;
  /** The branch buildbot lands tested revisions on, whose deployable revision qa-gate computes. */
  @Matches(BRANCH_PATTERN) QA_BRANCH = 'stable';
}
