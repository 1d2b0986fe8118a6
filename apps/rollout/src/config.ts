/** rollout's environment. */
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { BRANCH_PATTERN } from '@runway/contracts';
import { CommonEnv } from '@runway/platform';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

export class RolloutEnv extends CommonEnv {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) override PORT = 3103;
  /** A server silent for longer than this is unreachable, and not counted as deployed. */
  @Transform(toInt) @IsInt() @Min(1) AGENT_HEARTBEAT_TIMEOUT_SECONDS = 30;
  /** Environments that run the tip of the QA branch after every landing; all others run production-stable. */
  @Matches(/^[a-z0-9-]+(,[a-z0-9-]+)*$/) QA_ENVIRONMENTS = 'qastaging,edge';
  /** Waves in order; a server's wave is its agent's AGENT_WAVE, else its environment. Unlisted waves go last. */
  @Matches(/^[A-Za-z0-9_.-]*(,[A-Za-z0-9_.-]+)*$/) ROLLOUT_WAVES = 'qastaging,edge,lpnet';
  /** Servers per batch within a wave; 0: the whole wave at once. */
  @Transform(toInt) @IsInt() @Min(0) ROLLOUT_BATCH_SIZE = 0;
  /** When downtime deploys (a DB change in the range) may run: `daily HH:MM/<minutes>`, UTC. */
  @Matches(/^daily\s+\d{1,2}:\d{2}(\s*\/\s*\d{1,4})?$/i) ROLLOUT_DOWNTIME_WINDOW = 'daily 10:00/60';
  /** Checks run before a downtime deploy; it goes only if this exits 0 (fails closed). */
  @IsOptional() @IsString() ROLLOUT_PREFLIGHT_COMMAND?: string;
  /** When no-downtime production rollouts start: at once (empty), `every 30m`, or `daily 09:00` (UTC). */
  @Matches(/^$|^every\s+\d{1,5}\s*[mh]$|^daily\s+\d{1,2}:\d{2}$/i, { message: 'ROLLOUT_CADENCE must be empty, like "every 30m", or like "daily 09:00"' })
  ROLLOUT_CADENCE = '';
  @Transform(toInt) @IsInt() @Min(50) ROLLOUT_TICK_MS = 1000;
  /** The branch QA approves revisions of: its revnos place every revision (see positions.ts). */
  @Matches(BRANCH_PATTERN) QA_BRANCH = 'stable';
  /**
   * A deploy sent out and not reported done within this is failed by rollout (a server that
   * died mid-deploy). Keep it above the agents' AGENT_DEPLOY_TIMEOUT_SECONDS.
   */
  @Transform(toInt) @IsInt() @Min(1) ROLLOUT_DEPLOY_DEADLINE_SECONDS = 1200;
  /** A server whose catch-up to a revision failed is not tried again at it for this long. */
  @Transform(toInt) @IsInt() @Min(0) ROLLOUT_CATCH_UP_RETRY_SECONDS = 300;
  /** Variables of rollout's own environment the preflight command may see too, by name; credentials never. */
  @IsOptional() @IsString() ROLLOUT_PREFLIGHT_ENV?: string;

  isQaEnvironment(environment: string): boolean {
    return this.QA_ENVIRONMENTS.split(',').includes(environment);
  }

  get waveOrder(): string[] {
    return this.ROLLOUT_WAVES.split(',').filter(Boolean);
  }
}
