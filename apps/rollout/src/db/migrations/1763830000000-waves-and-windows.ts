import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rollouts in waves and batches, downtime windows, pauses, and operators' holds on servers. */
export class WavesAndWindows1763830000000 implements MigrationInterface {
  name = 'WavesAndWindows1763830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE rollouts
        ADD COLUMN batches       int NOT NULL DEFAULT 1,
        ADD COLUMN current_batch int NOT NULL DEFAULT 0,
        ADD COLUMN scheduled_for timestamptz,
        ADD COLUMN failure       text,
        ADD COLUMN paused_from   text,
        ADD COLUMN paused_by     text,
        ADD COLUMN skipped       jsonb NOT NULL DEFAULT '[]'`);
    await q.query(`CREATE INDEX rollouts_active_idx ON rollouts (created_at) WHERE status IN ('waiting-window', 'blocked', 'in-progress', 'paused')`);
    await q.query(`ALTER TABLE deploys ADD COLUMN batch int NOT NULL DEFAULT 0, ADD COLUMN wave text`);
    await q.query(`CREATE INDEX deploys_rollout_batch_idx ON deploys (rollout_id, batch)`);
    await q.query(`
      CREATE TABLE server_holds (
        host       text PRIMARY KEY,
        reason     text NOT NULL,
        author     text NOT NULL,
        until      timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE server_holds`);
    await q.query(`DROP INDEX deploys_rollout_batch_idx`);
    await q.query(`ALTER TABLE deploys DROP COLUMN batch, DROP COLUMN wave`);
    await q.query(`DROP INDEX rollouts_active_idx`);
    await q.query(`ALTER TABLE rollouts DROP COLUMN batches, DROP COLUMN current_batch, DROP COLUMN scheduled_for, DROP COLUMN failure,
      DROP COLUMN paused_from, DROP COLUMN paused_by, DROP COLUMN skipped`);
  }
}
