/**
 * The only place rollout touches TypeORM. Writes take the caller's transaction. Every change of
 * a rollout's state or batch passes through `insertRollout` or `saveRollout`, which announce it
 * (`rollout-changed`) in the same transaction: the trail and the figures built on it miss none.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, In, IsNull } from 'typeorm';
import { Events, type ServerChangedV1 } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DeployEntity, RolloutEntity, type RolloutState, type RolloutTrack, ServerEntity, ServerHoldEntity } from './rollout.entity';

@Injectable()
export class RolloutsRepository {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(Outbox) private readonly outbox: Outbox,
  ) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  /** For reads outside a transaction. */
  get manager(): EntityManager {
    return this.ds.manager;
  }

  /** Registered servers (deregistered ones take part in nothing, and are listed only when asked for). */
  servers(em: EntityManager | null = null, withDeregistered = false): Promise<ServerEntity[]> {
    return (em ?? this.ds.manager).find(ServerEntity, {
      where: withDeregistered ? {} : { deregisteredAt: IsNull() }, order: { environment: 'ASC', host: 'ASC' },
    });
  }

  server(em: EntityManager, host: string): Promise<ServerEntity | null> {
    return em.findOne(ServerEntity, { where: { host } });
  }

  async saveServer(em: EntityManager, s: ServerEntity): Promise<void> {
    await em.save(ServerEntity, s);
  }

  /**
   * Keeps the newest heartbeat of a host. The revision it says it runs counts only if the
   * heartbeat is newer than the last deploy report that set it: a heartbeat sent just before a
   * deploy ended must not undo it.
   */
  async heartbeat(em: EntityManager, host: string, at: Date, runningRevision?: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await em.query(
      `UPDATE servers SET last_heartbeat_at = $2,
              running_revision = CASE WHEN $3::text IS NOT NULL AND (running_since IS NULL OR running_since < $2) THEN $3 ELSE running_revision END
        WHERE host = $1 AND deregistered_at IS NULL AND (last_heartbeat_at IS NULL OR last_heartbeat_at < $2)`,
      [host, at, runningRevision ?? null],
    );
    return affected > 0;
  }

  rolloutFor(em: EntityManager, sourceId: string): Promise<RolloutEntity | null> {
    return em.findOne(RolloutEntity, { where: { sourceId } });
  }

  /** `reason`: an operator's, for a rollout they asked for. */
  async insertRollout(em: EntityManager, r: RolloutEntity, reason?: string): Promise<void> {
    await em.insert(RolloutEntity, r);
    await this.announce(em, r, undefined, reason);
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

  /** A deploy succeeded: the server runs what Runway put there, as of now. */
  async setRunning(em: EntityManager, host: string, revision: string): Promise<void> {
    await em.query(
      `UPDATE servers SET running_revision = $2, last_deployed_revision = $2, running_since = now(), drift_since = NULL WHERE host = $1`,
      [host, revision],
    );
  }

  async setDrift(em: EntityManager, host: string, since: Date | null): Promise<void> {
    await em.query(`UPDATE servers SET drift_since = $2 WHERE host = $1 AND drift_since IS DISTINCT FROM $2`, [host, since]);
  }

  /** An operator put `revision` on these servers by hand: it stays there until the track rolls out something newer. */
  async pin(em: EntityManager, host: string, revision: string, at: Date): Promise<void> {
    await em.query(`UPDATE servers SET pinned_revision = $2, pinned_at = $3 WHERE host = $1`, [host, revision, at]);
  }

  async deregister(em: EntityManager, host: string, by: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await em.query(
      `UPDATE servers SET deregistered_at = now(), deregistered_by = $2 WHERE host = $1 AND deregistered_at IS NULL`,
      [host, by],
    );
    return affected > 0;
  }

  /** A deregistered server's deploys that have not ended end here: none will ever report. Returns their rollouts. */
  async cancelOpenFor(em: EntityManager, host: string): Promise<string[]> {
    const [rows]: [{ rollout_id: string }[], number] = await em.query(
      `UPDATE deploys SET status = 'cancelled', output_tail = coalesce(output_tail || E'\n', '') || '[runway] the server was deregistered', updated_at = now()
        WHERE host = $1 AND status IN ('pending', 'requested', 'started') RETURNING rollout_id`,
      [host],
    );
    return [...new Set(rows.map((r) => r.rollout_id))];
  }

  /** Deploys sent out longer ago than `deadline` and never reported done. */
  overdueDeploys(em: EntityManager, before: Date): Promise<DeployEntity[]> {
    return em.getRepository(DeployEntity).createQueryBuilder('d')
      .where(`d.status IN ('requested', 'started') AND d.requested_at < :before`, { before }).orderBy('d.requested_at').limit(1000).getMany();
  }

  /** The revision a track last rolled out everywhere, and when. */
  async baseline(em: EntityManager | null, track: RolloutTrack): Promise<{ sha: string; rolloutId: string; at: Date } | null> {
    const [row]: { sha: string; rollout_id: string; at: Date }[] = await (em ?? this.ds.manager).query(
      `SELECT sha, rollout_id, at FROM track_baselines WHERE track = $1`,
      [track],
    );
    return row ? { sha: row.sha, rolloutId: row.rollout_id, at: row.at } : null;
  }

  async setBaseline(em: EntityManager, track: RolloutTrack, sha: string, rolloutId: string, at: Date): Promise<void> {
    await em.query(
      `INSERT INTO track_baselines (track, sha, rollout_id, at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (track) DO UPDATE SET sha = $2, rollout_id = $3, at = $4 WHERE track_baselines.at <= $4`,
      [track, sha, rolloutId, at],
    );
  }

  /** Hosts whose deploy of `revision` failed since `since`. */
  async failedLately(em: EntityManager, revision: string, since: Date): Promise<Set<string>> {
    const rows: { host: string }[] = await em.query(
      `SELECT DISTINCT host FROM deploys WHERE revision = $1 AND status IN ('failed', 'rolled-back') AND updated_at > $2`,
      [revision, since],
    );
    return new Set(rows.map((r) => r.host));
  }

  /** Hosts with a deploy that has not ended: a rollout is on its way to them. */
  async busyHosts(em: EntityManager): Promise<Set<string>> {
    const rows: { host: string }[] = await em.query(
      `SELECT DISTINCT d.host FROM deploys d JOIN rollouts r ON r.id = d.rollout_id
        WHERE d.status IN ('pending', 'requested', 'started')
          AND r.status IN ('queued', 'waiting-window', 'preflight', 'blocked', 'in-progress', 'paused')`,
    );
    return new Set(rows.map((r) => r.host));
  }

  /** Whether any rollout of the track has not ended (queued, waiting, deploying, paused). */
  async trackBusy(em: EntityManager, track: RolloutTrack): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM rollouts WHERE track = $1 AND status IN ('queued', 'waiting-window', 'preflight', 'blocked', 'in-progress', 'paused') LIMIT 1`,
      [track],
    );
    return rows.length > 0;
  }

  /**
   * Where a rollout stands, counted by Postgres rather than read row by row: a rollout over a
   * thousand servers answers a thousand reports, and each must stay cheap.
   */
  async progressCounts(em: EntityManager, rolloutId: string, currentBatch: number) {
    const [row] = await em.query(
      `SELECT (SELECT host FROM deploys WHERE rollout_id = $1 AND status IN ('failed', 'rolled-back') ORDER BY updated_at LIMIT 1) AS failed_host,
              count(*) FILTER (WHERE batch = $2 AND status NOT IN ('succeeded', 'skipped', 'cancelled'))::int AS running,
              min(batch) FILTER (WHERE batch > $2) AS next
         FROM deploys WHERE rollout_id = $1`,
      [rolloutId, currentBatch],
    );
    return { failedHost: row.failed_host as string | null, running: row.running as number, next: row.next as number | null };
  }

  failedDeploy(em: EntityManager, rolloutId: string, host: string): Promise<DeployEntity | null> {
    return em.findOne(DeployEntity, { where: { rolloutId, host } });
  }

  /** Every deploy sent out and not reported done, one a host at most. */
  openDeploys(em: EntityManager | null): Promise<DeployEntity[]> {
    return (em ?? this.ds.manager).getRepository(DeployEntity).createQueryBuilder('d')
      .where(`d.status IN ('requested', 'started')`).orderBy('d.requested_at').getMany();
  }

  deploysOf(em: EntityManager | null, rolloutId: string): Promise<DeployEntity[]> {
    return (em ?? this.ds.manager).find(DeployEntity, { where: { rolloutId }, order: { host: 'ASC' } });
  }

  async saveRollout(em: EntityManager, r: RolloutEntity): Promise<void> {
    const [before]: { status: RolloutState; current_batch: number }[] = await em.query(
      `SELECT status, current_batch FROM rollouts WHERE id = $1`, [r.id],
    );
    await em.save(RolloutEntity, r);
    if (!before || before.status !== r.status || before.current_batch !== r.currentBatch) await this.announce(em, r, before?.status);
  }

  private async announce(em: EntityManager, r: RolloutEntity, previousStatus: RolloutState | undefined, reason?: string): Promise<void> {
    await this.outbox.enqueue(em, Events.RolloutChanged, {
      rolloutId: r.id, track: r.track, cause: r.cause, status: r.status, previousStatus, revision: r.toSha, revno: r.toRevno ?? undefined,
      kind: r.kind, batch: r.currentBatch, batches: r.batches, hosts: r.hosts ?? undefined, revisions: r.revisions, skipped: r.skipped,
      failure: r.failure ?? undefined, scheduledFor: r.scheduledFor?.toISOString(),
    }, { reason: reason ?? (r.status === 'cancelled' ? (r.failure ?? undefined) : undefined) });
  }

  /** Says that a server joined or left the fleet, or was held or released. */
  async announceServer(em: EntityManager, data: ServerChangedV1, reason?: string): Promise<void> {
    await this.outbox.enqueue(em, Events.ServerChanged, data, { reason: reason ?? data.reason });
  }

  rollout(em: EntityManager | null, id: string): Promise<RolloutEntity | null> {
    return (em ?? this.ds.manager).findOne(RolloutEntity, { where: { id } });
  }

  rolloutsIn(em: EntityManager, statuses: RolloutState[], track?: RolloutTrack): Promise<RolloutEntity[]> {
    return em.find(RolloutEntity, { where: { status: In(statuses), ...(track ? { track } : {}) }, order: { createdAt: 'ASC' } });
  }

  /**
   * Serialises everything that changes which rollout of a track runs: arrivals, starts, the end
   * of a rollout, the scheduler, pause and resume. Taken before any rollout row is locked, so
   * two replicas never deadlock over a track.
   */
  async lockTrack(em: EntityManager, track: RolloutTrack): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`rollout.track.${track}`]);
  }

  /** Whether a rollout of this track is in preflight, deploying, or paused mid-deploy (see track.ts). */
  async trackHeld(em: EntityManager, track: RolloutTrack): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM rollouts WHERE track = $1 AND (status IN ('preflight', 'in-progress') OR (status = 'paused' AND paused_from = 'in-progress')) LIMIT 1`,
      [track],
    );
    return rows.length > 0;
  }

  /** The highest revno a promotion or QA tip of this track was planned for (they only move forward). */
  async newestRevno(em: EntityManager, track: 'promoted' | 'qa-tip'): Promise<number | null> {
    const [row]: { revno: number | null }[] = await em.query(`SELECT max(to_revno) AS revno FROM rollouts WHERE track = $1 AND cause = $1`, [track]);
    return row?.revno ?? null;
  }

  /** When the production rollout of a promotion that started last started (superseded ones never started). */
  async lastProductionStart(em: EntityManager): Promise<Date | null> {
    const [row]: { at: Date | null }[] = await em.query(`SELECT max(started_at) AS at FROM rollouts WHERE cause = 'promoted'`);
    return row?.at ?? null;
  }

  rolloutForUpdate(em: EntityManager, id: string): Promise<RolloutEntity | null> {
    return em.findOne(RolloutEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Marks those of a batch's pending deploys that go out requested; returns them. */
  async requestDeploys(em: EntityManager, rolloutId: string, ids: string[]): Promise<DeployEntity[]> {
    if (ids.length === 0) return [];
    await em.query(`UPDATE deploys SET status = 'requested', requested_at = now(), updated_at = now() WHERE rollout_id = $1 AND id = ANY($2) AND status = 'pending'`, [rolloutId, ids]);
    return em.find(DeployEntity, { where: { rolloutId, id: In(ids), status: 'requested' } });
  }

  async cancelPending(em: EntityManager, rolloutId: string): Promise<void> {
    await em.query(`UPDATE deploys SET status = 'cancelled', updated_at = now() WHERE rollout_id = $1 AND status = 'pending'`, [rolloutId]);
  }

  /** A batch's pending deploys, to be decided one by one as it goes out. */
  pendingOfBatch(em: EntityManager, rolloutId: string, batch: number): Promise<DeployEntity[]> {
    return em.find(DeployEntity, { where: { rolloutId, batch, status: 'pending' }, order: { host: 'ASC' } });
  }

  /** Deploys decided against as their batch went out, with why. */
  async skipDeploys(em: EntityManager, skips: { id: string; reason: string }[]): Promise<void> {
    for (const s of skips) {
      await em.query(`UPDATE deploys SET status = 'skipped', output_tail = $2, updated_at = now() WHERE id = $1 AND status = 'pending'`, [s.id, s.reason]);
    }
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
