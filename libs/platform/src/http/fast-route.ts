/**
 * A route served by Fastify directly, for the few endpoints where Nest's per-request pipeline
 * costs more than the work (buildbot's landings, flag evaluation). Same auth, same roles, same
 * error bodies, same request scope and metrics (those are Fastify hooks), and described in
 * /docs like the rest (its `answer`); only Nest's layers are skipped.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import type { Role } from '@runway/contracts';
import type { Principal } from '../auth/auth.decorators';
import { Authenticator } from '../auth/authenticator';
import { errorBody, RETRY_AFTER_SECONDS } from './error.filter';
import type { DescribedRoute } from './openapi';
import { UNMETERED } from './rate-limit';

export interface FastRequest {
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface FastReply {
  status: number;
  /** Sent as JSON; omit for an empty body (a 304, say). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FastRoute extends DescribedRoute {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  roles: Role[];
  handler(body: unknown, principal: Principal, request: FastRequest): Promise<FastReply> | FastReply;
}

export function registerFastRoute(app: NestFastifyApplication, logger: Logger, route: FastRoute): void {
  const auth = app.get(Authenticator);
  app.getHttpAdapter().getInstance().route({
    method: route.method,
    url: route.url,
    config: UNMETERED,
    handler: async (req, reply) => {
      try {
        const principal = auth.authorize(await auth.principal(req.headers.authorization), route.roles);
        const out = await route.handler(req.body, principal, { params: req.params as Record<string, string>, headers: req.headers });
        if (out.headers) reply.headers(out.headers);
        reply.status(out.status);
        return out.body === undefined ? reply.send() : reply.send(out.body);
      } catch (e) {
        const body = errorBody(e);
        if (body.statusCode >= 500) logger.error({ err: e }, 'request failed');
        if (body.statusCode === 503) reply.header('retry-after', RETRY_AFTER_SECONDS);
        return reply.status(body.statusCode).send(body);
      }
    },
  });
}
