/** Landings waiting to be read from git, and what became of each. Writes take the caller's transaction. */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { LandingEntity, type LandingRefusal, type LandingState } from './landing.entity';

export interface NewLanding {
  branch: string;
  sha: string;
  claimedRevno: number | null;
  author: string | null;
  landedAt: Date;
  buildUrl: string | null;
  buildId: number | null;
  reportedBy: string | null;
}

export interface LandingResolution {
  state: Exclude<LandingState, 'pending' | 'dismissed'>;
  refusal?: LandingRefusal;
  reason?: string | null;
  revnoFrom?: number | null;
  revnoTo?: number | null;
}

export interface LandingQuery {
  branch?: string;
  state?: LandingState;
  limit: number;
  beforeId?: string;
}

@Injectable()
export class LandingsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /**
   * Queues landings to be read from git. A sha already waiting or refused on its branch is not
   * queued twice: its row comes back instead, with `queued: false`.
   */
  async queue(em: EntityManager, rows: NewLanding[]): Promise<Map<string, { id: string; state: LandingState; reason: string | null; queued: boolean }>> {
    const out = new Map<string, { id: string; state: LandingState; reason: string | null; queued: boolean }>();
    if (rows.length === 0) return out;
    const cols = 8;
    const params: unknown[] = [];
    const values = rows.map((r, i) => {
      params.push(r.branch, r.sha, r.claimedRevno, r.author, r.landedAt, r.buildUrl, r.buildId, r.reportedBy);
      return `(${Array.from({ length: cols }, (_, k) => `$${i * cols + k + 1}`).join(', ')})`;
    });
    const inserted: { id: string; sha: string }[] = await em.query(
      `INSERT INTO landings (branch, sha, claimed_revno, author, landed_at, build_url, build_id, reported_by) VALUES ${values.join(', ')}
       ON CONFLICT (branch, sha) WHERE state IN ('pending', 'refused') DO NOTHING RETURNING id, sha`,
      params,
    );
    for (const r of inserted) out.set(r.sha, { id: String(r.id), state: 'pending', reason: null, queued: true });
    const rest = rows.filter((r) => !out.has(r.sha));
    if (rest.length) {
      const existing: { id: string; sha: string; state: LandingState; reason: string | null }[] = await em.query(
        `SELECT id, sha, state, reason FROM landings WHERE branch = $1 AND sha = ANY($2) AND state IN ('pending', 'refused')`,
        [rows[0].branch, rest.map((r) => r.sha)],
      );
      for (const r of existing) out.set(r.sha, { id: String(r.id), state: r.state, reason: r.reason, queued: false });
    }
    return out;
  }

  /** Pending landings due for a reading, oldest first. */
  due(limit: number): Promise<LandingEntity[]> {
    return this.ds.manager.getRepository(LandingEntity).createQueryBuilder('l')
      .where(`l.state = 'pending' AND (l.next_attempt_at IS NULL OR l.next_attempt_at <= now())`)
      .orderBy('l.id', 'ASC').limit(limit).getMany();
  }

  async resolve(em: EntityManager, id: string, r: LandingResolution): Promise<void> {
    await em.query(
      `UPDATE landings SET state = $2, refusal = $3, reason = $4, revno_from = $5, revno_to = $6, resolved_at = now(), next_attempt_at = NULL
        WHERE id = $1 AND state = 'pending'`,
      [id, r.state, r.refusal ?? null, r.reason ?? null, r.revnoFrom ?? null, r.revnoTo ?? null],
    );
  }

  /** git could not answer: try again later, backing off up to an hour. */
  async failed(em: EntityManager, ids: string[], reason: string, retrySeconds: number): Promise<void> {
    if (ids.length === 0) return;
    await em.query(
      `UPDATE landings SET attempts = attempts + 1, reason = $2,
              next_attempt_at = now() + make_interval(secs => least($3 * power(2, least(attempts, 6)), 3600))
        WHERE id = ANY($1) AND state = 'pending'`,
      [ids, reason.slice(0, 2000), retrySeconds],
    );
  }

  /** An operator sets a refused or pending landing aside. */
  async dismiss(em: EntityManager, id: string, by: string, reason: string): Promise<LandingEntity | null> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [, affected]: [unknown[], number] = await em.query(
      `UPDATE landings SET state = 'dismissed', dismissed_by = $2, reason = coalesce(reason || ' — ', '') || 'dismissed: ' || $3, resolved_at = now()
        WHERE id = $1 AND state IN ('pending', 'refused') RETURNING id`,
      [id, by, reason],
    );
    return affected > 0 ? em.findOne(LandingEntity, { where: { id } }) : null;
  }

  get(id: string): Promise<LandingEntity | null> {
    return this.ds.manager.findOne(LandingEntity, { where: { id } });
  }

  list(q: LandingQuery): Promise<LandingEntity[]> {
    const qb = this.ds.manager.getRepository(LandingEntity).createQueryBuilder('l').orderBy('l.id', 'DESC').limit(q.limit);
    if (q.branch) qb.andWhere('l.branch = :branch', { branch: q.branch });
    if (q.state) qb.andWhere('l.state = :state', { state: q.state });
    if (q.beforeId) qb.andWhere('l.id < :before', { before: q.beforeId });
    return qb.getMany();
  }

  /**
   * What keeps the branch from moving past its recorded tip: how many landings wait for git
   * (and the oldest), and the rewritten-history refusals no later landing has superseded.
   */
  async open(branch: string): Promise<{ pending: number; oldestPending: LandingEntity | null; refused: LandingEntity[] }> {
    const [row]: { pending: number }[] = await this.ds.query(`SELECT count(*)::int AS pending FROM landings WHERE branch = $1 AND state = 'pending'`, [branch]);
    const oldestPending = row.pending
      ? await this.ds.manager.findOne(LandingEntity, { where: { branch, state: 'pending' }, order: { id: 'ASC' } })
      : null;
    const refused: LandingEntity[] = await this.ds.manager.getRepository(LandingEntity).createQueryBuilder('l')
      .where(`l.branch = :branch AND l.state = 'refused' AND l.refusal = 'rewritten'`, { branch })
      .andWhere(`l.id > coalesce((SELECT max(r.id) FROM landings r WHERE r.branch = :branch AND r.state = 'recorded'), 0)`)
      .orderBy('l.id', 'DESC').limit(20).getMany();
    return { pending: row.pending, oldestPending, refused };
  }
}
