import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Approvals waiting to be promoted, security fixes and their merge-back, locks, holds, and how each promotion moved git. */
export class GitPromotion1763810000000 implements MigrationInterface {
  name = 'GitPromotion1763810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE approvals (
        sha         text PRIMARY KEY,
        branch      text NOT NULL,
        revno       int NOT NULL,
        range       jsonb NOT NULL,
        contains_db boolean NOT NULL,
        approved_at timestamptz NOT NULL DEFAULT now(),
        state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'promoted', 'included')),
        promotion_id uuid
      )`);
    await q.query(`CREATE INDEX approvals_pending_idx ON approvals (revno) WHERE state = 'pending'`);
    await q.query(`
      CREATE TABLE security_fixes (
        sha             text PRIMARY KEY,
        branch          text NOT NULL,
        reported_by     text NOT NULL,
        reported_at     timestamptz NOT NULL DEFAULT now(),
        promoted_at     timestamptz,
        promotion_id    uuid,
        merged_back_at  timestamptz,
        merged_back_by  text
      )`);
    await q.query(`
      CREATE TABLE locks (
        id          uuid PRIMARY KEY,
        reason      text NOT NULL,
        author      text NOT NULL,
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        until       timestamptz,
        released_at timestamptz,
        released_by text
      )`);
    await q.query(`
      CREATE TABLE holds (
        id         bigserial PRIMARY KEY,
        sha        text NOT NULL,
        revno      int,
        code       text NOT NULL,
        reason     text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      ALTER TABLE promotions
        ADD COLUMN kind         text NOT NULL DEFAULT 'record-only',
        ADD COLUMN pushed_sha   text,
        ADD COLUMN forced       boolean NOT NULL DEFAULT false,
        ADD COLUMN reason       text`);
    await q.query(`ALTER TABLE promotions ALTER COLUMN to_revno DROP NOT NULL`);
    await q.query(`ALTER TABLE production_state ALTER COLUMN revno DROP NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE promotions DROP COLUMN kind, DROP COLUMN pushed_sha, DROP COLUMN forced, DROP COLUMN reason`);
    await q.query(`DROP TABLE holds, locks, security_fixes, approvals`);
  }
}
