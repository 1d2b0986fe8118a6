/**
 * One TypeORM DataSource per service schema, and the migration runner. Schema changes happen
 * only through each service's append-only migrations (never `synchronize`), run at start-up
 * and by `npm run migrate`, serialised across replicas by a Postgres advisory lock.
 */
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';

export interface ServiceDatabaseOptions {
  url: string;
  /** The service's own schema, e.g. `qa_gate`. Its tables and migrations table live there. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function createServiceDataSource(o: ServiceDatabaseOptions): DataSource {
  if (!SCHEMA_NAME.test(o.schema)) throw new Error(`schema "${o.schema}" is not a plain lower-case identifier`);
  return new DataSource({
    type: 'postgres',
    url: o.url,
    schema: o.schema,
    entities: o.entities ?? [],
    migrations: o.migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: o.poolSize ?? 10,
      // Raw SQL (outbox, inbox, migrations) names tables unqualified: they resolve to our schema.
      options: `-c search_path=${o.schema}`,
      application_name: o.applicationName ?? `runway-${o.schema}`,
      connectionTimeoutMillis: 5000,
    },
  });
}

/** Creates the schema if needed and applies pending migrations; returns their names. */
export async function migrate(ds: DataSource): Promise<string[]> {
  const schema = (ds.options as { schema?: string }).schema ?? 'public';
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [`runway.migrate.${schema}`]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const ran = await ds.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`runway.migrate.${schema}`]).catch(() => undefined);
    await runner.release();
  }
}

/** Opens the DataSource, retrying while Postgres is still starting. */
export async function initialize(ds: DataSource, attempts = 30): Promise<DataSource> {
  for (let i = 1; ; i++) {
    try {
      return await ds.initialize();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, Math.min(100 * i, 1000)));
    }
  }
}
