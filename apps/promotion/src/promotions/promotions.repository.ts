/** The only place promotion touches Postgres. Writes take the caller's transaction. */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { RevisionRef } from '@runway/contracts';
import { ProductionStateEntity, PromotionEntity } from './promotion.entity';

export interface Approval {
  sha: string;
  branch: string;
  revno: number;
  range: RevisionRef[];
  contains_db: boolean;
  previous_sha: string | null;
  approved_at: Date;
  state: 'pending' | 'promoted' | 'included';
}

export interface SecurityFix {
  sha: string;
  branch: string;
  reported_by: string;
  reported_at: Date;
  promoted_at: Date | null;
  merged_back_at: Date | null;
  merged_back_by: string | null;
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
  code: string;
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

  async record(em: EntityManager, p: Omit<PromotionEntity, 'createdAt' | 'seq'>, stateSha: string): Promise<void> {
    await em.insert(PromotionEntity, p);
    await em.save(ProductionStateEntity, { branch: p.branch, sha: stateSha, revno: p.toRevno, promotionId: p.id, updatedAt: new Date() });
  }

  history(branch: string, limit: number): Promise<PromotionEntity[]> {
    return this.ds.manager.find(PromotionEntity, { where: { branch }, order: { seq: 'DESC' }, take: limit });
  }

  async addApproval(
    em: EntityManager,
    a: { sha: string; branch: string; revno: number; range: RevisionRef[]; containsDb: boolean; previousSha: string | null },
  ): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `INSERT INTO approvals (sha, branch, revno, range, contains_db, previous_sha) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha) DO NOTHING RETURNING sha`,
      [a.sha, a.branch, a.revno, JSON.stringify(a.range), a.containsDb, a.previousSha],
    );
    return rows.length > 0;
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

  async markMergedBack(em: EntityManager, sha: string, by: string): Promise<void> {
    await em.query(`UPDATE security_fixes SET merged_back_at = now(), merged_back_by = $2 WHERE sha = $1 AND merged_back_at IS NULL`, [sha, by]);
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
