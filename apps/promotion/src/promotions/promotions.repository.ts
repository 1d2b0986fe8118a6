/** The only place promotion touches Postgres. Writes take the caller's transaction. */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { BadRevisionInProduction, HoldReason, RevisionRef } from '@runway/contracts';
import { ProductionStateEntity, PromotionEntity } from './promotion.entity';

export interface Approval {
  sha: string;
  branch: string;
  revno: number;
  range: RevisionRef[];
  contains_db: boolean;
  previous_sha: string | null;
  approved_at: Date;
  state: 'pending' | 'promoted' | 'included' | 'withdrawn';
  /** qa-gate's decision number, when it gave one. */
  seq: number | null;
  withdrawn_at: Date | null;
  withdrawn_reason: string | null;
}

/** What qa-gate last said about the QA branch: its latest withdrawal, and what production runs that is bad. */
export interface QaView {
  branch: string;
  withdrawn_seq: number;
  withdrawn_to_revno: number | null;
  production_seq: number;
  production_revno: number | null;
  production_sha: string | null;
  production_bad: BadRevisionInProduction[];
  production_bad_since: Date | null;
}

export interface SecurityFix {
  sha: string;
  branch: string;
  reported_by: string;
  reported_at: Date;
  promoted_at: Date | null;
  merged_back_at: Date | null;
  merged_back_by: string | null;
  merged_back_how: 'ancestry' | 'patch-id' | 'operator' | null;
  merged_back_note: string | null;
}

export interface Lock {
  id: string;
  reason: string;
  author: string;
  created_by: string;
  created_at: Date;
  until: Date | null;
}

export interface Hold {
  sha: string;
  revno: number | null;
  code: HoldReason;
  reason: string;
  created_at: Date;
}

