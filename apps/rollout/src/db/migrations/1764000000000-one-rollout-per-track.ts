import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A track runs one rollout at a time: arrivals wait `queued` behind the one deploying, so a
 * rollout may start long after it was created, and `started_at` says when it did (the cadence
 * counts from the last start). Every arrival asks for the newest revno planned, whether its
 * track is held, and what has not started yet, so those are indexed by cause: a burst of
 * thousands of promotions must stay cheap.
 */
export class OneRolloutPerTrack1764000000000 implements MigrationInterface {
  name = 'OneRolloutPerTrack1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX rollouts_active_idx`);
    await q.query(
      `CREATE INDEX rollouts_open_idx ON rollouts (cause, created_at)
        WHERE status IN ('queued', 'waiting-window', 'preflight', 'blocked', 'in-progress', 'paused')`,
    );
    await q.query(`CREATE INDEX rollouts_cause_revno_idx ON rollouts (cause, to_revno)`);
    await q.query(`ALTER TABLE rollouts ADD COLUMN started_at timestamptz`);
    await q.query(`UPDATE rollouts SET started_at = created_at WHERE status IN ('in-progress', 'paused', 'succeeded', 'failed')`);
    await q.query(`CREATE INDEX rollouts_cause_started_idx ON rollouts (cause, started_at)`);
    await q.query(`CREATE INDEX rollouts_created_idx ON rollouts (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX rollouts_created_idx`);
    await q.query(`DROP INDEX rollouts_cause_started_idx`);
    await q.query(`ALTER TABLE rollouts DROP COLUMN started_at`);
    await q.query(`DROP INDEX rollouts_cause_revno_idx`);
    await q.query(`DROP INDEX rollouts_open_idx`);
    await q.query(`CREATE INDEX rollouts_active_idx ON rollouts (created_at) WHERE status IN ('waiting-window', 'blocked', 'in-progress', 'paused')`);
  }
}
