/** flags' environment. */
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { CommonEnv } from '@runway/platform';

export class FlagsEnv extends CommonEnv {
  @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(65535) override PORT = 3104;
}
