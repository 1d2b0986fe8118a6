/**
 * The outbox and inbox tables every service keeps in its own schema. A service's first
 * migration calls this, so the tables live and migrate with the service that owns them.
 */
import type { QueryRunner } from 'typeorm';

export async function createMessagingTables(q: QueryRunner): Promise<void> {
  await q.query(`
    CREATE TABLE outbox (
      seq          bigserial PRIMARY KEY,
      id           text NOT NULL,
      subject      text NOT NULL,
      type         text NOT NULL,
      envelope     jsonb NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz,
      CONSTRAINT outbox_id_key UNIQUE (id)
    )`);
  await q.query(`CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL`);
  await q.query(`
    CREATE TABLE inbox (
      consumer     text NOT NULL,
      event_id     text NOT NULL,
      type         text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT inbox_pkey PRIMARY KEY (consumer, event_id)
    )`);
  await q.query(`CREATE INDEX inbox_processed_at_idx ON inbox (processed_at)`);
}

export async function dropMessagingTables(q: QueryRunner): Promise<void> {
  await q.query(`DROP TABLE inbox`);
  await q.query(`DROP TABLE outbox`);
}
