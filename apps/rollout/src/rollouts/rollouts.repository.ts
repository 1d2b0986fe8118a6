/** The only place rollout touches TypeORM. Writes take the caller's transaction. */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, In } from 'typeorm';
import { DeployEntity, type RolloutCause, RolloutEntity, type RolloutState, ServerEntity, ServerHoldEntity } from './rollout.entity';

@Injectable()
export class RolloutsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  /** For reads outside a transaction. */
  get manager(): EntityManager {
    return this.ds.manager;
  }

  servers(em: EntityManager | null = null): Promise<ServerEntity[]> {
    return (em ?? this.ds.manager).find(ServerEntity, { order: { environment: 'ASC', host: 'ASC' } });
  }

  server(em: EntityManager, host: string): Promise<ServerEntity | null> {
    return em.findOne(ServerEntity, { where: { host } });
  }

  async saveServer(em: EntityManager, s: ServerEntity): Promise<void> {
    await em.save(ServerEntity, s);
  }

  async heartbeat(em: EntityManager, host: string, at: Date, runningRevision?: string): Promise<boolean> {
    const set: Partial<ServerEntity> = { lastHeartbeatAt: at };
    if (runningRevision) set.runningRevision = runningRevision;
    const res = await em.createQueryBuilder().update(ServerEntity).set(set)
      .where('host = :host AND (last_heartbeat_at IS NULL OR last_heartbeat_at < :at)', { host, at }).execute();
    return (res.affected ?? 0) > 0;
  }

  rolloutFor(em: EntityManager, sourceId: string): Promise<RolloutEntity | null> {
    return em.findOne(RolloutEntity, { where: { sourceId } });
  }

  async insertRollout(em: EntityManager, r: RolloutEntity): Promise<void> {
    await em.insert(RolloutEntity, r);
  }

  async insertDeploys(em: EntityManager, deploys: DeployEntity[]): Promise<void> {
    if (deploys.length) await em.insert(DeployEntity, deploys);
  }

  deployForUpdate(em: EntityManager, id: string): Promise<DeployEntity | null> {
    return em.findOne(DeployEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** One statement per report, on the hot path of a rollout over many servers. */
  async setDeployStatus(em: EntityManager, id: string, status: DeployEntity['status'], outputTail: string | undefined): Promise<void> {
    await em.query(`UPDATE deploys SET status = $2, output_tail = coalesce($3, output_tail), updated_at = now() WHERE id = $1`, [id, status, outputTail ?? null]);
  }

  /** A running deploy's output so far; only while it runs, so a late message never overwrites the final tail. */
  async setProgress(em: EntityManager, id: string, host: string, outputTail: string): Promise<void> {
    await em.query(`UPDATE deploys SET output_tail = $3, updated_at = now() WHERE id = $1 AND host = $2 AND status = 'started'`, [id, host, outputTail]);
  }

  async setRunning(em: EntityManager, host: string, revision: string): Promise<void> {
    await em.query(`UPDATE servers SET running_revision = $2 WHERE host = $1`, [host, revision]);
  }

  /**
   * Where a rollout stands, counted by Postgres rather than read row by row: a rollout over a
   * thousand servers answers a thousand reports, and each must stay cheap.
   */
  async progressCounts(em: EntityManager, rolloutId: string, currentBatch: number) {
    const [row] = await em.query(
      `SELECT (SELECT host FROM deploys WHERE rollout_id = $1 AND status IN ('failed', 'rolled-back') ORDER BY updated_at LIMIT 1) AS failed_host,
              count(*) FILTER (WHERE batch = $2 AND status <> 'succeeded')::int AS running,
              min(batch) FILTER (WHERE batch > $2) AS next
         FROM deploys WHERE rollout_id = $1`,
      [rolloutId, currentBatch],
    );
    return { failedHost: row.failed_host as string | null, running: row.running as number, next: row.next as number | null };
  }

  failedDeploy(em: EntityManager, rolloutId: string, host: string): Promise<DeployEntity | null> {
    return em.findOne(DeployEntity, { where: { rolloutId, host } });
  }

  deploysOf(em: EntityManager | null, rolloutId: string): Promise<DeployEntity[]> {
    return (em ?? this.ds.manager).find(DeployEntity, { where: { rolloutId }, order: { host: 'ASC' } });
  }

  async saveRollout(em: EntityManager, r: RolloutEntity): Promise<void> {
    await em.save(RolloutEntity, r);
  }

  rollout(em: EntityManager | null, id: string): Promise<RolloutEntity | null> {
    return (em ?? this.ds.manager).findOne(RolloutEntity, { where: { id } });
  }

  rolloutsIn(em: EntityManager, statuses: RolloutState[], cause?: RolloutCause): Promise<RolloutEntity[]> {
    return em.find(RolloutEntity, { where: { status: In(statuses), ...(cause ? { cause } : {}) }, order: { createdAt: 'ASC' } });
  }

  /**
   * Serialises everything that changes which rollout of a track runs: arrivals, starts, the end
   * of a rollout, the scheduler, pause and resume. Taken before any rollout row is locked, so
   * two replicas never deadlock over a track.
   */
  async lockTrack(em: EntityManager, cause: RolloutCause): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`rollout.track.${cause}`]);
  }

  /** Whether a rollout of this track is in preflight, deploying, or paused mid-deploy (see track.ts). */
  async trackHeld(em: EntityManager, cause: RolloutCause): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM rollouts WHERE cause = $1 AND (status IN ('preflight', 'in-progress') OR (status = 'paused' AND paused_from = 'in-progress')) LIMIT 1`,
      [cause],
    );
    return rows.length > 0;
  }

  /** The highest revno any rollout of this cause was planned for (promotions and QA tips only move forward). */
  async newestRevno(em: EntityManager, cause: 'promoted' | 'qa-tip'): Promise<number | null> {
    const [row]: { revno: number | null }[] = await em.query(`SELECT max(to_revno) AS revno FROM rollouts WHERE cause = $1`, [cause]);
    return row?.revno ?? null;
  }

  /** When the production rollout that started last started (superseded ones never started). */
  async lastProductionStart(em: EntityManager): Promise<Date | null> {
    const [row]: { at: Date | null }[] = await em.query(`SELECT max(started_at) AS at FROM rollouts WHERE cause = 'promoted'`);
    return row?.at ?? null;
  }

  rolloutForUpdate(em: EntityManager, id: string): Promise<RolloutEntity | null> {
    return em.findOne(RolloutEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Marks a batch's pending deploys requested; returns them. */
  async requestBatch(em: EntityManager, rolloutId: string, batch: number): Promise<DeployEntity[]> {
    await em.query(`UPDATE deploys SET status = 'requested', requested_at = now(), updated_at = now() WHERE rollout_id = $1 AND batch = $2 AND status = 'pending'`, [rolloutId, batch]);
    return em.find(DeployEntity, { where: { rolloutId, batch, status: 'requested' } });
  }

  async cancelPending(em: EntityManager, rolloutId: string): Promise<void> {
    await em.query(`UPDATE deploys SET status = 'cancelled', updated_at = now() WHERE rollout_id = $1 AND status = 'pending'`, [rolloutId]);
  }

  activeHolds(em: EntityManager | null, at: Date): Promise<ServerHoldEntity[]> {
    return (em ?? this.ds.manager).query(
      `SELECT host, reason, author, until, created_at AS "createdAt" FROM server_holds WHERE until IS NULL OR until > $1`,
      [at],
    );
  }

  async setHold(em: EntityManager, h: Omit<ServerHoldEntity, 'createdAt'>): Promise<void> {
    await em.query(
      `INSERT INTO server_holds (host, reason, author, until) VALUES ($1, $2, $3, $4)
       ON CONFLICT (host) DO UPDATE SET reason = $2, author = $3, until = $4, created_at = now()`,
      [h.host, h.reason, h.author, h.until],
    );
  }

  async releaseHold(em: EntityManager, host: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await em.query(`DELETE FROM server_holds WHERE host = $1`, [host]);
    return affected > 0;
  }

  rollouts(limit: number): Promise<RolloutEntity[]> {
    return this.ds.manager.find(RolloutEntity, { order: { createdAt: 'DESC' }, take: limit });
  }
}
