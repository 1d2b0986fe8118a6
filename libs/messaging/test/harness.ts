/**
 * A tiny service for testing the plumbing on real Postgres and NATS: a schema with the outbox,
 * the inbox and one `effects` table that handlers write to, so a test can count applications.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { DataSource } from 'typeorm';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Subjects } from '@runway/contracts';
import { createMessagingTables, DEFAULT_STREAM_SETTINGS, Outbox, OutboxRelay, provisionStreams, silentLogger } from '../src';
import { createServiceDataSource, initialize, migrate } from '@runway/persistence';
import { createIsolatedDatabase, dropNamespace, type IsolatedDatabase, uniqueNamespace } from '@runway/testing';

export class CreateHarnessTables1700000000000 implements MigrationInterface {
  name = 'CreateHarnessTables1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await createMessagingTables(q);
    await q.query(`CREATE TABLE effects (id bigserial PRIMARY KEY, event_id text NOT NULL, note text)`);
  }
  async down(): Promise<void> {}
}

export interface Harness {
  db: IsolatedDatabase;
  ds: DataSource;
  nc: NatsConnection;
  subjects: Subjects;
  namespace: string;
  outbox: Outbox;
  relay: OutboxRelay;
  effects(): Promise<{ event_id: string; note: string | null }[]>;
  close(): Promise<void>;
}

export async function startHarness(natsUrl = process.env.NATS_URL!): Promise<Harness> {
  const db = await createIsolatedDatabase();
  const ds = createServiceDataSource({ url: db.url, schema: 'harness', migrations: [CreateHarnessTables1700000000000] });
  await initialize(ds);
  await migrate(ds);
  const nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const namespace = uniqueNamespace();
  const subjects = new Subjects(namespace);
  await provisionStreams(nc, subjects, { ...DEFAULT_STREAM_SETTINGS, storage: natsUrl === process.env.NATS_URL ? 'memory' : 'file', maxAgeMs: 3600_000 });
  const outbox = new Outbox(subjects, 'runway/test');
  const relay = new OutboxRelay(ds, nc, { lockKey: 'runway.outbox.harness', logger: silentLogger, pollIntervalMs: 100 });
  return {
    db, ds, nc, subjects, namespace, outbox, relay,
    effects: () => ds.query(`SELECT event_id, note FROM effects ORDER BY id`),
    close: async () => {
      await relay.stop();
      await nc.close();
      await ds.destroy();
      await dropNamespace(natsUrl, namespace).catch(() => undefined);
      await db.drop();
    },
  };
}
