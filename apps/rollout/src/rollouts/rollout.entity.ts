/** Servers that agents registered, rollouts in batches, one deploy per server, and holds. */
import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeployKind, RolloutCause, RolloutState, RolloutTrack } from '@runway/contracts';

export type { RolloutCause, RolloutState, RolloutTrack };

/** `skipped`: decided against when its batch went out (held, unreachable, a hold cowboy); its reason is in `outputTail`. */
export type DeployState = 'pending' | 'requested' | 'started' | 'succeeded' | 'failed' | 'rolled-back' | 'cancelled' | 'skipped';

@Entity('servers')
export class ServerEntity {
  @PrimaryColumn('text') host!: string;
  @Column('text') environment!: string;
  @Column('text', { nullable: true }) wave!: string | null;
  @Column('text', { name: 'running_revision', nullable: true }) runningRevision!: string | null;
  @Column('text', { name: 'agent_version' }) agentVersion!: string;
  @Column('text', { name: 'registered_by' }) registeredBy!: string;
  @Column('timestamptz', { name: 'registered_at' }) registeredAt!: Date;
  @Column('timestamptz', { name: 'last_heartbeat_at', nullable: true }) lastHeartbeatAt!: Date | null;
  /** Set by an operator: the server takes part in nothing until its agent registers again. */
  @Column('timestamptz', { name: 'deregistered_at', nullable: true }) deregisteredAt?: Date | null;
  @Column('text', { name: 'deregistered_by', nullable: true }) deregisteredBy?: string | null;
  /** When `runningRevision` was last set by a deploy's report: an older heartbeat does not undo it. */
  @Column('timestamptz', { name: 'running_since', nullable: true }) runningSince?: Date | null;
  /** What Runway last put on the server; running anything else is drift. */
  @Column('text', { name: 'last_deployed_revision', nullable: true }) lastDeployedRevision?: string | null;
  /** An operator's manual rollout to this server: it stays on that revision until its track rolls out something newer. */
  @Column('text', { name: 'pinned_revision', nullable: true }) pinnedRevision?: string | null;
  @Column('timestamptz', { name: 'pinned_at', nullable: true }) pinnedAt?: Date | null;
  /** Since when it has run something Runway did not put there. */
  @Column('timestamptz', { name: 'drift_since', nullable: true }) driftSince?: Date | null;
}

@Entity('rollouts')
export class RolloutEntity {
  @PrimaryColumn('uuid') id!: string;
  /** The promotion id, or the id of the qa-tip-moved event, this rollout carries out. */
  @Column('text', { name: 'source_id' }) sourceId!: string;
  @Column('text') cause!: RolloutCause;
  /** The track it runs on (see track.ts): a catch-up runs on the track it catches up. */
  @Column('text') track!: RolloutTrack;
  /** The servers it is for, when not its whole track (manual, catch-up). */
  @Column('text', { array: true, nullable: true }) hosts!: string[] | null;
  @Column('text', { name: 'cancelled_by', nullable: true }) cancelledBy!: string | null;
  @Column('text', { name: 'to_sha' }) toSha!: string;
  @Column('int', { name: 'to_revno', nullable: true }) toRevno!: number | null;
  @Column('text') kind!: DeployKind;
  @Column('text') status!: RolloutState;
  @Column('int') batches!: number;
  @Column('int', { name: 'current_batch' }) currentBatch!: number;
  /** For a downtime rollout: when its window opens. */
  @Column('timestamptz', { name: 'scheduled_for', nullable: true }) scheduledFor!: Date | null;
  /** Why it failed or is blocked: the server and its output, or the preflight's. */
  @Column('text', { nullable: true }) failure!: string | null;
  @Column('text', { name: 'paused_from', nullable: true }) pausedFrom!: RolloutState | null;
  @Column('text', { name: 'paused_by', nullable: true }) pausedBy!: string | null;
  @Column('jsonb') skipped!: { host: string; reason: string }[];
  /** The revisions this rollout brings to production (from the promotion), for lead time. */
  @Column('text', { array: true }) revisions!: string[];
  /** When it arrived: a promotion, a QA tip, an operator's request. */
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  /** When its first batch went out; later than createdAt when it queued or waited for a window. */
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
}

@Entity('deploys')
export class DeployEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'rollout_id' }) rolloutId!: string;
  @Column('text') host!: string;
  @Column('int') batch!: number;
  @Column('text', { nullable: true }) wave!: string | null;
  @Column('text') revision!: string;
  @Column('text', { name: 'previous_revision', nullable: true }) previousRevision!: string | null;
  @Column('text') status!: DeployState;
  @Column('text', { name: 'output_tail', nullable: true }) outputTail!: string | null;
  @Column('timestamptz', { name: 'requested_at' }) requestedAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

@Entity('server_holds')
export class ServerHoldEntity {
  @PrimaryColumn('text') host!: string;
  @Column('text') reason!: string;
  @Column('text') author!: string;
  @Column('timestamptz', { nullable: true }) until!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
