import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A rollout now comes from a promotion (production) or from the QA tip moving (QA environments). */
export class RolloutCauses1763800000000 implements MigrationInterface {
  name = 'RolloutCauses1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rollouts RENAME COLUMN promotion_id TO source_id`);
    await q.query(`ALTER TABLE rollouts ALTER COLUMN source_id TYPE text`);
    await q.query(`ALTER TABLE rollouts RENAME CONSTRAINT rollouts_promotion_key TO rollouts_source_key`);
    await q.query(`ALTER TABLE rollouts ADD COLUMN cause text NOT NULL DEFAULT 'promoted'`);
    await q.query(`ALTER TABLE rollouts ALTER COLUMN cause DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rollouts DROP COLUMN cause`);
    await q.query(`ALTER TABLE rollouts RENAME CONSTRAINT rollouts_source_key TO rollouts_promotion_key`);
    await q.query(`ALTER TABLE rollouts ALTER COLUMN source_id TYPE uuid USING source_id::uuid`);
    await q.query(`ALTER TABLE rollouts RENAME COLUMN source_id TO promotion_id`);
  }
}
