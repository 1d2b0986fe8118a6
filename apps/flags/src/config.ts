/** flags' environment. */
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { CommonEnv } from '@runway/platform';

export class FlagsEnv extends CommonEnv {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(65535) override PORT = 3104;
  /** How often a replica checks the rule-set version (the `flag-changed` push makes it sooner). */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(50) @Max(600_000) FLAGS_REFRESH_MS = 1000;
  /** How often evaluation counts and undocumented sightings are written. */
  @Transform(({ value }) => Number(value)) @IsInt() @Min(50) @Max(600_000) FLAGS_USAGE_FLUSH_MS = 1000;
}
