/**
 * The dashboard's HTTP server (plain Fastify):
 *   /auth/login, /auth/logout, /auth/session   the session, keyed by an HttpOnly cookie
 *   /api/<service>/...                          the services' APIs, with the session's token added
 *   /events                                     live updates (Server-Sent Events)
 *   everything else                             the browser app from dist/public
 * The token is kept in server memory only: never in a URL, never sent back, never logged.
 */
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { SERVICES, type DashboardConfig, type ServiceName } from './config';
import type { LiveHub } from './live';
import {
  type Capabilities, clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie, type Session, SessionStore,
} from './sessions';

/** Writes must carry this header: a page on another site cannot send it without CORS, which is never granted. */
export const WRITE_HEADER = 'x-runway-dashboard';
const UPSTREAM_TIMEOUT_MS = 15_000;
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function error(reply: FastifyReply, statusCode: number, code: string, message: string) {
  return reply.status(statusCode).header('cache-control', 'no-store').send({ statusCode, error: code, message });
}

function isService(s: string): s is ServiceName {
  return (SERVICES as readonly string[]).includes(s);
}

export function buildServer(config: DashboardConfig, live: LiveHub, sessions = new SessionStore(config.sessionIdleMs)): FastifyInstance {
  const app = Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'] },
    disableRequestLogging: true,
    bodyLimit: 1_048_576,
    trustProxy: false,
  });
  const sweeper = setInterval(() => sessions.sweep(), 60_000);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));

  // Bodies are forwarded as they came; the login route parses its own.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.addHook('onSend', async (_req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
  });

  const sessionOf = (req: FastifyRequest): Session | undefined => sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
  const cookieMaxAge = Math.round(config.sessionIdleMs / 1000);

  /** A call to a service with a token, its answer read as text. */
  async function call(service: ServiceName, method: string, path: string, token: string, body?: string, extra: Record<string, string> = {}) {
    const res = await fetch(`${config.serviceUrls[service]}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extra },
      body,
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    });
    return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
  }

  /** What a token may do, from its roles (`admin` may do everything). */
  function capabilitiesOf(roles: readonly string[]): Capabilities {
    const has = (role: string) => roles.includes(role) || roles.includes('admin');
    return { qa: has('qa'), operator: has('operator'), flagEditor: has('flag-editor') };
  }

  app.post('/auth/login', async (req, reply) => {
    if (req.headers[WRITE_HEADER] !== '1') return error(reply, 403, 'FORBIDDEN', `${WRITE_HEADER} header required`);
    let token: unknown;
    try {
      token = (JSON.parse(String(req.body ?? '')) as { token?: unknown }).token;
    } catch {
      return error(reply, 400, 'VALIDATION_FAILED', 'body must be JSON: { "token": "..." }');
    }
    if (typeof token !== 'string' || !/^\S{8,4096}$/.test(token.trim())) return error(reply, 400, 'VALIDATION_FAILED', 'token: paste the whole API token');
    const secret = token.trim();
    let check;
    try {
      check = await call('qa-gate', 'GET', '/tokens/me', secret);
    } catch {
      return error(reply, 502, 'BAD_GATEWAY', 'qa-gate did not answer; the token could not be checked');
    }
    if (check.status === 401 || check.status === 403) return error(reply, 401, 'UNAUTHENTICATED', 'Runway does not know this token (or it was revoked)');
    if (check.status !== 200) return error(reply, 502, 'BAD_GATEWAY', `qa-gate answered ${check.status}; the token could not be checked`);
    let roles: string[] = [];
    try {
      const me = JSON.parse(check.text) as { roles?: unknown };
      if (Array.isArray(me.roles)) roles = me.roles.filter((r): r is string => typeof r === 'string');
    } catch {
      return error(reply, 502, 'BAD_GATEWAY', 'qa-gate answered something other than JSON; the token could not be checked');
    }
    const old = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (old) {
      sessions.delete(old);
      live.endSession(old);
    }
    const session = sessions.create(secret, capabilitiesOf(roles));
    req.log.info({ session: session.id.slice(0, 6), capabilities: session.capabilities }, 'logged in');
    return reply
      .header('set-cookie', sessionCookie(session.id, { secure: config.secureCookie, maxAgeSeconds: cookieMaxAge }))
      .header('cache-control', 'no-store')
      .send({ authenticated: true, capabilities: session.capabilities });
  });

  app.post('/auth/logout', async (req, reply) => {
    if (req.headers[WRITE_HEADER] !== '1') return error(reply, 403, 'FORBIDDEN', `${WRITE_HEADER} header required`);
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id) {
      sessions.delete(id);
      live.endSession(id);
    }
    return reply.header('set-cookie', clearedSessionCookie(config.secureCookie)).header('cache-control', 'no-store').send({ authenticated: false });
  });

  /** Whether this browser is logged in (200 either way: not being logged in is no error). */
  app.get('/auth/session', async (req, reply) => {
    const s = sessionOf(req);
    reply.header('cache-control', 'no-store');
    return s ? { authenticated: true, capabilities: s.capabilities, live: live.connected } : { authenticated: false };
  });

  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/api/:service/*',
    handler: async (req, reply) => {
      const { service } = req.params as { service: string };
      if (!isService(service)) return error(reply, 404, 'NOT_FOUND', `no service ${service}`);
      const session = sessionOf(req);
      if (!session) return error(reply, 401, 'UNAUTHENTICATED', 'log in first');
      if (req.method !== 'GET' && req.headers[WRITE_HEADER] !== '1') return error(reply, 403, 'FORBIDDEN', `${WRITE_HEADER} header required`);
      const path = req.url.slice(`/api/${service}`.length);
      if (!path.startsWith('/')) return error(reply, 404, 'NOT_FOUND', 'no such path');
      const body = typeof req.body === 'string' && req.body.length > 0 ? req.body : undefined;
      let res;
      try {
        res = await call(service, req.method, path, session.token, body, { 'x-correlation-id': `dashboard-${randomUUID()}` });
      } catch (e) {
        req.log.warn({ service, method: req.method, path: path.split('?')[0], err: (e as Error).message }, 'service did not answer');
        return error(reply, 502, 'BAD_GATEWAY', `${service} did not answer`);
      }
      if (res.status === 401) {
        // The token was revoked since login: the session is over.
        sessions.delete(session.id);
        live.endSession(session.id);
        reply.header('set-cookie', clearedSessionCookie(config.secureCookie));
      }
      reply.status(res.status).header('cache-control', 'no-store');
      if (res.contentType) reply.header('content-type', res.contentType);
      return reply.send(res.text);
    },
  });

  app.get('/events', (req, reply) => {
    const session = sessionOf(req);
    if (!session) return error(reply, 401, 'UNAUTHENTICATED', 'log in first');
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...SECURITY_HEADERS,
    });
    const remove = live.add({
      sessionId: session.id,
      send: (chunk) => void raw.write(chunk),
      end: () => raw.end(),
    });
    req.raw.on('close', remove);
  });

  void app.register(fastifyStatic, {
    root: config.publicDir,
    prefix: '/',
    index: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  const page = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
  app.get('/', (_req, reply) => page(reply));

  // Every other page address is the browser app too (it routes by path).
  app.setNotFoundHandler((req, reply) => {
    const isPage = req.method === 'GET' && !req.url.startsWith('/api/') && !req.url.startsWith('/assets/') && !/\.[a-z0-9]+(\?|$)/i.test(req.url);
    if (!isPage) return error(reply, 404, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    return page(reply);
  });

  return app;
}
