import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createMessagingTables } from '@runway/messaging';
import { createAuthTables } from '@runway/platform';

export class Initial1763790000000 implements MigrationInterface {
  name = 'Initial1763790000000';

  async up(q: QueryRunner): Promise<void> {
    await createMessagingTables(q);
    await createAuthTables(q);
    await q.query(`
      CREATE TABLE promotions (
        id           uuid PRIMARY KEY,
        branch       text NOT NULL,
        from_sha     text,
        from_revno   int,
        to_sha       text NOT NULL,
        to_revno     int NOT NULL,
        cause        text NOT NULL,
        revisions    jsonb NOT NULL,
        contains_db  boolean NOT NULL,
        deploy_kind  text NOT NULL,
        requested_by text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX promotions_branch_created_idx ON promotions (branch, created_at DESC)`);
    await q.query(`
      CREATE TABLE production_state (
        branch       text PRIMARY KEY,
        sha          text NOT NULL,
        revno        int NOT NULL,
        promotion_id uuid NOT NULL REFERENCES promotions (id),
        updated_at   timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE production_state, promotions, api_tokens, inbox, outbox`);
  }
}
