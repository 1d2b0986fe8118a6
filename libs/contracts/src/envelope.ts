/**
 * The CloudEvents 1.0 envelope every Runway event travels in (structured JSON mode), plus
 * Runway's extension attributes: `correlationid`, shared by every event caused by the same
 * outside action; `causationid`, the id of the event that caused this one; and who acted:
 * `actor` (a token's name, an agent's host, or `runway`), `actorkind`, `actorroles` (the
 * token's roles, comma separated) and `reason` (the comment or reason a person gave).
 *
 * The actor attributes came after version 1 of every type: they are optional on the wire, so
 * events published before them stay valid, and every service sets them on what it publishes.
 */
import { IsIn, IsISO8601, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ACTOR_KINDS, type ActorKind } from './vocabulary';

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
  actor?: string;
  actorkind?: ActorKind;
  actorroles?: string;
  reason?: string;
  data: T;
}

/** Who acted, as services pass it around before it is written into an envelope. */
export interface Actor {
  name: string;
  kind: ActorKind;
  roles?: readonly string[];
}

/** Runway itself: what a service decided from the events it consumed. */
export const RUNWAY_ACTOR: Actor = { name: 'runway', kind: 'runway' };

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
  @IsOptional() @IsString() @MinLength(1) @MaxLength(256) actor?: string;
  @IsOptional() @IsIn(ACTOR_KINDS) actorkind?: ActorKind;
  @IsOptional() @IsString() @MaxLength(256) actorroles?: string;
  @IsOptional() @IsString() @MaxLength(4096) reason?: string;
  @IsObject() data!: Record<string, unknown>;
}
