import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each approval remembers the one before it, so a promotion can tell when an earlier approval
 * has not arrived yet (and its revisions would be missing from the range); promotions get a
 * sequence so they list in the order they happened, not by their transaction's start.
 */
export class ApprovalChain1763820000000 implements MigrationInterface {
  name = 'ApprovalChain1763820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE approvals ADD COLUMN previous_sha text`);
    await q.query(`ALTER TABLE promotions ADD COLUMN seq bigserial`);
    await q.query(`CREATE INDEX promotions_branch_seq_idx ON promotions (branch, seq DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX promotions_branch_seq_idx`);
    await q.query(`ALTER TABLE promotions DROP COLUMN seq`);
    await q.query(`ALTER TABLE approvals DROP COLUMN previous_sha`);
  }
}
