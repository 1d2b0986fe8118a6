/** Where rollout keeps each revision's times. First sighting of each stage wins. */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { LeadTimeRow } from './lead-time';

type Stage = 'landed_at' | 'qa_passed_at' | 'promoted_at' | 'deployed_at';

@Injectable()
export class LeadTimeRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /**
   * Records `stage` at `at` for each revision, unless it was recorded already. A sha named twice
   * (ranges of promotions that overlap) is recorded once: one statement may not update a row twice.
   */
  async mark(em: EntityManager, stage: Stage, revisions: { sha: string; revno?: number | null }[], at: Date): Promise<void> {
    if (revisions.length === 0) return;
    await em.query(
      `INSERT INTO lead_times (sha, revno, ${stage})
       SELECT DISTINCT ON (sha) sha, revno, $3 FROM unnest($1::text[], $2::int[]) AS r(sha, revno) ORDER BY sha, revno
       ON CONFLICT (sha) DO UPDATE SET ${stage} = coalesce(lead_times.${stage}, EXCLUDED.${stage}), revno = coalesce(lead_times.revno, EXCLUDED.revno)`,
      [revisions.map((r) => r.sha), revisions.map((r) => r.revno ?? null), at],
    );
  }

  /**
   * Stamps `at` as the time each promoted revision runs everywhere, for those `everywhere`
   * contains (at or below its revno, or one of its fixes) that have no time yet.
   */
  async markEverywhere(em: EntityManager, everywhere: { stableRevno: number; fixes: readonly string[] }, at: Date): Promise<{ sha: string; revno: number | null }[]> {
    const [rows]: [{ sha: string; revno: number | null }[], number] = await em.query(
      `UPDATE lead_times SET deployed_at = $3
        WHERE deployed_at IS NULL AND promoted_at IS NOT NULL
          AND (coalesce(revno, (SELECT k.first_stable_revno FROM known_revisions k WHERE k.sha = lead_times.sha)) <= $1 OR sha = ANY($2))
        RETURNING sha, revno`,
      [everywhere.stableRevno, everywhere.fixes, at],
    );
    return rows;
  }

  /** Registered production servers, as lead time counts them: what they run, whether held or silent. */
  productionServers(em: EntityManager | null, at: Date, heartbeatTimeoutS: number, qaEnvironments: readonly string[]): Promise<{ host: string; running: string | null; held: boolean; reachable: boolean }[]> {
    return (em ?? this.ds.manager).query(
      `SELECT s.host, s.running_revision AS running,
              EXISTS (SELECT 1 FROM server_holds h WHERE h.host = s.host AND (h.until IS NULL OR h.until > $1)) AS held,
              coalesce(s.last_heartbeat_at > $1::timestamptz - make_interval(secs => $2), false) AS reachable
         FROM servers s WHERE s.deregistered_at IS NULL AND NOT (s.environment = ANY($3)) ORDER BY s.host`,
      [at, heartbeatTimeoutS, qaEnvironments],
    );
  }

  /**
   * The distinct revisions unheld production servers run (null for a server that runs nothing
   * known): a few rows whatever the fleet's size, so each report can afford to ask.
   */
  async unheldProductionRevisions(em: EntityManager, at: Date, qaEnvironments: readonly string[]): Promise<(string | null)[]> {
    const rows: { running: string | null }[] = await em.query(
      `SELECT DISTINCT s.running_revision AS running FROM servers s
        WHERE s.deregistered_at IS NULL AND NOT (s.environment = ANY($2))
          AND NOT EXISTS (SELECT 1 FROM server_holds h WHERE h.host = s.host AND (h.until IS NULL OR h.until > $1))`,
      [at, qaEnvironments],
    );
    return rows.map((r) => r.running);
  }

  since(since: Date, limit: number): Promise<LeadTimeRow[]> {
    return this.ds.query(
      `SELECT sha, revno, landed_at, qa_passed_at, promoted_at, deployed_at FROM lead_times
        WHERE coalesce(landed_at, qa_passed_at, promoted_at) >= $1 ORDER BY coalesce(landed_at, qa_passed_at, promoted_at) DESC LIMIT $2`,
      [since, limit],
    );
  }
}