@Injectable()
export class PromotionsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  /** Serialises everything that moves one production branch, across every replica, until the transaction ends. */
  async lock(em: EntityManager, branch: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`promotion.${branch}`]);
  }

  state(em: EntityManager | null, branch: string): Promise<ProductionStateEntity | null> {
    return (em ?? this.ds.manager).findOne(ProductionStateEntity, { where: { branch } });
  }

  /**
   * Records a promotion and where production now stands. A security fix does not move
   * production along the QA branch: production keeps the revno it had.
   */
  async record(em: EntityManager, p: Omit<PromotionEntity, 'createdAt' | 'seq'>, stateSha: string): Promise<void> {
    await em.insert(PromotionEntity, p);
    const revno = p.cause === 'security-fix' ? p.fromRevno : p.toRevno;
    await em.save(ProductionStateEntity, { branch: p.branch, sha: stateSha, revno, promotionId: p.id, updatedAt: new Date() });
  }

  history(branch: string, limit: number): Promise<PromotionEntity[]> {
    return this.ds.manager.find(PromotionEntity, { where: { branch }, order: { seq: 'DESC' }, take: limit });
  }

  /**
   * Records an approval. One QA withdrew is given again when a later decision approves it anew;
   * one still pending takes the later decision's number. `withdrawn` records it as dead on
   * arrival (a withdrawal that came first already took it back).
   */
  async addApproval(
    em: EntityManager,
    a: { sha: string; branch: string; revno: number; range: RevisionRef[]; containsDb: boolean; previousSha: string | null; seq: number | null; withdrawn?: string },
  ): Promise<void> {
    await em.query(
      `INSERT INTO approvals (sha, branch, revno, range, contains_db, previous_sha, seq, state, withdrawn_at, withdrawn_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8::text IS NULL THEN 'pending' ELSE 'withdrawn' END, CASE WHEN $8::text IS NULL THEN NULL ELSE now() END, $8)
       ON CONFLICT (sha) DO UPDATE SET
         state = CASE WHEN approvals.state = 'withdrawn' AND $8::text IS NULL THEN 'pending' ELSE approvals.state END,
         range = CASE WHEN approvals.state = 'withdrawn' AND $8::text IS NULL THEN EXCLUDED.range ELSE approvals.range END,
         contains_db = CASE WHEN approvals.state = 'withdrawn' AND $8::text IS NULL THEN EXCLUDED.contains_db ELSE approvals.contains_db END,
         previous_sha = CASE WHEN approvals.state = 'withdrawn' AND $8::text IS NULL THEN EXCLUDED.previous_sha ELSE approvals.previous_sha END,
         approved_at = CASE WHEN approvals.state = 'withdrawn' AND $8::text IS NULL THEN now() ELSE approvals.approved_at END,
         withdrawn_at = CASE WHEN approvals.state = 'withdrawn' AND $8::text IS NULL THEN NULL ELSE approvals.withdrawn_at END,
         withdrawn_reason = CASE WHEN approvals.state = 'withdrawn' AND $8::text IS NULL THEN NULL ELSE approvals.withdrawn_reason END,
         seq = greatest(approvals.seq, EXCLUDED.seq)
       WHERE EXCLUDED.seq IS NOT NULL AND (approvals.seq IS NULL OR approvals.seq < EXCLUDED.seq) AND approvals.state IN ('pending', 'withdrawn')`,
      [a.sha, a.branch, a.revno, JSON.stringify(a.range), a.containsDb, a.previousSha, a.seq, a.withdrawn ?? null],
    );
  }

  /** QA took these approvals back. */
  async withdrawApprovals(em: EntityManager, dead: { sha: string; reason: string }[]): Promise<void> {
    for (const d of dead) {
      await em.query(`UPDATE approvals SET state = 'withdrawn', withdrawn_at = now(), withdrawn_reason = $2 WHERE sha = $1 AND state = 'pending'`, [d.sha, d.reason]);
    }
  }

  recentlyWithdrawn(limit: number): Promise<Approval[]> {
    return this.ds.query(`SELECT * FROM approvals WHERE state = 'withdrawn' ORDER BY withdrawn_at DESC LIMIT $1`, [limit]);
  }

  async qaView(em: EntityManager | null, branch: string): Promise<QaView | null> {
    const [row]: QaView[] = await (em ?? this.ds.manager).query(`SELECT * FROM qa_view WHERE branch = $1`, [branch]);
    return row ?? null;
  }

  /** Keeps the latest withdrawal (by qa-gate's decision number). */
  async saveWithdrawal(em: EntityManager, branch: string, seq: number, toRevno: number | null): Promise<void> {
    await em.query(
      `INSERT INTO qa_view (branch, withdrawn_seq, withdrawn_to_revno) VALUES ($1, $2, $3)
       ON CONFLICT (branch) DO UPDATE SET withdrawn_seq = $2, withdrawn_to_revno = $3, updated_at = now() WHERE qa_view.withdrawn_seq < $2`,
      [branch, seq, toRevno],
    );
  }

  /** Keeps qa-gate's latest word on what production runs that is bad; `since` marks when it started. */
  async saveProductionQa(em: EntityManager, branch: string, v: { seq: number; revno: number | null; sha: string | null; bad: QaView['production_bad'] }): Promise<void> {
    await em.query(
      `INSERT INTO qa_view (branch, production_seq, production_revno, production_sha, production_bad, production_bad_since)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN jsonb_array_length($5::jsonb) > 0 THEN now() END)
       ON CONFLICT (branch) DO UPDATE SET production_seq = $2, production_revno = $3, production_sha = $4, production_bad = $5,
         production_bad_since = CASE WHEN jsonb_array_length($5::jsonb) = 0 THEN NULL ELSE coalesce(qa_view.production_bad_since, now()) END, updated_at = now()
       WHERE qa_view.production_seq < $2`,
      [branch, v.seq, v.revno, v.sha, JSON.stringify(v.bad)],
    );
  }

  approval(em: EntityManager | null, sha: string): Promise<Approval | undefined> {
    return (em ?? this.ds.manager).query(`SELECT * FROM approvals WHERE sha = $1 OR sha LIKE $2 || '%' ORDER BY revno DESC LIMIT 1`, [sha, sha]).then((r: Approval[]) => r[0]);
  }

  approvalByRevno(em: EntityManager | null, revno: number): Promise<Approval | undefined> {
    return (em ?? this.ds.manager).query(`SELECT * FROM approvals WHERE revno = $1`, [revno]).then((r: Approval[]) => r[0]);
  }

  pendingApprovals(em: EntityManager | null): Promise<Approval[]> {
    return (em ?? this.ds.manager).query(`SELECT * FROM approvals WHERE state = 'pending' ORDER BY revno`);
  }

  /** Marks every pending approval at or below `revno` as shipped by `promotionId`. */
  async settleApprovals(em: EntityManager, revno: number, promotionId: string | null): Promise<void> {
    await em.query(
      `UPDATE approvals SET state = CASE WHEN revno = $1 THEN 'promoted' ELSE 'included' END, promotion_id = $2 WHERE state = 'pending' AND revno <= $1`,
      [revno, promotionId],
    );
  }

  async addSecurityFix(em: EntityManager, sha: string, branch: string, by: string): Promise<void> {
    await em.query(`INSERT INTO security_fixes (sha, branch, reported_by) VALUES ($1, $2, $3) ON CONFLICT (sha) DO NOTHING`, [sha, branch, by]);
  }

  unpromotedFixes(em: EntityManager): Promise<SecurityFix[]> {
    return em.query(`SELECT * FROM security_fixes WHERE promoted_at IS NULL ORDER BY reported_at`);
  }

  async markFixesPromoted(em: EntityManager, shas: string[], promotionId: string | null): Promise<void> {
    await em.query(`UPDATE security_fixes SET promoted_at = now(), promotion_id = $2 WHERE sha = ANY($1) AND promoted_at IS NULL`, [shas, promotionId]);
  }

  pendingMergeBack(em: EntityManager | null): Promise<SecurityFix[]> {
    return (em ?? this.ds.manager).query(`SELECT * FROM security_fixes WHERE merged_back_at IS NULL ORDER BY reported_at`);
  }

  /** `by`: the first commit of stable that contains the fix; `how`: by ancestry, patch identity, or an operator's word. */
  async markMergedBack(em: EntityManager, sha: string, by: string | null, how: 'ancestry' | 'patch-id' | 'operator', note: string | null = null): Promise<boolean> {
    const [, affected]: [unknown[], number] = await em.query(
      `UPDATE security_fixes SET merged_back_at = now(), merged_back_by = $2, merged_back_how = $3, merged_back_note = $4 WHERE sha = $1 AND merged_back_at IS NULL`,
      [sha, by, how, note],
    );
    return affected > 0;
  }

  /** The fix named by its sha or a prefix only it has; an ambiguous prefix names none. */
  async fix(em: EntityManager | null, sha: string): Promise<SecurityFix | undefined> {
    const rows: SecurityFix[] = await (em ?? this.ds.manager).query(`SELECT * FROM security_fixes WHERE sha LIKE $1 || '%' ORDER BY sha = $1 DESC LIMIT 2`, [sha]);
    return rows[0]?.sha === sha || rows.length === 1 ? rows[0] : undefined;
  }

  recentlyMergedBack(limit: number): Promise<SecurityFix[]> {
    return this.ds.query(`SELECT * FROM security_fixes WHERE merged_back_at IS NOT NULL ORDER BY merged_back_at DESC LIMIT $1`, [limit]);
  }

  allFixes(): Promise<SecurityFix[]> {
    return this.ds.query(`SELECT * FROM security_fixes ORDER BY reported_at DESC LIMIT 200`);
  }

  async addLock(em: EntityManager, l: { id: string; reason: string; author: string; createdBy: string; until: Date | null }): Promise<void> {
    await em.query(`INSERT INTO locks (id, reason, author, created_by, until) VALUES ($1, $2, $3, $4, $5)`, [l.id, l.reason, l.author, l.createdBy, l.until]);
  }

  async releaseLock(em: EntityManager, id: string, by: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await em.query(`UPDATE locks SET released_at = now(), released_by = $2 WHERE id = $1 AND released_at IS NULL`, [id, by]);
    return affected > 0;
  }

  activeLocks(em: EntityManager | null): Promise<Lock[]> {
    return (em ?? this.ds.manager).query(`SELECT id, reason, author, created_by, created_at, until FROM locks WHERE released_at IS NULL AND (until IS NULL OR until > now()) ORDER BY created_at`);
  }

  async addHold(em: EntityManager, h: { sha: string; revno: number | null; code: string; reason: string }): Promise<void> {
    await em.query(`INSERT INTO holds (sha, revno, code, reason) VALUES ($1, $2, $3, $4)`, [h.sha, h.revno, h.code, h.reason]);
  }

  lastHold(): Promise<Hold | undefined> {
    return this.ds.query(`SELECT sha, revno, code, reason, created_at FROM holds ORDER BY id DESC LIMIT 1`).then((r: Hold[]) => r[0]);
  }
}
