import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createMessagingTables } from '@runway/messaging';
import { createAuthTables } from '@runway/platform';

export class Initial1763790000000 implements MigrationInterface {
  name = 'Initial1763790000000';

  async up(q: QueryRunner): Promise<void> {
    await createMessagingTables(q);
    await createAuthTables(q);
    await q.query(`
      CREATE TABLE revisions (
        id             bigserial PRIMARY KEY,
        branch         text NOT NULL,
        revno          int NOT NULL,
        sha            text NOT NULL,
        message        text,
        author         text,
        landed_at      timestamptz NOT NULL,
        build_url      text,
        reported_by    text,
        qa_status      text NOT NULL CHECK (qa_status IN ('needs-testing', 'ok', 'bad', 'untestable', 'no-qa')),
        db             boolean NOT NULL DEFAULT false,
        fixed_by_revno int,
        recorded_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT revisions_branch_sha_key UNIQUE (branch, sha),
        CONSTRAINT revisions_branch_revno_key UNIQUE (branch, revno)
      )`);
    await q.query(`
      CREATE TABLE qa_history (
        id          bigserial PRIMARY KEY,
        revision_id bigint NOT NULL REFERENCES revisions (id),
        from_status text,
        to_status   text NOT NULL,
        by          text NOT NULL,
        note        text,
        at          timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX qa_history_revision_idx ON qa_history (revision_id)`);
    await q.query(`
      CREATE TABLE branch_state (
        branch           text PRIMARY KEY,
        deployable_revno int,
        deployable_sha   text,
        updated_at       timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE branch_state, qa_history, revisions, api_tokens, inbox, outbox`);
  }
}
