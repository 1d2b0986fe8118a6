/**
 * Rate limits, kept in each process's memory (@fastify/rate-limit's local store), both per
 * minute:
 *
 *   - failed authentication per client address (RATE_LIMIT_AUTH_FAILURES_PER_MINUTE): every
 *     401 counts; past the limit, requests from that address answer 429 until the minute is
 *     over, so tokens cannot be guessed at speed, except those carrying a token that had
 *     already worked here (so a broken script cannot lock out its neighbours);
 *   - requests per token, or per address without one (RATE_LIMIT_PER_MINUTE): generous, so
 *     scripts and the dashboard never meet it. Routes served by Fastify directly (buildbot's
 *     landings, OFREP and /snapshot: applications and CI, at thousands a second from one
 *     token) are outside it, as are health and metrics, which probes must always reach.
 *
 * 0 turns a limit off. A 429 carries the platform's error body and `Retry-After` in seconds.
 */
import { createHash } from 'node:crypto';
import { fastifyRateLimit } from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticator } from '../auth/authenticator';
import type { CommonEnv } from '../env';

const WINDOW_MS = 60_000;

/** Route config that keeps a route out of the general per-token limit. */
export const UNMETERED = { runwayUnmetered: true } as const;

type Limiter = (req: FastifyRequest, opts?: { increment?: boolean }) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number }>;

/** Health and metrics: what load balancers and Prometheus must always reach. */
function isProbe(req: FastifyRequest): boolean {
  const url = req.routeOptions?.url ?? '';
  return url.startsWith('/health/') || url === '/metrics';
}

function isUnmetered(req: FastifyRequest): boolean {
  if (isProbe(req)) return true;
  return (req.routeOptions?.config as { runwayUnmetered?: boolean } | undefined)?.runwayUnmetered === true;
}

function tooMany(reply: FastifyReply, retryAfterSeconds: number, message: string): FastifyReply {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return reply
    .status(429)
    .header('retry-after', String(seconds))
    .header('content-type', 'application/json; charset=utf-8')
    .send({ statusCode: 429, error: 'RATE_LIMITED', message: `${message}; retry in ${seconds} s` });
}

export async function installRateLimits(app: NestFastifyApplication, env: CommonEnv): Promise<void> {
  const authFailuresMax = env.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE;
  const perMinute = env.RATE_LIMIT_PER_MINUTE;
  if (authFailuresMax <= 0 && perMinute <= 0) return;
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(fastifyRateLimit, { global: false });
  const create = (opts: object) => (fastify as unknown as { createRateLimit(o: object): Limiter }).createRateLimit(opts);

  if (authFailuresMax > 0) {
    const failures = create({ max: authFailuresMax, timeWindow: WINDOW_MS, keyGenerator: (req: FastifyRequest) => req.ip });
    /** Addresses over the limit, with when their window ends: a map lookup per request, nothing more. */
    const blocked = new Map<string, number>();
    const auth = app.get(Authenticator);
    fastify.addHook('onRequest', (req, reply, done) => {
      if (blocked.size === 0) return done();
      const until = blocked.get(req.ip);
      // Tokens that worked before the address was blocked still work: one broken script, or
      // someone guessing, must not lock out everyone behind the same address.
      if (until === undefined || isProbe(req) || auth.provenBefore(req.headers.authorization)) return done();
      if (until <= Date.now()) {
        blocked.delete(req.ip);
        return done();
      }
      tooMany(reply, (until - Date.now()) / 1000, 'too many failed authentications from this address');
    });
    fastify.addHook('onResponse', (req, reply, done) => {
      if (reply.statusCode !== 401) return done();
      failures(req).then((limit) => {
        if (limit.isExceeded) blocked.set(req.ip, Date.now() + (limit.ttlInSeconds ?? 60) * 1000);
      }).then(() => done(), () => done());
    });
  }

  if (perMinute > 0) {
    const general = create({
      max: perMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: (req: FastifyRequest) => {
        const auth = req.headers.authorization;
        return auth ? `token:${createHash('sha256').update(auth).digest('base64url')}` : `ip:${req.ip}`;
      },
    });
    // A callback hook, so the hot unmetered routes pay one check and no promise.
    fastify.addHook('onRequest', (req, reply, done) => {
      if (isUnmetered(req)) return done();
      general(req).then((limit) => {
        if (limit.isExceeded) tooMany(reply, limit.ttlInSeconds ?? 60, 'too many requests');
        else done();
      }, done);
    });
  }
}
