/**
 * A landing on the QA branch while a repository is configured: what buildbot (or anyone)
 * reported, kept until git says which first-parent commits it covers, and what became of it.
 */
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { LandingState } from '@runway/contracts';

/**
 * - `pending`: waiting to be read from git;
 * - `recorded`: it brought revisions (`revnoFrom`..`revnoTo`);
 * - `known`: everything it names was already recorded (a repeat, or an older commit);
 * - `refused`: not on the branch's first-parent history after the recorded tip;
 * - `dismissed`: an operator set a refused or pending landing aside.
 */
export type { LandingState };
/** `rewritten`: the recorded tip is not on its first-parent history; `not-first-parent`: an older commit the branch only has through a merge. */
export type LandingRefusal = 'rewritten' | 'not-first-parent';

@Entity('landings')
export class LandingEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id!: string;
  @Column('text') branch!: string;
  @Column('text') sha!: string;
  /** The revno the sender gave, if any; git's first-parent position is what counts. */
  @Column('int', { name: 'claimed_revno', nullable: true }) claimedRevno!: number | null;
  @Column('text', { nullable: true }) author!: string | null;
  @Column('timestamptz', { name: 'landed_at' }) landedAt!: Date;
  @Column('text', { name: 'build_url', nullable: true }) buildUrl!: string | null;
  @Column('int', { name: 'build_id', nullable: true }) buildId!: number | null;
  @Column('text', { name: 'reported_by', nullable: true }) reportedBy!: string | null;
  @Column('text') state!: LandingState;
  @Column('text', { nullable: true }) refusal!: LandingRefusal | null;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('int', { name: 'revno_from', nullable: true }) revnoFrom!: number | null;
  @Column('int', { name: 'revno_to', nullable: true }) revnoTo!: number | null;
  @Column('int', { default: 0 }) attempts!: number;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt!: Date | null;
  @Column('timestamptz', { name: 'received_at' }) receivedAt!: Date;
  @Column('timestamptz', { name: 'resolved_at', nullable: true }) resolvedAt!: Date | null;
  @Column('text', { name: 'dismissed_by', nullable: true }) dismissedBy!: string | null;
}
