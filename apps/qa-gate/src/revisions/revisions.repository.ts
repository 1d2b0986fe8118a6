/** The only place qa-gate touches TypeORM for revisions. Writes take the caller's transaction. */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, MoreThan } from 'typeorm';
import type { QaStatus } from '@runway/contracts';
import { BranchStateEntity, QaHistoryEntity, RevisionEntity } from './revision.entity';

export interface RevisionQuery {
  branch?: string;
  status?: QaStatus;
  limit: number;
  beforeRevno?: number;
}

@Injectable()
export class RevisionsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /** Serialises work on one branch across replicas, until the transaction ends. */
  async lockBranch(em: EntityManager, branch: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`qa-gate.branch.${branch}`]);
  }

  findBySha(em: EntityManager, branch: string, sha: string): Promise<RevisionEntity | null> {
    return em.findOne(RevisionEntity, { where: { branch, sha } });
  }

  findByRevno(em: EntityManager, branch: string, revno: number): Promise<RevisionEntity | null> {
    return em.findOne(RevisionEntity, { where: { branch, revno } });
  }

  async findByShaPrefix(em: EntityManager, branch: string, prefix: string): Promise<RevisionEntity | null> {
    const rows = await em.getRepository(RevisionEntity).createQueryBuilder('r')
      .where('r.branch = :branch AND r.sha LIKE :p', { branch, p: `${prefix}%` }).limit(2).getMany();
    return rows.length === 1 ? rows[0] : null;
  }

  async maxRevno(em: EntityManager, branch: string): Promise<number> {
    const [row] = await em.query(`SELECT coalesce(max(revno), 0)::int AS n FROM revisions WHERE branch = $1`, [branch]);
    return row.n;
  }

  insert(em: EntityManager, r: Omit<RevisionEntity, 'id' | 'recordedAt'>): Promise<RevisionEntity> {
    return em.save(RevisionEntity, em.create(RevisionEntity, r));
  }

  async setFixedBy(em: EntityManager, id: string, fixedByRevno: number): Promise<void> {
    await em.update(RevisionEntity, { id }, { fixedByRevno });
  }

  async setStatus(em: EntityManager, rev: RevisionEntity, to: QaStatus, by: string, note: string | null): Promise<void> {
    await em.update(RevisionEntity, { id: rev.id }, { qaStatus: to });
    await em.insert(QaHistoryEntity, { revisionId: rev.id, fromStatus: rev.qaStatus, toStatus: to, by, note });
  }

  /** Revisions above `afterRevno`, oldest first: the candidates for the next deployable one. */
  above(em: EntityManager, branch: string, afterRevno: number): Promise<RevisionEntity[]> {
    return em.find(RevisionEntity, { where: { branch, revno: MoreThan(afterRevno) }, order: { revno: 'ASC' } });
  }

  async branchState(em: EntityManager | null, branch: string): Promise<BranchStateEntity | null> {
    return (em ?? this.ds.manager).findOne(BranchStateEntity, { where: { branch } });
  }

  async saveBranchState(em: EntityManager, state: BranchStateEntity): Promise<void> {
    await em.save(BranchStateEntity, state);
  }

  get(idOrSha: string): Promise<RevisionEntity | null> {
    if (/^\d{1,18}$/.test(idOrSha)) return this.ds.manager.findOne(RevisionEntity, { where: { id: idOrSha } });
    return this.ds.manager.findOne(RevisionEntity, { where: { sha: idOrSha } });
  }

  history(revisionId: string): Promise<QaHistoryEntity[]> {
    return this.ds.manager.find(QaHistoryEntity, { where: { revisionId }, order: { id: 'ASC' } });
  }

  list(q: RevisionQuery): Promise<RevisionEntity[]> {
    const qb = this.ds.manager.getRepository(RevisionEntity).createQueryBuilder('r').orderBy('r.revno', 'DESC').limit(q.limit);
    if (q.branch) qb.andWhere('r.branch = :branch', { branch: q.branch });
    if (q.status) qb.andWhere('r.qa_status = :status', { status: q.status });
    if (q.beforeRevno) qb.andWhere('r.revno < :before', { before: q.beforeRevno });
    return qb.getMany();
  }

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }
}
