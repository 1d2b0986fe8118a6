/** qa-gate's environment. */
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { BRANCH_PATTERN, DEFAULT_SCHEMA_PATCH_GLOB } from '@runway/contracts';
import { CommonEnv } from '@runway/platform';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

export class QaGateEnv extends CommonEnv {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) override PORT = 3101;
  /** The branch buildbot lands tested revisions on, whose deployable revision qa-gate computes. */
  @Matches(BRANCH_PATTERN) QA_BRANCH = 'stable';
  /** Other branches whose landings are recorded (security fixes land on production-devel). */
  @Matches(/^([A-Za-z0-9._\/-]+(,[A-Za-z0-9._\/-]+)*)?$/) QA_OTHER_BRANCHES = 'production-devel';
  /** The git repository to read landed commits from: a path or a URL. Unset: no enrichment. */
  @IsOptional() @IsString() @MinLength(1) QA_GIT_REPOSITORY?: string;
  /** Where qa-gate keeps its mirror of that repository. */
  @IsString() QA_GIT_CACHE_DIR = '.runway/qa-gate/git';
  /** Changed paths matching this glob make a DB revision. */
  @IsString() QA_DB_PATCH_PATTERN = DEFAULT_SCHEMA_PATCH_GLOB;
  /** How long to wait before reading a commit again after git could not give it. */
  @Transform(toInt) @IsInt() @Min(1) QA_ENRICH_RETRY_SECONDS = 30;

  get landingBranches(): string[] {
    return [this.QA_BRANCH, ...this.QA_OTHER_BRANCHES.split(',').filter(Boolean)];
  }
}
