/** The agent's environment, validated at start: a bad key stops it with the key named. */
import { resolve } from 'node:path';
import { plainToInstance, Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { describeErrors, HOST_PATTERN } from '@runway/contracts';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

export class AgentEnv {
  @Matches(HOST_PATTERN, { message: 'AGENT_HOST must be a host name' }) AGENT_HOST!: string;
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'AGENT_ENVIRONMENT must be like lpnet or qastaging' }) AGENT_ENVIRONMENT!: string;
  @IsOptional() @IsString() AGENT_WAVE?: string;
  @Matches(/^https?:\/\//, { message: 'RUNWAY_ROLLOUT_URL must be an http(s) URL' }) RUNWAY_ROLLOUT_URL!: string;
  @IsString() @MinLength(16, { message: 'RUNWAY_AGENT_TOKEN must be set to this host\'s agent token' }) RUNWAY_AGENT_TOKEN!: string;
  @Matches(/^(nats|tls):\/\/[^,\s]+(,(nats|tls):\/\/[^,\s]+)*$/) NATS_URL = 'nats://127.0.0.1:4222';
  @IsOptional() @IsString() NATS_TOKEN?: string;
  @IsOptional() @IsString() NATS_USER?: string;
  @IsOptional() @IsString() NATS_PASSWORD?: string;
  @IsOptional() @Matches(/^[A-Za-z0-9_-]*$/) RUNWAY_NAMESPACE = '';
  /** Shell command that deploys $RUNWAY_REVISION on this host. */
  @IsString() @MinLength(1) AGENT_DEPLOY_COMMAND!: string;
  /** Shell command that puts $RUNWAY_REVISION (the previous one) back after a failed deploy. */
  @IsOptional() @IsString() AGENT_ROLLBACK_COMMAND?: string;
  /** Shell command that exits 0 when the freshly deployed revision is healthy. */
  @IsOptional() @IsString() AGENT_HEALTH_COMMAND?: string;
  /** Shell command that re-applies the cowboy $RUNWAY_COWBOY_HASH after a deploy (for `carry` cowboys). */
  @IsOptional() @IsString() AGENT_COWBOY_REAPPLY_COMMAND?: string;
  /**
   * Shell command that prints the hash of each hot patch applied on this server, one per line
   * (optionally followed by a description). Run with every heartbeat; what it finds is reported
   * as `cowboy-applied`, so a patch applied by hand without telling Runway is still known.
   */
  @IsOptional() @IsString() AGENT_COWBOY_SCAN_COMMAND?: string;
  @Transform(toInt) @IsInt() @Min(1) AGENT_DEPLOY_TIMEOUT_SECONDS = 900;
  /** Variables of the agent's own environment its commands may see too, by name (`HTTP_PROXY,LP_CONFIG`); credentials never. */
  @IsOptional() @IsString() AGENT_COMMAND_ENV?: string;
  @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) AGENT_HEARTBEAT_MS = 10_000;
  /** How long a deploy request may go unacknowledged before NATS offers it again (the agent then answers from its state). */
  @Transform(toInt) @IsInt() @Min(1000) AGENT_ACK_WAIT_MS = 30_000;
  /** Where the agent remembers what it ran, so a restart never runs a deploy twice. */
  @IsString() AGENT_STATE_DIR = '.runway/agent';
  @IsOptional() @IsString() LOG_LEVEL = 'info';
}

export function loadAgentEnv(source: NodeJS.ProcessEnv = process.env): AgentEnv {
  const raw: Record<string, unknown> = {};
  const defaults = new AgentEnv() as unknown as Record<string, unknown>;
  for (const k of Object.keys(defaults)) raw[k] = defaults[k];
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') raw[k] = v;
  const env = plainToInstance(AgentEnv, raw);
  const errors = validateSync(env);
  if (errors.length) throw new Error(`invalid environment: ${describeErrors(errors).join('; ')}`);
  env.AGENT_STATE_DIR = resolve(env.AGENT_STATE_DIR);
  return env;
}
