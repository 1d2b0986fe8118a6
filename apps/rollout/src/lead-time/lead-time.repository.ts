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

  since(since: Date, limit: number): Promise<LeadTimeRow[]> {
    return this.ds.query(
      `SELECT sha, revno, landed_at, qa_passed_at, promoted_at, deployed_at FROM lead_times
        WHERE coalesce(landed_at, qa_passed_at, promoted_at) >= $1 ORDER BY coalesce(landed_at, qa_passed_at, promoted_at) DESC LIMIT $2`,
      [since, limit],
    );
  }
}
