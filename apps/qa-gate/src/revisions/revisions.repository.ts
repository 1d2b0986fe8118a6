/**
 * The only place qa-gate touches Postgres for revisions, builds and branch state. Writes take
 * the caller's transaction; batch writes are one statement each.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { QaStatus } from '@runway/contracts';
import type { RevisionQa } from './deployable';
import { BranchStateEntity, BuildEventEntity, QaHistoryEntity, RevisionEntity } from './revision.entity';

export interface RevisionQuery {
  branch?: string;
  status?: QaStatus;
  limit: number;
  beforeRevno?: number;
  since?: Date;
}

export interface NewRevision {
  branch: string;
  revno: number;
  sha: string;
  message: string | null;
  author: string | null;
  landedAt: Date;
  buildUrl: string | null;
  buildId: number | null;
  reportedBy: string | null;
  qaStatus: QaStatus;
  db: boolean;
  changedFiles: string[] | null;
  enriched: boolean;
  /** Parents, when read from git. */
  parents?: string[] | null;
  /** The sha of the landing that brought it, when a landing covered several commits. */
  landedWith?: string | null;
  /** For a merge: the commits it brought (announced, not kept). */
  brings?: string[];
}

export interface NewBuildEvent {
  buildId: number;
  buildNumber: number | null;
  builder: string | null;
  branch: string | null;
  revision: string | null;
  results: number | null;
  complete: boolean;
  stateString: string | null;
  url: string | null;
  startedAt: Date | null;
  completeAt: Date | null;
  landed: boolean;
  reason: string | null;
  reportedBy: string | null;
}

export interface BadRevisionRow {
  revno: number;
  sha: string;
  fixed_by_revno: number | null;
  fix_status: QaStatus | null;
}

export interface Enrichment {
  message: string;
  author: string;
  parents: string[];
  changedFiles: string[];
  db: boolean;
}

