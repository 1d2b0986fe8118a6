/** Events between rollout and the agents on the application servers. */
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength, Min, ValidateNested,
} from 'class-validator';
import {
  DEPLOY_KINDS, type DeployKind, ROLLOUT_CAUSES, ROLLOUT_STATES, ROLLOUT_TRACKS, type RolloutCause, type RolloutState, type RolloutTrack,
} from '../vocabulary';
import { HOST_PATTERN, SHA_PATTERN } from './common';

export class DeployRequestedV1 {
  @IsUUID() deployId!: string;
  @IsUUID() rolloutId!: string;
  @IsString() @Matches(HOST_PATTERN) host!: string;
  @IsString() @MaxLength(64) environment!: string;
  @IsString() @Matches(SHA_PATTERN) revision!: string;
  @IsOptional() @IsInt() @Min(1) revno?: number;
  @IsOptional() @IsString() @Matches(SHA_PATTERN) previousRevision?: string;
  @IsIn(DEPLOY_KINDS) kind!: DeployKind;
  /** Cowboy patch hashes the agent must re-apply after deploying. */
  @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) @MaxLength(128, { each: true }) carryCowboys!: string[];
  /** The server's wave and the rollout's batch it went out in (absent from requests made before they were added). */
  @IsOptional() @IsString() @MaxLength(64) wave?: string;
  @IsOptional() @IsInt() @Min(0) batch?: number;
}

/** A server a batch left out when it went out, and why (held, unreachable, a hold cowboy). */
export class SkippedServer {
  @IsString() @Matches(HOST_PATTERN) host!: string;
  @IsString() @MaxLength(4096) reason!: string;
}

/**
 * A rollout was planned, or its state or batch changed: what the trail, the lead-time and
 * DORA figures and people's notifications read. One event per change, in order per rollout.
 */
export class RolloutChangedV1 {
  @IsUUID() rolloutId!: string;
  @IsIn(ROLLOUT_TRACKS) track!: RolloutTrack;
  @IsIn(ROLLOUT_CAUSES) cause!: RolloutCause;
  @IsIn(ROLLOUT_STATES) status!: RolloutState;
  @IsOptional() @IsIn(ROLLOUT_STATES) previousStatus?: RolloutState;
  @IsString() @Matches(SHA_PATTERN) revision!: string;
  @IsOptional() @IsInt() @Min(1) revno?: number;
  @IsIn(DEPLOY_KINDS) kind!: DeployKind;
  @IsInt() @Min(0) batch!: number;
  @IsInt() @Min(0) batches!: number;
  /** The servers it is for, when not its whole track (manual, catch-up). */
  @IsOptional() @IsArray() @ArrayMaxSize(100000) @IsString({ each: true }) @Matches(HOST_PATTERN, { each: true }) hosts?: string[];
  /** The revisions it brings to production (from the promotion). */
  @IsArray() @ArrayMaxSize(100000) @IsString({ each: true }) @Matches(SHA_PATTERN, { each: true }) revisions!: string[];
  @IsArray() @ArrayMaxSize(100000) @ValidateNested({ each: true }) @Type(() => SkippedServer) skipped!: SkippedServer[];
  /** Why it failed, is blocked or was cancelled: the server and its output, the preflight's, an operator's reason. */
  @IsOptional() @IsString() @MaxLength(8192) failure?: string;
  @IsOptional() @IsISO8601({ strict: true }) scheduledFor?: string;
}

export const SERVER_CHANGES = ['registered', 'deregistered', 'held', 'released'] as const;
export type ServerChange = (typeof SERVER_CHANGES)[number];

/** A server joined or left the fleet, or was held or released by an operator. */
export class ServerChangedV1 {
  @IsString() @Matches(HOST_PATTERN) host!: string;
  @IsIn(SERVER_CHANGES) change!: ServerChange;
  @IsOptional() @IsString() @MaxLength(64) environment?: string;
  @IsOptional() @IsString() @MaxLength(4096) reason?: string;
  @IsOptional() @IsISO8601({ strict: true }) until?: string;
}

/** One revision, by sha and (on stable) revno. */
export class RevisionMention {
  @IsString() @Matches(SHA_PATTERN) sha!: string;
  @IsOptional() @IsInt() @Min(1) revno?: number;
}

/**
 * These revisions run everywhere since `at`: every registered, unheld production server runs a
 * revision that contains them. The end of their lead time.
 */
export class RunningEverywhereV1 {
  @IsArray() @ArrayMaxSize(100000) @ValidateNested({ each: true }) @Type(() => RevisionMention) revisions!: RevisionMention[];
  @IsISO8601({ strict: true }) at!: string;
}

export const DEPLOY_STATUSES = ['started', 'succeeded', 'failed', 'rolled-back'] as const;
export type DeployStatus = (typeof DEPLOY_STATUSES)[number];

export class DeployReportedV1 {
  @IsUUID() deployId!: string;
  @IsUUID() rolloutId!: string;
  @IsString() @Matches(HOST_PATTERN) host!: string;
  @IsString() @Matches(SHA_PATTERN) revision!: string;
  @IsIn(DEPLOY_STATUSES) status!: DeployStatus;
  /** The last lines of the deploy command's output, for a person to read. */
  @IsOptional() @IsString() @MaxLength(16384) outputTail?: string;
  @IsOptional() @IsInt() @Min(0) durationMs?: number;
}

/** What a running deploy has printed so far: streamed while it runs, so people can watch. */
export class DeployProgressV1 {
  @IsUUID() deployId!: string;
  @IsUUID() rolloutId!: string;
  @IsString() @Matches(HOST_PATTERN) host!: string;
  /** The last lines of the output so far (a tail, not a delta: a lost message loses nothing). */
  @IsString() @MaxLength(16384) outputTail!: string;
  @IsInt() @Min(0) elapsedMs!: number;
}

export class AgentHeartbeatV1 {
  @IsString() @Matches(HOST_PATTERN) host!: string;
  @IsString() @MaxLength(64) environment!: string;
  @IsOptional() @IsString() @MaxLength(64) wave?: string;
  @IsOptional() @IsString() @Matches(SHA_PATTERN) runningRevision?: string;
  @IsString() @MaxLength(64) agentVersion!: string;
  @IsInt() @Min(0) uptimeS!: number;
  /**
   * The patches the agent's cowboy scan found applied, at its last scan (absent when the agent
   * has no scan command): a cowboy the scan found before and no longer finds is gone.
   */
  @IsOptional() @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) @Matches(/^[0-9a-f]{7,128}$/, { each: true }) cowboyScan?: string[];
}
