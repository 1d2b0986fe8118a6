/** Servers that agents registered, rollouts planned from promotions, and one deploy per server. */
import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeployKind } from '@runway/contracts';

export type DeployState = 'requested' | 'started' | 'succeeded' | 'failed' | 'rolled-back';
export type RolloutState = 'in-progress' | 'succeeded' | 'failed' | 'no-servers';
export type RolloutCause = 'promoted' | 'qa-tip';

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
}

@Entity('rollouts')
export class RolloutEntity {
  @PrimaryColumn('uuid') id!: string;
  /** The promotion id, or the id of the qa-tip-moved event, this rollout carries out. */
  @Column('text', { name: 'source_id' }) sourceId!: string;
  @Column('text') cause!: RolloutCause;
  @Column('text', { name: 'to_sha' }) toSha!: string;
  @Column('int', { name: 'to_revno', nullable: true }) toRevno!: number | null;
  @Column('text') kind!: DeployKind;
  @Column('text') status!: RolloutState;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
}

@Entity('deploys')
export class DeployEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'rollout_id' }) rolloutId!: string;
  @Column('text') host!: string;
  @Column('text') revision!: string;
  @Column('text', { name: 'previous_revision', nullable: true }) previousRevision!: string | null;
  @Column('text') status!: DeployState;
  @Column('text', { name: 'output_tail', nullable: true }) outputTail!: string | null;
  @Column('timestamptz', { name: 'requested_at' }) requestedAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
