import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Approvals carry qa-gate's decision number and can be withdrawn; what qa-gate last said of
 * production's QA (withdrawals, bad revisions in production) is kept per branch; a security
 * fix remembers how it was merged back (ancestry, patch identity, or an operator's word).
 */
export class WithdrawalsAndMergeBack1764930000000 implements MigrationInterface {
  name = 'WithdrawalsAndMergeBack1764930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE approvals DROP CONSTRAINT approvals_state_check`);
    await q.query(`
      ALTER TABLE approvals
        ADD CONSTRAINT approvals_state_check CHECK (state IN ('pending', 'promoted', 'included', 'withdrawn')),
        ADD COLUMN seq              int,
        ADD COLUMN withdrawn_at     timestamptz,
        ADD COLUMN withdrawn_reason text`);
    await q.query(`CREATE INDEX approvals_withdrawn_idx ON approvals (withdrawn_at DESC) WHERE state = 'withdrawn'`);
    await q.query(`
      CREATE TABLE qa_view (
        branch             text PRIMARY KEY,
        withdrawn_seq      int NOT NULL DEFAULT 0,
        withdrawn_to_revno int,
        production_seq     int NOT NULL DEFAULT 0,
        production_revno   int,
        production_sha     text,
        production_bad     jsonb NOT NULL DEFAULT '[]',
        production_bad_since timestamptz,
        updated_at         timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      ALTER TABLE security_fixes
        ADD COLUMN merged_back_how  text CHECK (merged_back_how IN ('ancestry', 'patch-id', 'operator')),
        ADD COLUMN merged_back_note text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE security_fixes DROP COLUMN merged_back_how, DROP COLUMN merged_back_note`);
    await q.query(`DROP TABLE qa_view`);
    await q.query(`DROP INDEX approvals_withdrawn_idx`);
    await q.query(`ALTER TABLE approvals DROP CONSTRAINT approvals_state_check, DROP COLUMN seq, DROP COLUMN withdrawn_at, DROP COLUMN withdrawn_reason`);
    await q.query(`ALTER TABLE approvals ADD CONSTRAINT approvals_state_check CHECK (state IN ('pending', 'promoted', 'included'))`);
  }
}
