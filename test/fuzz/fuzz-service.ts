/**
 * One service under the fuzz: started in-process on its own database and namespace, every route
 * it serves sent malformed requests, every subject it consumes sent malformed messages.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Subjects } from '@runway/contracts';
import { type CommonEnv, type RunningService, type ServiceDefinition, startService } from '@runway/platform';
import { type ServiceUnderTest, startServiceUnderTest, TEST_ADMIN_TOKEN } from '@runway/testing';
import {
  closeAgent, consumedSubjects, deadLetters, deepJson, describeRequest, judge, FUZZ_BODY_LIMIT, FUZZ_RUNS, FUZZ_SEED, fuzzRoute, type HttpFailure, publishMalformed, requestArbitrary,
  routeShapes, send, type SubjectResult, waitFor, writeReport,
} from './fuzz-lib';

/** Generous: 10,000 inputs on each of some thirty routes, on two shared cores. */
const TIMEOUT_MS = 180_000 + FUZZ_RUNS * 600;

export function fuzzService<E extends CommonEnv>(definition: ServiceDefinition<E>): void {
  const service = definition.name;
  describe(`fuzz ${service} (${FUZZ_RUNS} inputs per route and subject, seed ${FUZZ_SEED})`, () => {
    let sut: ServiceUnderTest<RunningService<E>>;
    let nc: NatsConnection;
    const crashes: string[] = [];
    const onCrash = (e: unknown) => crashes.push(String((e as Error)?.stack ?? e));

    beforeAll(async () => {
      process.on('uncaughtException', onCrash);
      process.on('unhandledRejection', onCrash);
      sut = await startServiceUnderTest(startService, definition, {
        HTTP_BODY_LIMIT_BYTES: String(FUZZ_BODY_LIMIT),
        // The limits have their own test; here every input must reach validation.
        RATE_LIMIT_PER_MINUTE: '0',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      });
      nc = await connect({ servers: process.env.NATS_URL! });
    }, 120_000);

    afterAll(async () => {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      closeAgent();
      await nc?.close();
      await sut?.close();
    }, 120_000);

    const alive = async () => {
      const live = await send(sut.svc.url, { method: 'GET', path: '/health/live', headers: {}, kind: 'probe' });
      const ready = await send(sut.svc.url, { method: 'GET', path: '/health/ready', headers: {}, kind: 'probe' });
      return [live.status, ready.status];
    };

    it('answers malformed requests to every route with a 4xx that names the problem, never a 5xx', async () => {
      const started = Date.now();
      const shapes = await routeShapes(sut.svc.url);
      const routes = sut.svc.routes;
      const sent: Record<string, number> = {};
      const statuses: Record<string, number> = {};
      const failures: HttpFailure[] = [];
      for (const [i, route] of routes.entries()) {
        const result = await fuzzRoute(sut.svc.url, route, requestArbitrary(route, shapes.get(`${route.method} ${route.url}`), TEST_ADMIN_TOKEN), FUZZ_RUNS, FUZZ_SEED + i * 1_000_003);
        sent[`${route.method} ${route.url}`] = result.sent;
        for (const [s, n] of Object.entries(result.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
        failures.push(...result.failures);
      }
      // Kept whatever the seed, on every route that takes a body: a body over the limit is 413, and
      // one nested 10,000 levels deep is not a 5xx (it once overflowed the validation pipe's stack).
      for (const route of routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method))) {
        const path = route.url.replace(/:[A-Za-z0-9_]+/g, 'x').replace(/\*$/, 'x');
        for (const deep of [deepJson(10_000, false), `{"name":"x","a":${deepJson(10_000, true)}}`]) {
          const req = { method: route.method, path, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: Buffer.from(deep), kind: 'deep nesting' };
          const res = await send(sut.svc.url, req);
          sent[`${route.method} ${route.url}`]++;
          const why = judge(req, res);
          if (why) failures.push({ route: `${route.method} ${route.url}`, kind: req.kind, why, request: describeRequest(req), status: res.status, answer: res.text.slice(0, 300) });
        }
        const body = Buffer.from(`{"name":"${'x'.repeat(FUZZ_BODY_LIMIT - 10)}"}`);
        const res = await send(sut.svc.url, { method: route.method, path, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body, kind: 'over the limit' });
        sent[`${route.method} ${route.url}`]++;
        const parsed = (() => { try { return JSON.parse(res.text); } catch { return {}; } })();
        if (res.status !== 413 || parsed.error !== 'PAYLOAD_TOO_LARGE') {
          failures.push({ route: `${route.method} ${route.url}`, kind: 'over the limit', why: `${body.length} bytes answered ${res.status} ${parsed.error}`, request: path, status: res.status, answer: res.text.slice(0, 300) });
        }
      }
      // Kept whatever the seed: a NUL byte in a path parameter reached Postgres and answered 500.
      for (const route of routes.filter((r) => r.url.includes(':'))) {
        const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? Buffer.from('{}') : undefined;
        const req = { method: route.method, path: route.url.replace(/:[A-Za-z0-9_]+/g, '%00'), headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body, kind: 'NUL in path' };
        const res = await send(sut.svc.url, req);
        sent[`${route.method} ${route.url}`]++;
        const why = judge(req, res);
        if (why) failures.push({ route: `${route.method} ${route.url}`, kind: req.kind, why, request: describeRequest(req), status: res.status, answer: res.text.slice(0, 300) });
      }
      const health = await alive();
      const fiveXX = failures.filter((f) => f.status >= 500 || f.status === 0).length;
      writeReport(service, 'http', {
        service, routes: sent, inputs: Object.values(sent).reduce((a, b) => a + b, 0), statuses, fiveXX, otherFailures: failures.length - fiveXX,
        crashes: crashes.length, durationMs: Date.now() - started, seed: FUZZ_SEED,
      });
      if (failures.length) process.stderr.write(`fuzz ${service}: ${failures.length} failure(s), seed ${FUZZ_SEED}\n${failures.slice(0, 40).map((f) => JSON.stringify(f)).join('\n')}\n`);
      expect(routes.length).toBeGreaterThan(5);
      expect(failures).toEqual([]);
      expect(crashes).toEqual([]);
      expect(health).toEqual([200, 200]);
    }, TIMEOUT_MS);

    it('dead-letters every malformed message on every subject it consumes, with a reason, and leaves nothing pending', async () => {
      const started = Date.now();
      const subjects = new Subjects(sut.namespace);
      const jsm = await jetstreamManager(nc);
      const consumed = await consumedSubjects(jsm, subjects, service);
      const results: Record<string, SubjectResult> = {};
      const unexpected: string[] = [];
      for (const [i, c] of consumed.entries()) {
        const { sent, kinds } = await publishMalformed(nc, c, FUZZ_RUNS, FUZZ_SEED + i * 7_000_003);
        const settled = await waitFor(async () => {
          const info = await jsm.consumers.info(c.stream, c.durable);
          return info.num_pending === 0 && info.num_ack_pending === 0 ? info : null;
        }, 60_000 + FUZZ_RUNS * 20);
        const dl = await waitFor(async () => {
          const d = await deadLetters(nc, subjects, c);
          return d.count >= sent ? d : null;
        }, 30_000, 500) ?? await deadLetters(nc, subjects, c);
        const info = settled ?? await jsm.consumers.info(c.stream, c.durable);
        unexpected.push(...dl.others);
        results[c.type] = { sent, deadLettered: dl.count, withoutReason: dl.withoutReason, pending: info.num_pending, ackPending: info.num_ack_pending, kinds };
      }
      const health = await alive();
      const total = (k: keyof SubjectResult) => Object.values(results).reduce((a, r) => a + (r[k] as number), 0);
      writeReport(service, 'events', {
        service, subjects: Object.fromEntries(Object.entries(results).map(([t, r]) => [t, r.sent])), inputs: total('sent'), deadLettered: total('deadLettered'),
        withoutReason: total('withoutReason'), crashes: crashes.length, durationMs: Date.now() - started, seed: FUZZ_SEED,
      });
      expect(consumed.map((c) => c.type)).toEqual(expect.arrayContaining(['runway.token.issued.v1', 'runway.token.revoked.v1']));
      for (const [type, r] of Object.entries(results)) {
        expect(r.sent).toBeGreaterThanOrEqual(FUZZ_RUNS);
        expect({ type, ...r, kinds: undefined }).toEqual({ type, sent: r.sent, deadLettered: r.sent, withoutReason: 0, pending: 0, ackPending: 0, kinds: undefined });
      }
      // What the service published itself (from the HTTP fuzz) must never be dead-lettered.
      expect(unexpected).toEqual([]);
      expect(crashes).toEqual([]);
      expect(health).toEqual([200, 200]);
    }, TIMEOUT_MS);
  });
}
