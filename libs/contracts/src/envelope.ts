/**
 * The CloudEvents 1.0 envelope every Runway event travels in (structured JSON mode), plus the
 * two extension attributes Runway relies on: `correlationid`, shared by every event caused by
 * the same outside action, and `causationid`, the id of the event that caused this one.
 */
import { IsIn, IsISO8601, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export const EVENT_TYPE_PATTERN = /^runway(\.[a-z][a-z0-9-]*)+\.v[1-9][0-9]*$/;

export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  correlationid: string;
  causationid?: string;
  data: T;
}

/** Validation shape of the envelope; the payload is checked separately against the catalogue. */
export class CloudEventEnvelope {
  @IsIn(['1.0']) specversion!: '1.0';
  @IsString() @MinLength(1) @MaxLength(128) id!: string;
  @IsString() @MinLength(1) @MaxLength(256) source!: string;
  @IsString() @Matches(EVENT_TYPE_PATTERN, { message: 'type must look like runway.<noun>.<verb>.v<N>' }) type!: string;
  @IsOptional() @IsString() @MaxLength(512) subject?: string;
  @IsISO8601({ strict: true }) time!: string;
  @IsIn(['application/json']) datacontenttype!: 'application/json';
  @IsString() @MinLength(1) @MaxLength(128) correlationid!: string;
  @IsOptional() @IsString() @MaxLength(128) causationid?: string;
  @IsObject() data!: Record<string, unknown>;
}
