/** Jest globalSetup: find Postgres and NATS once for the whole run and hand their URLs to the workers. */
import { resolveTestInfrastructure } from './infrastructure';

export default async function globalSetup(): Promise<void> {
  const infra = await resolveTestInfrastructure();
  process.env.DATABASE_URL = infra.databaseUrl;
  process.env.NATS_URL = infra.natsUrl;
  (globalThis as { __runwayInfra?: typeof infra }).__runwayInfra = infra;
}
