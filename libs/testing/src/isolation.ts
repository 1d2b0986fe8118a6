/**
 * Per-test-file isolation: each file gets its own Postgres database and its own NATS namespace
 * (subject prefix and streams), created on demand and removed afterwards, so files run in
 * parallel without seeing each other.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface IsolatedDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createIsolatedDatabase(baseUrl = process.env.DATABASE_URL!): Promise<IsolatedDatabase> {
  const name = `runway_t_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export function uniqueNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Deletes the streams of a test namespace. */
export async function dropNamespace(natsUrl: string, namespace: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const prefix = namespace.toUpperCase().replace(/-/g, '_') + '_';
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix)) await jsm.streams.delete(name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** Environment for a service under test: its own database and namespace, any free port. */
export function serviceTestEnv(db: IsolatedDatabase, namespace: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: db.url,
    NATS_URL: process.env.NATS_URL,
    RUNWAY_NAMESPACE: namespace,
    RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NATS_STREAM_STORAGE: 'memory',
    OUTBOX_POLL_MS: '200',
    ...extra,
  };
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
