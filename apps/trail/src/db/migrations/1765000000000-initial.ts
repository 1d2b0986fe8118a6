import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createMessagingTables } from '@runway/messaging';
import { createAuthTables } from '@runway/platform';

export class Initial1765000000000 implements MigrationInterface {
  name = 'Initial1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await createMessagingTables(q);
    await createAuthTables(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_tokens, inbox, outbox`);
  }
}