@Injectable()
export class RevisionsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  /** Serialises work on one branch across replicas, until the transaction ends. */
  async lockBranch(em: EntityManager, branch: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`qa-gate.branch.${branch}`]);
  }

  /** What a batch of landings needs to know about its branch, in one query (call with the branch locked). */
  async landingContext(em: EntityManager, branch: string, shas: string[], revnos: number[]) {
    type State = { deployable_revno: number | null; deployable_sha: string | null; tip_revno: number | null; tip_sha: string | null };
    const [row]: { max: number; known: [string, number][]; state: State | null }[] = await em.query(
      `SELECT (SELECT coalesce(max(revno), 0)::int FROM revisions WHERE branch = $1) AS max,
              (SELECT coalesce(json_agg(json_build_array(sha, revno)), '[]'::json) FROM revisions
                WHERE branch = $1 AND (sha = ANY($2) OR revno = ANY($3::int[]))) AS known,
              (SELECT json_build_object('deployable_revno', deployable_revno, 'deployable_sha', deployable_sha, 'tip_revno', tip_revno, 'tip_sha', tip_sha)
                 FROM branch_state WHERE branch = $1) AS state`,
      [branch, shas, revnos],
    );
    const wanted = new Set(shas);
    return {
      max: row.max,
      state: row.state,
      existing: new Map(row.known.filter(([sha]) => wanted.has(sha)).map(([sha, revno]) => [sha, revno])),
      taken: new Map(row.known.map(([sha, revno]) => [revno, sha])),
    };
  }

  async maxRevno(em: EntityManager, branch: string): Promise<number> {
    const [row] = await em.query(`SELECT coalesce(max(revno), 0)::int AS n FROM revisions WHERE branch = $1`, [branch]);
    return row.n;
  }

  async insertRevisions(em: EntityManager, rows: NewRevision[]): Promise<void> {
    if (rows.length === 0) return;
    const cols = 15;
    const params: unknown[] = [];
    const values = rows.map((r, i) => {
      params.push(
        r.branch, r.revno, r.sha, r.message, r.author, r.landedAt, r.buildUrl, r.buildId, r.reportedBy, r.qaStatus, r.db, r.changedFiles,
        r.enriched ? new Date() : null, r.parents ?? null, r.landedWith ?? null,
      );
      return `(${Array.from({ length: cols }, (_, k) => `$${i * cols + k + 1}`).join(', ')}, now())`;
    });
    await em.query(
      `INSERT INTO revisions (branch, revno, sha, message, author, landed_at, build_url, build_id, reported_by, qa_status, db, changed_files, enriched_at,
                              parents, landed_with, next_enrich_at)
       VALUES ${values.join(', ')}`,
      params,
    );
  }

  async insertBuildEvents(em: EntityManager, rows: NewBuildEvent[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const cols = 14;
    const params: unknown[] = [];
    const values = rows.map((r, i) => {
      params.push(r.buildId, r.buildNumber, r.builder, r.branch, r.revision, r.results, r.complete, r.stateString, r.url, r.startedAt, r.completeAt, r.landed, r.reason, r.reportedBy);
      return `(${Array.from({ length: cols }, (_, k) => `$${i * cols + k + 1}`).join(', ')})`;
    });
    const inserted: { build_id: number; complete: boolean }[] = await em.query(
      `INSERT INTO build_events (build_id, build_number, builder, branch, revision, results, complete, state_string, url, started_at, complete_at, landed, reason, reported_by)
       VALUES ${values.join(', ')} ON CONFLICT (build_id, complete) DO NOTHING RETURNING build_id, complete`,
      params,
    );
    return new Set(inserted.map((r) => `${r.build_id}:${r.complete}`));
  }

  findByRevno(em: EntityManager, branch: string, revno: number): Promise<RevisionEntity | null> {
    return em.findOne(RevisionEntity, { where: { branch, revno } });
  }

  findBySha(em: EntityManager, branch: string, sha: string): Promise<RevisionEntity | null> {
    return em.findOne(RevisionEntity, { where: { branch, sha } });
  }

  async findByShaPrefix(em: EntityManager, branch: string, prefix: string): Promise<RevisionEntity | null> {
    const rows = await em.getRepository(RevisionEntity).createQueryBuilder('r')
      .where('r.branch = :branch AND r.sha LIKE :p', { branch, p: `${prefix}%` }).limit(2).getMany();
    return rows.length === 1 ? rows[0] : null;
  }

  /** Records that `fix` fixes `bad`, on both revisions. */
  async linkFix(em: EntityManager, branch: string, badRevno: number, fixRevno: number): Promise<void> {
    await em.query(`UPDATE revisions SET fixed_by_revno = $3 WHERE branch = $1 AND revno = $2`, [branch, badRevno, fixRevno]);
    await em.query(`UPDATE revisions SET fixes_revno = $2 WHERE branch = $1 AND revno = $3`, [branch, badRevno, fixRevno]);
  }

  /** Sets a status and keeps the change in the history, in one statement. */
  async setStatus(em: EntityManager, rev: { id: string; qaStatus: QaStatus }, to: QaStatus, by: string, note: string | null): Promise<void> {
    await em.query(
      `WITH changed AS (UPDATE revisions SET qa_status = $2, status_changed_at = now() WHERE id = $1 RETURNING id)
       INSERT INTO qa_history (revision_id, from_status, to_status, by, note) SELECT id, $3, $2, $4, $5 FROM changed`,
      [rev.id, to, rev.qaStatus, by, note],
    );
  }

  /**
   * Finds a revision by id or sha and takes its branch's lock, in one statement. Returns its id;
   * read it again after this, since it may have changed while we waited for the lock.
   */
  async lockRevision(em: EntityManager, idOrSha: string): Promise<string | null> {
    const byId = /^\d{1,18}$/.test(idOrSha);
    const rows: { id: string }[] = await em.query(
      `SELECT id, pg_advisory_xact_lock(hashtext('qa-gate.branch.' || branch)) FROM revisions WHERE ${byId ? 'id = $1::bigint' : 'sha = $1'} ORDER BY id LIMIT 1`,
      [idOrSha],
    );
    return rows[0]?.id ?? null;
  }

  findById(em: EntityManager, id: string): Promise<RevisionEntity | null> {
    return em.findOne(RevisionEntity, { where: { id } });
  }

  async addHistory(em: EntityManager, revisionId: string, from: QaStatus, to: QaStatus, by: string, note: string): Promise<void> {
    await em.insert(QaHistoryEntity, { revisionId, fromStatus: from, toStatus: to, by, note });
  }

  /** The next `limit` revisions above `afterRevno`, as the walk needs them. */
  async walkChunk(em: EntityManager | null, branch: string, afterRevno: number, limit: number): Promise<RevisionQa[]> {
    const rows: { revno: number; sha: string; qa_status: QaStatus; fixed_by_revno: number | null; db: boolean; enriched: boolean }[] = await (
      em ?? this.ds.manager
    ).query(
      `SELECT revno, sha, qa_status, fixed_by_revno, db, enriched_at IS NOT NULL AS enriched
         FROM revisions WHERE branch = $1 AND revno > $2 ORDER BY revno LIMIT $3`,
      [branch, afterRevno, limit],
    );
    return rows.map((r) => ({ revno: r.revno, sha: r.sha, status: r.qa_status, fixedByRevno: r.fixed_by_revno, db: r.db, enriched: r.enriched }));
  }

  branchState(em: EntityManager | null, branch: string): Promise<BranchStateEntity | null> {
    return (em ?? this.ds.manager).findOne(BranchStateEntity, { where: { branch } });
  }

  /** The highest recorded revision of a branch: where the next landing must follow on. */
  async recordedTip(em: EntityManager | null, branch: string): Promise<{ revno: number; sha: string } | null> {
    const [row]: { revno: number; sha: string }[] = await (em ?? this.ds.manager).query(
      `SELECT revno, sha FROM revisions WHERE branch = $1 ORDER BY revno DESC LIMIT 1`,
      [branch],
    );
    return row ?? null;
  }

  /** Sets (or clears) the deployable revision, with the branch's decision number. */
  async saveDeployable(em: EntityManager, branch: string, d: { revno: number; sha: string } | null, seq: number): Promise<void> {
    await em.query(
      `INSERT INTO branch_state (branch, deployable_revno, deployable_sha, seq, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (branch) DO UPDATE SET deployable_revno = $2, deployable_sha = $3, seq = $4, updated_at = now()`,
      [branch, d?.revno ?? null, d?.sha ?? null, seq],
    );
  }

  /** Bad revisions at or below `productionRevno`, with their fix's status. Few rows: bad revisions have their own index. */
  badInProduction(em: EntityManager, branch: string, productionRevno: number): Promise<BadRevisionRow[]> {
    return em.query(
      `SELECT b.revno, b.sha, b.fixed_by_revno, f.qa_status AS fix_status
         FROM revisions b LEFT JOIN revisions f ON f.branch = b.branch AND f.revno = b.fixed_by_revno
        WHERE b.branch = $1 AND b.qa_status = 'bad' AND b.revno <= $2
        ORDER BY b.revno LIMIT 10000`,
      [branch, productionRevno],
    );
  }

  async saveProductionBad(em: EntityManager, branch: string, bad: unknown[], seq: number): Promise<void> {
    await em.query(
      `INSERT INTO branch_state (branch, production_bad, seq, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (branch) DO UPDATE SET production_bad = $2, seq = $3, updated_at = now()`,
      [branch, JSON.stringify(bad), seq],
    );
  }

  async saveTip(em: EntityManager, branch: string, revno: number, sha: string): Promise<void> {
    await em.query(
      `INSERT INTO branch_state (branch, tip_revno, tip_sha, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (branch) DO UPDATE SET tip_revno = $2, tip_sha = $3, updated_at = now()`,
      [branch, revno, sha],
    );
  }

  /** Records the last promoted revision; never moves it backwards. */
  async savePromoted(em: EntityManager, branch: string, revno: number | null, sha: string, at: Date): Promise<void> {
    await em.query(
      `INSERT INTO branch_state (branch, last_promoted_revno, last_promoted_sha, last_promoted_at, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (branch) DO UPDATE SET last_promoted_revno = $2, last_promoted_sha = $3, last_promoted_at = $4, updated_at = now()
       WHERE branch_state.last_promoted_revno IS NULL OR $2::int IS NULL OR branch_state.last_promoted_revno < $2`,
      [branch, revno, sha, at],
    );
  }

  async dbShasBetween(em: EntityManager, branch: string, fromRevnoExclusive: number, toRevno: number): Promise<boolean> {
    const [row] = await em.query(`SELECT bool_or(db) AS any FROM revisions WHERE branch = $1 AND revno > $2 AND revno <= $3`, [branch, fromRevnoExclusive, toRevno]);
    return row.any === true;
  }

  /** Revisions waiting to be read from git, locked so replicas share the work. */
  async claimUnenriched(em: EntityManager, limit: number): Promise<{ id: string; branch: string; revno: number; sha: string; message: string | null; enrich_attempts: number }[]> {
    return em.query(
      `SELECT id, branch, revno, sha, message, enrich_attempts FROM revisions
        WHERE enriched_at IS NULL AND (next_enrich_at IS NULL OR next_enrich_at <= now())
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
  }

  async markEnriched(em: EntityManager, id: string, e: Enrichment): Promise<void> {
    await em.query(
      `UPDATE revisions SET message = $2, author = coalesce(author, $3), parents = $4, changed_files = $5, db = $6,
              enriched_at = now(), enrich_error = NULL, next_enrich_at = NULL WHERE id = $1`,
      [id, e.message, e.author, e.parents, e.changedFiles, e.db],
    );
  }

  async markEnrichFailed(em: EntityManager, ids: string[], error: string, retryInSeconds: number): Promise<void> {
    await em.query(
      `UPDATE revisions SET enrich_attempts = enrich_attempts + 1, enrich_error = $2,
              next_enrich_at = now() + make_interval(secs => least($3 * power(2, least(enrich_attempts, 6)), 3600))
        WHERE id = ANY($1)`,
      [ids, error.slice(0, 2000), retryInSeconds],
    );
  }

  async pendingEnrichment(): Promise<number> {
    const [row] = await this.ds.query(`SELECT count(*)::int AS n FROM revisions WHERE enriched_at IS NULL`);
    return row.n;
  }

  get(idOrSha: string): Promise<RevisionEntity | null> {
    if (/^\d{1,18}$/.test(idOrSha)) return this.ds.manager.findOne(RevisionEntity, { where: { id: idOrSha } });
    return this.ds.manager.findOne(RevisionEntity, { where: { sha: idOrSha } });
  }

  getByRevno(branch: string, revno: number): Promise<RevisionEntity | null> {
    return this.ds.manager.findOne(RevisionEntity, { where: { branch, revno } });
  }

  history(revisionId: string): Promise<QaHistoryEntity[]> {
    return this.ds.manager.find(QaHistoryEntity, { where: { revisionId }, order: { id: 'ASC' } });
  }

  builds(sha: string): Promise<BuildEventEntity[]> {
    return this.ds.manager.find(BuildEventEntity, { where: { revision: sha }, order: { id: 'ASC' } });
  }

  list(q: RevisionQuery): Promise<RevisionEntity[]> {
    const qb = this.ds.manager.getRepository(RevisionEntity).createQueryBuilder('r').orderBy('r.revno', 'DESC').addOrderBy('r.id', 'DESC').limit(q.limit);
    if (q.branch) qb.andWhere('r.branch = :branch', { branch: q.branch });
    if (q.status) qb.andWhere('r.qa_status = :status', { status: q.status });
    if (q.beforeRevno) qb.andWhere('r.revno < :before', { before: q.beforeRevno });
    if (q.since) qb.andWhere('r.landed_at >= :since', { since: q.since });
    return qb.getMany();
  }
}
