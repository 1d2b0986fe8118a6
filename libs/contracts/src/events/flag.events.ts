/** Events about feature-flag rules changing. */
import { ArrayMaxSize, IsArray, IsInt, IsString, MaxLength, Min } from 'class-validator';

export class FlagChangedV1 {
  /** Monotonic version of the whole rule set after this change. */
  @IsInt() @Min(1) version!: number;
  @IsArray() @ArrayMaxSize(10000) @IsString({ each: true }) @MaxLength(200, { each: true }) flags!: string[];
  @IsString() @MaxLength(4096) comment!: string;
  @IsString() @MaxLength(256) by!: string;
}
