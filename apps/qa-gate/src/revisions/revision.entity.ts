/** What qa-gate keeps about each landed revision, its QA history, builds, and each branch. */
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { QaStatus } from '@runway/contracts';
import type { BadInProduction } from './deployable';

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
  @Column('int', { name: 'build_id', nullable: true }) buildId!: number | null;
  @Column('text', { name: 'reported_by', nullable: true }) reportedBy!: string | null;
  @Column('text', { name: 'qa_status' }) qaStatus!: QaStatus;
  @Column('timestamptz', { name: 'status_changed_at', nullable: true }) statusChangedAt!: Date | null;
  @Column('boolean', { default: false }) db!: boolean;
  /** The revision that fixes this one (when bad). */
  @Column('int', { name: 'fixed_by_revno', nullable: true }) fixedByRevno!: number | null;
  /** The revision this one fixes (it carried `[rollback=...]`, or was linked as the fix). */
  @Column('int', { name: 'fixes_revno', nullable: true }) fixesRevno!: number | null;
  @Column('text', { array: true, nullable: true }) parents!: string[] | null;
  @Column('text', { name: 'changed_files', array: true, nullable: true }) changedFiles!: string[] | null;
  @Column('timestamptz', { name: 'enriched_at', nullable: true }) enrichedAt!: Date | null;
  @Column('int', { name: 'enrich_attempts', default: 0 }) enrichAttempts!: number;
  @Column('text', { name: 'enrich_error', nullable: true }) enrichError!: string | null;
  @Column('timestamptz', { name: 'next_enrich_at', nullable: true }) nextEnrichAt!: Date | null;
  /** The sha the landing that brought it reported: itself, or a later commit when buildbot collapsed builds. */
  @Column('text', { name: 'landed_with', nullable: true }) landedWith!: string | null;
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

@Entity('build_events')
export class BuildEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('int', { name: 'build_id' }) buildId!: number;
  @Column('int', { name: 'build_number', nullable: true }) buildNumber!: number | null;
  @Column('text', { nullable: true }) builder!: string | null;
  @Column('text', { nullable: true }) branch!: string | null;
  @Column('text', { nullable: true }) revision!: string | null;
  @Column('int', { nullable: true }) results!: number | null;
  @Column('boolean') complete!: boolean;
  @Column('text', { name: 'state_string', nullable: true }) stateString!: string | null;
  @Column('text', { nullable: true }) url!: string | null;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'complete_at', nullable: true }) completeAt!: Date | null;
  @Column('boolean') landed!: boolean;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('text', { name: 'reported_by', nullable: true }) reportedBy!: string | null;
  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' }) receivedAt!: Date;
}

@Entity('branch_state')
export class BranchStateEntity {
  @PrimaryColumn('text') branch!: string;
  @Column('int', { name: 'deployable_revno', nullable: true }) deployableRevno!: number | null;
  @Column('text', { name: 'deployable_sha', nullable: true }) deployableSha!: string | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('int', { name: 'last_promoted_revno', nullable: true }) lastPromotedRevno!: number | null;
  @Column('text', { name: 'last_promoted_sha', nullable: true }) lastPromotedSha!: string | null;
  @Column('timestamptz', { name: 'last_promoted_at', nullable: true }) lastPromotedAt!: Date | null;
  @Column('int', { name: 'tip_revno', nullable: true }) tipRevno!: number | null;
  @Column('text', { name: 'tip_sha', nullable: true }) tipSha!: string | null;
  /** The branch's decision number: each approval, withdrawal and production verdict takes the next. */
  @Column('int', { default: 0 }) seq!: number;
  /** The revisions production runs that are bad with no passing fix in production, as last published. */
  @Column('jsonb', { name: 'production_bad', default: () => `'[]'` }) productionBad!: BadInProduction[];
}
