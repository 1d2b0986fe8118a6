/** What qa-gate keeps about each landed revision, its QA history, and each branch's state. */
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { QaStatus } from '@runway/contracts';

@Entity('revisions')
@Unique('revisions_branch_sha_key', ['branch', 'sha'])
@Unique('revisions_branch_revno_key', ['branch', 'revno'])
export class RevisionEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('text') branch!: string;
  @Column('int') revno!: number;
  @Column('text') sha!: string;
  @Column('text', { nullable: true }) message!: string | null;
  @Column('text', { nullable: true }) author!: string | null;
  @Column('timestamptz', { name: 'landed_at' }) landedAt!: Date;
  @Column('text', { name: 'build_url', nullable: true }) buildUrl!: string | null;
  @Column('text', { name: 'reported_by', nullable: true }) reportedBy!: string | null;
  @Column('text', { name: 'qa_status' }) qaStatus!: QaStatus;
  @Column('boolean', { default: false }) db!: boolean;
  @Column('int', { name: 'fixed_by_revno', nullable: true }) fixedByRevno!: number | null;
  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' }) recordedAt!: Date;
}

@Entity('qa_history')
@Index('qa_history_revision_idx', ['revisionId'])
export class QaHistoryEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('bigint', { name: 'revision_id' }) revisionId!: string;
  @Column('text', { name: 'from_status', nullable: true }) fromStatus!: QaStatus | null;
  @Column('text', { name: 'to_status' }) toStatus!: QaStatus;
  @Column('text') by!: string;
  @Column('text', { nullable: true }) note!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) at!: Date;
}

@Entity('branch_state')
export class BranchStateEntity {
  @PrimaryColumn('text') branch!: string;
  @Column('int', { name: 'deployable_revno', nullable: true }) deployableRevno!: number | null;
  @Column('text', { name: 'deployable_sha', nullable: true }) deployableSha!: string | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
