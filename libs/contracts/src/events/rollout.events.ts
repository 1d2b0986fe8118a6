/** Events between rollout and the agents on the application servers. */
import {
  ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, MaxLength, Min,
} from 'class-validator';
import { DEPLOY_KINDS, type DeployKind } from '../vocabulary';
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
