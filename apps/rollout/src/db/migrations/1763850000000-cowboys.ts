import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Hot patches applied by hand to servers, until a revision that fixes them for good runs there. */
export class Cowboys1763850000000 implements MigrationInterface {
  name = 'Cowboys1763850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cowboys (
        id                  uuid PRIMARY KEY,
        host                text NOT NULL,
        patch_hash          text NOT NULL,
        description         text,
        reason              text,
        applied_by          text NOT NULL,
        applied_at          timestamptz NOT NULL,
        policy              text NOT NULL DEFAULT 'hold' CHECK (policy IN ('hold', 'carry')),
        fixed_by            text,
        detected            boolean NOT NULL DEFAULT false,
        status              text NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'retired')),
        retired_at          timestamptz,
        retired_by_revision text,
        retired_reason      text
      )`);
    await q.query(`CREATE UNIQUE INDEX cowboys_live_key ON cowboys (host, patch_hash) WHERE status = 'applied'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE cowboys`);
  }
}
