/** rollout's environment. */
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { CommonEnv } from '@runway/platform';

export class RolloutEnv extends CommonEnv {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(65535) override PORT = 3103;
  /** A server silent for longer than this is unreachable, and not counted as deployed. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(1) AGENT_HEARTBEAT_TIMEOUT_SECONDS = 30;
}
