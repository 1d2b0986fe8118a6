/** Promotions made, and where each production branch stands. */
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { DeployKind, PromotionCause, RevisionRef } from '@runway/contracts';

@Entity('promotions')
export class PromotionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') branch!: string;
  @Column('text', { name: 'from_sha', nullable: true }) fromSha!: string | null;
  @Column('int', { name: 'from_revno', nullable: true }) fromRevno!: number | null;
  @Column('text', { name: 'to_sha' }) toSha!: string;
  @Column('int', { name: 'to_revno', nullable: true }) toRevno!: number | null;
  @Column('text') cause!: PromotionCause;
  @Column('jsonb') revisions!: RevisionRef[];
  @Column('boolean', { name: 'contains_db' }) containsDb!: boolean;
  @Column('text', { name: 'deploy_kind' }) deployKind!: DeployKind;
  @Column('text', { name: 'requested_by' }) requestedBy!: string;
  /** How git moved: `fast-forward`, `merge` (a commit keeping security fixes), `adopted` (found moved), or `record-only`. */
  @Column('text') kind!: PromotionKind;
  /** What production-stable points at afterwards (the merge commit, for a merge). */
  @Column('text', { name: 'pushed_sha', nullable: true }) pushedSha!: string | null;
  @Column('boolean') forced!: boolean;
  @Column('text', { nullable: true }) reason!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** Order of promotions as they happened (several may share a transaction, hence a time). */
  @Column({ type: 'bigint', insert: false, update: false, select: false }) seq!: string;
}

export type PromotionKind = 'fast-forward' | 'merge' | 'adopted' | 'record-only';

@Entity('production_state')
export class ProductionStateEntity {
  @PrimaryColumn('text') branch!: string;
  @Column('text') sha!: string;
  @Column('int', { nullable: true }) revno!: number | null;
  @Column('uuid', { name: 'promotion_id' }) promotionId!: string;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
