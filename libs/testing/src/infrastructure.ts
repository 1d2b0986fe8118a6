/**
 * Where tests find Postgres and NATS: DATABASE_URL / NATS_URL when set; otherwise containers
 * started with testcontainers; otherwise a clear error saying how to provide them.
 */
export interface TestInfrastructure {
  databaseUrl: string;
  natsUrl: string;
  stop(): Promise<void>;
}

export async function resolveTestInfrastructure(env: NodeJS.ProcessEnv = process.env): Promise<TestInfrastructure> {
  if (env.DATABASE_URL && env.NATS_URL) {
    return { databaseUrl: env.DATABASE_URL, natsUrl: env.NATS_URL, stop: async () => undefined };
  }
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const pg = env.DATABASE_URL ? null : await new PostgreSqlContainer('postgres:16-alpine').start();
    const nats = env.NATS_URL
      ? null
      : await new GenericContainer('nats:2.10-alpine').withCommand(['-js']).withExposedPorts(4222).withWaitStrategy(Wait.forLogMessage(/Server is ready/)).start();
    return {
      databaseUrl: env.DATABASE_URL ?? pg!.getConnectionUri(),
      natsUrl: env.NATS_URL ?? `nats://${nats!.getHost()}:${nats!.getMappedPort(4222)}`,
      stop: async () => {
        await pg?.stop();
        await nats?.stop();
      },
    };
  } catch (e) {
    throw new Error(
      'Tests need Postgres and NATS JetStream. Set DATABASE_URL and NATS_URL (npm test does this for you, ' +
        'starting local ones if it can), or run a Docker engine for testcontainers. ' +
        `testcontainers said: ${(e as Error).message}`,
    );
  }
}
