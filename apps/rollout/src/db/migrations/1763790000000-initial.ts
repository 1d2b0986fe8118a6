import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createMessagingTables } from '@runway/messaging';
import { createAuthTables } from '@runway/platform';

export class Initial1763790000000 implements MigrationInterface {
  name = 'Initial1763790000000';

  async up(q: QueryRunner): Promise<void> {
    await createMessagingTables(q);
    await createAuthTables(q);
    await q.query(`
      CREATE TABLE servers (
        host              text PRIMARY KEY,
        environment       text NOT NULL,
        wave              text,
        running_revision  text,
        agent_version     text NOT NULL,
        registered_by     text NOT NULL,
        registered_at     timestamptz NOT NULL,
        last_heartbeat_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE rollouts (
        id           uuid PRIMARY KEY,
        promotion_id uuid NOT NULL,
        to_sha       text NOT NULL,
        to_revno     int,
        kind         text NOT NULL,
        status       text NOT NULL,
        created_at   timestamptz NOT NULL,
        finished_at  timestamptz,
        CONSTRAINT rollouts_promotion_key UNIQUE (promotion_id)
      )`);
    await q.query(`
      CREATE TABLE deploys (
        id                uuid PRIMARY KEY,
        rollout_id        uuid NOT NULL REFERENCES rollouts (id),
        host              text NOT NULL,
        revision          text NOT NULL,
        previous_revision text,
        status            text NOT NULL,
        output_tail       text,
        requested_at      timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL,
        CONSTRAINT deploys_rollout_host_key UNIQUE (rollout_id, host)
      )`);
    await q.query(`CREATE INDEX deploys_host_idx ON deploys (host, requested_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deploys, rollouts, servers, api_tokens, inbox, outbox`);
  }
}
