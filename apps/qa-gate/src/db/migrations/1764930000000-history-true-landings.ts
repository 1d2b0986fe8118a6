import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Landings follow git: with a repository, a landing waits in `landings` until git says which
 * first-parent commits it covers, and each of those becomes a revision naming the landing that
 * brought it. Each branch numbers its approvals and withdrawals (`seq`) and remembers which
 * revisions production runs that QA found bad.
 */
export class HistoryTrueLandings1764930000000 implements MigrationInterface {
  name = 'HistoryTrueLandings1764930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE landings (
        id              bigserial PRIMARY KEY,
        branch          text NOT NULL,
        sha             text NOT NULL,
        claimed_revno   int,
        author          text,
        landed_at       timestamptz NOT NULL,
        build_url       text,
        build_id        int,
        reported_by     text,
        state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'recorded', 'known', 'refused', 'dismissed')),
        refusal         text CHECK (refusal IN ('rewritten', 'not-first-parent')),
        reason          text,
        revno_from      int,
        revno_to        int,
        attempts        int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        received_at     timestamptz NOT NULL DEFAULT now(),
        resolved_at     timestamptz,
        dismissed_by    text
      )`);
    await q.query(`CREATE UNIQUE INDEX landings_waiting_key ON landings (branch, sha) WHERE state IN ('pending', 'refused')`);
    await q.query(`CREATE INDEX landings_pending_idx ON landings (id) WHERE state = 'pending'`);
    await q.query(`ALTER TABLE revisions ADD COLUMN landed_with text`);
    await q.query(`CREATE INDEX revisions_bad_idx ON revisions (branch, revno) WHERE qa_status = 'bad'`);
    await q.query(`
      ALTER TABLE branch_state
        ADD COLUMN seq            int NOT NULL DEFAULT 0,
        ADD COLUMN production_bad jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE branch_state DROP COLUMN seq, DROP COLUMN production_bad`);
    await q.query(`DROP INDEX revisions_bad_idx`);
    await q.query(`ALTER TABLE revisions DROP COLUMN landed_with`);
    await q.query(`DROP TABLE landings`);
  }
}
