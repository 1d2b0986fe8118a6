/**
 * Starting a Runway service. Every service's `main.ts` is one call to `runServiceMain`, which:
 * validates the environment, opens its schema and applies migrations (or only that, with the
 * `migrate` argument), connects to NATS and provisions the streams, starts the HTTP API on
 * Fastify with validation, errors, auth, OpenAPI at /docs (every route's answers, fast routes
 * included) and metrics, starts the JetStream
 * consumers and the outbox relay, and shuts all of it down in order on SIGTERM.
 * Tests call `startService` to run the same thing in-process.
 */
import { randomUUID } from 'node:crypto';
import { Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { Subjects } from '@runway/contracts';
import {
  connectNats, JetStreamServer, Outbox, OutboxRelay, provisionStreams, runInScope,
} from '@runway/messaging';
import { createServiceDataSource, initialize, migrate } from '@runway/persistence';
import { type CommonEnv, InvalidEnvironmentError, loadEnv } from './env';
import { type FastRoute, registerFastRoute } from './http/fast-route';
import { finishDocument } from './http/openapi';
import { validationPipe } from './http/validation';
import { installRateLimits } from './http/rate-limit';
import { createLogger, PinoNestLogger } from './logging';
import { ensureDefaultMetrics, httpSeconds } from './health/metrics.controller';
import { type Infrastructure, PlatformModule } from './platform.module';

export interface ServiceDefinition<E extends CommonEnv> {
  /** e.g. `qa-gate`: names the logs, the durable consumers and the event source. */
  name: string;
  /** e.g. `qa_gate`: the Postgres schema this service owns. */
  schema: string;
  title: string;
  env: new () => E;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: Function[];
  module: Type<unknown>;
  /** Routes Fastify serves directly (see http/fast-route.ts), made once the infrastructure is up. */
  fastRoutes?: (app: NestFastifyApplication, infra: Infrastructure) => FastRoute[];
}

/** An HTTP route the service serves, Nest's and Fastify's alike: what a route audit walks. */
export interface ServedRoute {
  method: string;
  url: string;
}

export interface RunningService<E extends CommonEnv = CommonEnv> {
  app: NestFastifyApplication;
  url: string;
  env: E;
  infra: Infrastructure;
  /** Every route, as Fastify registered it (HEAD routes Fastify adds for GETs left out). */
  routes: ServedRoute[];
  close(): Promise<void>;
}

export async function startService<E extends CommonEnv>(
  def: ServiceDefinition<E>,
  source: NodeJS.ProcessEnv = process.env,
  logger?: Logger,
): Promise<RunningService<E>> {
  const env = loadEnv(def.env, source);
  const log = logger ?? createLogger(def.name, env.LOG_LEVEL);
  ensureDefaultMetrics();

  const dataSource = createServiceDataSource({
    url: env.DATABASE_URL, schema: def.schema, migrations: def.migrations, entities: def.entities, poolSize: env.DB_POOL_SIZE,
    applicationName: `runway-${def.name}`,
  });
  await initialize(dataSource);
  const applied = await migrate(dataSource);
  if (applied.length) log.info({ migrations: applied }, 'migrations applied');

  const nats = await connectNats(
    { servers: env.NATS_URL, name: `runway-${def.name}-${process.pid}`, token: env.NATS_TOKEN, user: env.NATS_USER, password: env.NATS_PASSWORD },
    log,
  );
  const subjects = new Subjects(env.RUNWAY_NAMESPACE);
  await provisionStreams(nats, subjects, {
    storage: env.NATS_STREAM_STORAGE,
    replicas: env.NATS_STREAM_REPLICAS,
    maxAgeMs: env.NATS_STREAM_MAX_AGE_HOURS * 3600_000,
    duplicateWindowMs: env.NATS_DUPLICATE_WINDOW_SECONDS * 1000,
    maxBytes: -1,
  });
  const outbox = new Outbox(subjects, `runway/${def.name}`);
  const relay = new OutboxRelay(dataSource, nats, { lockKey: `runway.outbox.${def.schema}`, pollIntervalMs: env.OUTBOX_POLL_MS, logger: log });
  const infra: Infrastructure = { service: def.name, env, logger: log, dataSource, nats, subjects, outbox, relay };

  class ServiceRootModule {}
  Module({ imports: [PlatformModule.forRoot(infra), def.module] })(ServiceRootModule);

  const adapter = new FastifyAdapter({ bodyLimit: env.HTTP_BODY_LIMIT_BYTES, logger: false, genReqId: () => randomUUID() });
  const routes: ServedRoute[] = [];
  adapter.getInstance().addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  const app = await NestFactory.create<NestFastifyApplication>(ServiceRootModule, adapter, {
    logger: new PinoNestLogger(log),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (req, reply, done) => {
    const header = req.headers['x-correlation-id'];
    const correlationId = typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : req.id;
    reply.header('x-correlation-id', correlationId);
    runInScope({ requestId: req.id, correlationId }, done);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    httpSeconds.observe({ method: req.method, route: req.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  app.useGlobalPipes(validationPipe());
  await installRateLimits(app, env);

  const fastRoutes = def.fastRoutes?.(app, infra) ?? [];
  for (const route of fastRoutes) registerFastRoute(app, log, route);
  const doc = new DocumentBuilder()
    .setTitle(`Runway ${def.title}`).setVersion('1').setLicense('AGPL-3.0-only', 'https://www.gnu.org/licenses/agpl-3.0.html').addServer('/').addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, finishDocument(SwaggerModule.createDocument(app, doc), fastRoutes), { jsonDocumentUrl: 'docs/json' });

  app.connectMicroservice(
    {
      strategy: new JetStreamServer({
        connection: nats, subjects, service: def.name, dataSource, ackWaitMs: env.EVENT_ACK_WAIT_MS, maxDeliveries: env.EVENT_MAX_DELIVERIES, logger: log,
      }),
    },
    { inheritAppConfig: true },
  );

  await app.startAllMicroservices();
  relay.start();
  await app.listen({ port: env.PORT, host: env.HOST });
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const url = `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${port}`;
  log.info({ url }, `${def.name} listening`);

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await app.close(); // stops HTTP and the consumers first: no new work
      await relay.stop();
      await relay.kick().catch(() => undefined); // publish what the last requests committed
      await nats.drain().catch(() => undefined);
      await dataSource.destroy().catch(() => undefined);
      log.info('stopped');
      log.flush?.();
    })());
  return { app, url, env, infra, routes, close };
}

/** Entry point of a service process: `node main.js` serves, `node main.js migrate` only migrates. */
export function runServiceMain<E extends CommonEnv>(def: ServiceDefinition<E>): void {
  const command = process.argv[2] ?? 'serve';
  const fail = (e: unknown) => {
    const message = e instanceof InvalidEnvironmentError ? e.message : ((e as Error)?.stack ?? String(e));
    process.stderr.write(`runway ${def.name}: cannot start: ${message}\n`);
    process.exit(1);
  };
  if (command === 'migrate') {
    void (async () => {
      const env = loadEnv(def.env);
      const ds = createServiceDataSource({ url: env.DATABASE_URL, schema: def.schema, migrations: def.migrations });
      await initialize(ds);
      const applied = await migrate(ds);
      process.stdout.write(`${def.name}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}\n`);
      await ds.destroy();
    })().catch(fail);
    return;
  }
  startService(def)
    .then((svc) => {
      const stop = (signal: string) => {
        svc.infra.logger.info({ signal }, 'shutting down');
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        void svc.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    })
    .catch(fail);
}
