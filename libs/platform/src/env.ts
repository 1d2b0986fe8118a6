/**
 * Environment for every service, as one validated class. Boot fails at once, naming each bad
 * key, rather than half-starting with a typo in production.
 */
import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { describeErrors } from '@runway/contracts';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toBool = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : value === true || value === 'true' || value === '1');

export class CommonEnv {
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @Matches(/^(nats|tls):\/\/[^,\s]+(,(nats|tls):\/\/[^,\s]+)*$/, { message: 'NATS_URL must be one or more nats:// URLs, comma separated' })
  NATS_URL = 'nats://127.0.0.1:4222';

  @IsOptional() @IsString() NATS_TOKEN?: string;
  @IsOptional() @IsString() NATS_USER?: string;
  @IsOptional() @IsString() NATS_PASSWORD?: string;

  /** Prefix of every subject and stream, so installations can share a NATS server. */
  @IsOptional() @Matches(/^[A-Za-z0-9_-]*$/) RUNWAY_NAMESPACE = '';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT!: number;
  @IsString() HOST = '127.0.0.1';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';

  /** Bootstrap admin token. Only its hash is kept in memory; it is never logged. */
  @IsOptional() @IsString() @MinLength(24, { message: 'RUNWAY_ADMIN_TOKEN must be at least 24 characters' }) RUNWAY_ADMIN_TOKEN?: string;

  /** Let GET requests through without a token (a read-only wallboard, say). Off by default. */
  @Transform(toBool) @IsBoolean() RUNWAY_PUBLIC_READS = false;

  @IsIn(['file', 'memory']) NATS_STREAM_STORAGE: 'file' | 'memory' = 'file';
  @Transform(toInt) @IsInt() @Min(1) @Max(5) NATS_STREAM_REPLICAS = 1;
  @Transform(toInt) @IsInt() @Min(1) NATS_STREAM_MAX_AGE_HOURS = 24 * 30;
  @Transform(toInt) @IsInt() @Min(10) NATS_DUPLICATE_WINDOW_SECONDS = 15 * 60;

  @Transform(toInt) @IsInt() @Min(1000) EVENT_ACK_WAIT_MS = 30_000;
  @Transform(toInt) @IsInt() @Min(1) EVENT_MAX_DELIVERIES = 20;
  @Transform(toInt) @IsInt() @Min(10) OUTBOX_POLL_MS = 1000;
  @Transform(toInt) @IsInt() @Min(1) @Max(200) DB_POOL_SIZE = 10;
  @Transform(toInt) @IsInt() @Min(1024) HTTP_BODY_LIMIT_BYTES = 1024 * 1024;
  /** 401s one client address may cause per minute before it is answered 429; 0 is no limit. */
  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_AUTH_FAILURES_PER_MINUTE = 120;
  /** Requests per minute per token (per address without one), fast routes aside; 0 is no limit. */
  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_PER_MINUTE = 60_000;
}

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment: ${problems.join('; ')}`);
  }
}

/** Reads and validates the environment into `cls`; throws naming every bad key. */
export function loadEnv<T extends object>(cls: new () => T, source: NodeJS.ProcessEnv = process.env): T {
  const defaults = new cls() as Record<string, unknown>;
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(source)) if (source[key] !== undefined && source[key] !== '') raw[key] = source[key];
  for (const key of Object.keys(defaults)) if (raw[key] === undefined) raw[key] = defaults[key];
  const env = plainToInstance(cls, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false });
  if (errors.length) throw new InvalidEnvironmentError(describeErrors(errors));
  return env;
}
