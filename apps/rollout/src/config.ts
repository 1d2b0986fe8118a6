/** rollout's environment. */
import { Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { CommonEnv } from '@runway/platform';

export class RolloutEnv extends CommonEnv {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(65535) override PORT = 3103;
  /** A server silent for longer than this is unreachable, and not counted as deployed. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) AGENT_HEARTBEAT_TIMEOUT_SECONDS = 30;
  /** Environments that run the tip of the QA branch after every landing; all others run production-stable. */
  @Matches(/^[a-z0-9-]+(,[a-z0-9-]+)*$/) QA_ENVIRONMENTS = 'qastaging,edge';

  isQaEnvironment(environment: string): boolean {
    return this.QA_ENVIRONMENTS.split(',').includes(environment);
  }
}
