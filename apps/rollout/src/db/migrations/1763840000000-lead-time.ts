import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When each revision landed, passed QA, was promoted and ran on every production server. */
export class LeadTime1763840000000 implements MigrationInterface {
  name = 'LeadTime1763840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lead_times (
        sha          text PRIMARY KEY,
        revno        int,
        landed_at    timestamptz,
        qa_passed_at timestamptz,
        promoted_at  timestamptz,
        deployed_at  timestamptz
      )`);
    await q.query(`CREATE INDEX lead_times_landed_idx ON lead_times (landed_at)`);
    await q.query(`ALTER TABLE rollouts ADD COLUMN revisions text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rollouts DROP COLUMN revisions`);
    await q.query(`DROP TABLE lead_times`);
  }
}
