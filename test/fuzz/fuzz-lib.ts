/**
 * The fuzz suite's machinery: malformed HTTP requests for every route a service serves, and
 * malformed messages for every subject it consumes, generated with fast-check.
 *
 * FUZZ_RUNS inputs go to each route and each consumed subject (small under `npm test`; 10,000
 * under `npm run fuzz`). FUZZ_SEED replays a run. With FUZZ_REPORT_DIR set, each service writes
 * its figures there as JSON for `npm run fuzz` to sum up.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { getMetadataStorage } from 'class-validator';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { durableName, eventDefinitionOf, parseEvent, Subjects } from '@runway/contracts';

export const FUZZ_RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 60));
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
/** The fuzzed services take bodies up to this size, so "over the limit" stays cheap to send. */
export const FUZZ_BODY_LIMIT = 64 * 1024;
const CONCURRENCY = 8;

// ── HTTP ────────────────────────────────────────────────────────────────────────────────────

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** What kind of malformation this is, for the failure report. */
  kind: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });

export function send(baseUrl: string, req: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = req.body.length;
    const r = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

export function closeAgent(): void {
  agent.destroy();
}

interface FieldSchema {
  type?: string;
  enum?: unknown[];
  items?: FieldSchema;
  $ref?: string;
}

export interface RouteShape {
  /** Body fields, from the service's OpenAPI document (empty for routes it does not describe). */
  fields: Record<string, FieldSchema>;
  required: string[];
  query: string[];
}

/** Body and query shapes per `METHOD /fastify/:url`, read from the service's /docs/json. */
export async function routeShapes(baseUrl: string): Promise<Map<string, RouteShape>> {
  const res = await send(baseUrl, { method: 'GET', path: '/docs/json', headers: {}, kind: 'openapi' });
  const doc = JSON.parse(res.text) as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content?: Record<string, { schema?: FieldSchema }> } }>>;
    components?: { schemas?: Record<string, { properties?: Record<string, FieldSchema>; required?: string[] }> };
  };
  const shapes = new Map<string, RouteShape>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const ref = op.requestBody?.content?.['application/json']?.schema?.$ref;
      const schema = ref ? doc.components?.schemas?.[ref.split('/').pop()!] : undefined;
      shapes.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, {
        fields: schema?.properties ?? {},
        required: schema?.required ?? [],
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      });
    }
  }
  return shapes;
}

const plausibleString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('stable', 'production-devel', 'app1.lpnet', 'qa', 'ok', 'bad', 'admin', 'search.fast', 'true', '0'),
  fc.stringMatching(/^[0-9a-f]{40}$/),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.uuid(),
);

function plausible(schema: FieldSchema | undefined): fc.Arbitrary<unknown> {
  if (schema?.enum?.length) return fc.constantFrom(...schema.enum);
  switch (schema?.type) {
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer({ min: -2, max: 100 }), fc.constant(1));
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible(schema.items), { maxLength: 4 });
    case 'object':
      return fc.dictionary(fc.string({ maxLength: 8 }), plausibleString, { maxKeys: 3 });
    default:
      return plausibleString;
  }
}

/** `{"a":{"a":…}}` or `[[[…]]]`, `depth` levels. */
export function deepJson(depth: number, array: boolean): string {
  return array ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Values of the wrong type for almost any field. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3, withNullPrototype: false }),
  fc.constantFrom(null, true, -1, 1e308, -0.5, '', ' ', [], {}, [null], '\u0000', 'a'.repeat(5000), '💥'.repeat(100), '<script>', "' OR 1=1 --"),
);

const eventVersionFields = fc.record({
  specversion: fc.constantFrom('1.0', '0.3', '2.0', 1),
  type: fc.constantFrom('runway.revision.landed.v2', 'runway.qa.passed.v0', 'runway.promotion.promoted.v99', 'runway.x.v1'),
  version: fc.oneof(fc.integer(), fc.string({ maxLength: 4 })),
});

/** A body built on the route's own fields, then broken in one way (or, now and then, left whole). */
function shapedBody(shape: RouteShape): fc.Arbitrary<{ kind: string; value: unknown }> {
  const names = Object.keys(shape.fields);
  const base = fc.record(Object.fromEntries(names.map((n) => [n, plausible(shape.fields[n])])) as Record<string, fc.Arbitrary<unknown>>);
  return fc
    .tuple(base, fc.nat(), wrongValue, fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 5 }), eventVersionFields)
    .map(([obj, pick, wrong, extraKey, mode, versions]) => {
      const o = { ...obj } as Record<string, unknown>;
      const field = names.length ? names[pick % names.length] : 'x';
      switch (mode) {
        case 0:
          delete o[shape.required.length ? shape.required[pick % shape.required.length] : field];
          return { kind: 'missing field', value: o };
        case 1:
          o[field] = wrong;
          return { kind: 'wrong type', value: o };
        case 2:
          o[extraKey || 'extra'] = wrong;
          return { kind: 'extra field', value: o };
        case 3:
          return { kind: 'wrong event version', value: { ...o, ...versions } };
        case 4:
          o[field] = JSON.parse(deepJson(200, pick % 2 === 0));
          return { kind: 'nested field', value: o };
        default:
          return { kind: 'plausible', value: o };
      }
    });
}

const badUtf8 = fc
  .tuple(fc.string({ maxLength: 30 }), fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x28, 0x8c, 0xbc], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xfe, 0xff]))
  .map(([s, bytes]) => Buffer.concat([Buffer.from(`{"name":"${s.replace(/["\\]/g, '')}`), Buffer.from(bytes), Buffer.from('","x":1}')]));

const invalidJson = fc.oneof(
  fc.string({ maxLength: 200 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
  fc.constantFrom('{', '{"a":', '{"a":1,}', "{'a':1}", 'NaN', 'undefined', '{"a":01}', '\ufeff{"a":1}', '[1,2', '{"a":"\\u12"}', '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}', '"unterminated', '{"a":1}{"b":2}', '\u0000'),
);

const contentTypes = fc.constantFrom(
  'text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1',
  'application/json; charset=utf-16', 'application/jsonx', 'application/json, text/plain', '*/*', 'application/octet-stream', ';;;', 'application/ld+json',
  'text/html; charset=utf-8',
);

const pathValue = fc.oneof(
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
  fc.constantFrom('%', '%ZZ', '%E0%A4%A', '%00', '%C0%AF', '..', '.', '%2e%2e%2f', '%2F', '-1', '0', '1e999', 'NaN', 'null', 'undefined', '__proto__', 'constructor',
    '%FF%FE', '9007199254740993', '00000000-0000-0000-0000-000000000000', '%20', 'a%0Ab', 'app1.lpnet', 'stable'),
  fc.integer().map(String),
  fc.uuid(),
  fc.integer({ min: 200, max: 3000 }).map((n) => 'x'.repeat(n)),
);

const queryString = (names: string[]) =>
  fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...names, 'limit', 'offset', 'branch', '__proto__[x]', 'a[b][c]', 'a[]', ''), fc.string({ maxLength: 8 }).map(encodeURIComponent)),
      fc.oneof(
        fc.constantFrom('', '-1', 'abc', 'NaN', '1e999', '%ZZ', '%00', 'true', '[]', '{}', '99999999999999999999', '%E0%A4%A', 'x'.repeat(2000)),
        fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
      ),
    ),
    { maxLength: 6 },
  ).map((pairs) => pairs.map(([k, v]) => (v === '' && k.length % 2 ? k : `${k}=${v}`)).join('&'));

/** Every malformed request we know how to make for one route. */
export function requestArbitrary(route: { method: string; url: string }, shape: RouteShape | undefined, token: string): fc.Arbitrary<RawRequest> {
  const s: RouteShape = shape ?? { fields: {}, required: [], query: [] };
  const paramNames = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
  const path = fc.tuple(fc.array(pathValue, { minLength: paramNames.length + 1, maxLength: paramNames.length + 1 }), fc.option(queryString(s.query), { freq: 2 })).map(
    ([values, query]) => {
      let i = 0;
      let p = route.url.replace(/:[A-Za-z0-9_]+/g, () => values[i++]).replace(/\*$/, () => values[i]);
      if (query) p += `?${query}`;
      return p;
    },
  );
  const json = (kind: string, value: fc.Arbitrary<unknown>) =>
    value.map((v) => ({ kind, body: Buffer.from(JSON.stringify(v) ?? 'null'), type: 'application/json' }));
  const body: fc.Arbitrary<{ kind: string; body?: Buffer; type?: string }> = fc.oneof(
    { weight: 4, arbitrary: shapedBody(s).map(({ kind, value }) => ({ kind, body: Buffer.from(JSON.stringify(value)), type: 'application/json' })) },
    { weight: 2, arbitrary: json('any JSON', fc.jsonValue({ maxDepth: 4 })) },
    { weight: 1, arbitrary: json('wrong types', fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.anything({ maxDepth: 2 })))) },
    { weight: 1, arbitrary: invalidJson.map((t) => ({ kind: 'invalid JSON', body: Buffer.from(t), type: 'application/json' })) },
    { weight: 1, arbitrary: badUtf8.map((b) => ({ kind: 'invalid UTF-8', body: b, type: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 500, max: 10_000 }), fc.boolean()).map(([d, arr]) => ({
        kind: 'deep nesting', body: Buffer.from(deepJson(d, arr)), type: 'application/json',
      })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: FUZZ_BODY_LIMIT - 4096, max: FUZZ_BODY_LIMIT + 4096 }), fc.constantFrom('x', 'é', '\\u0000', '💥')).map(([n, ch]) => {
        const filler = ch.repeat(Math.ceil(n / Buffer.byteLength(ch))).slice(0, n);
        return { kind: 'huge string', body: Buffer.from(`{"${Object.keys(s.fields)[0] ?? 'name'}":"${filler}"}`), type: 'application/json' };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(contentTypes, fc.oneof(fc.string({ maxLength: 100 }), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)))).map(([type, text]) => ({
        kind: 'wrong content type', body: Buffer.from(text), type,
      })),
    },
    { weight: 1, arbitrary: fc.constantFrom({ kind: 'empty JSON body', body: Buffer.alloc(0), type: 'application/json' }, { kind: 'no body' }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ kind: 'raw bytes', body: Buffer.from(b), type: 'application/json' })) },
  );
  return fc.tuple(path, body).map(([p, b]) => ({
    method: route.method,
    path: p,
    headers: { authorization: `Bearer ${token}`, ...(b.type !== undefined ? { 'content-type': b.type } : {}) },
    body: b.body,
    kind: b.kind,
  }));
}

export interface HttpFailure {
  route: string;
  kind: string;
  why: string;
  request: string;
  status: number;
  answer: string;
}

export function describeRequest(req: RawRequest): string {
  const body = req.body === undefined ? '' : req.body.length > 300 ? `${req.body.subarray(0, 300).toString('utf8')}… (${req.body.length} bytes)` : req.body.toString('utf8');
  return `${req.method} ${req.path.length > 300 ? `${req.path.slice(0, 300)}…` : req.path} [${req.headers['content-type'] ?? 'no content-type'}] ${body}`;
}

/** What is wrong with an answer, or null: never 5xx, a 4xx names its problem, too large is 413. */
export function judge(req: RawRequest, res: RawResponse): string | null {
  if (res.status >= 500) return `answered ${res.status}`;
  if (res.status >= 400) {
    let body: { statusCode?: unknown; error?: unknown; message?: unknown; errorCode?: unknown; errorDetails?: unknown };
    try {
      body = JSON.parse(res.text);
    } catch {
      return `${res.status} without a JSON error body`;
    }
    // OFREP answers in its own specified shape: { errorCode, errorDetails }.
    if (req.path.startsWith('/ofrep/') && typeof body.errorCode === 'string' && typeof body.errorDetails === 'string' && body.errorDetails) return null;
    if (body.statusCode !== res.status) return `${res.status} body has statusCode ${String(body.statusCode)}`;
    if (typeof body.error !== 'string' || !body.error) return `${res.status} body names no error code`;
    if (typeof body.message !== 'string' || !body.message) return `${res.status} body has no message`;
  }
  const oversized = req.body !== undefined && req.body.length > FUZZ_BODY_LIMIT && ['POST', 'PUT', 'PATCH'].includes(req.method);
  // A URL refused before the body is read (too long a parameter: 414, bad escapes: 400) is fine too.
  const urlRefused = res.status === 414 || (res.status === 400 && /FST_ERR_BAD_URL/.test(res.text));
  if (oversized && res.status !== 413 && !urlRefused) return `a ${req.body!.length}-byte body answered ${res.status}, not 413`;
  return null;
}

export interface RouteResult {
  sent: number;
  statuses: Record<string, number>;
  failures: HttpFailure[];
}

/** Sends `runs` generated requests to one route, `CONCURRENCY` at a time. */
export async function fuzzRoute(baseUrl: string, route: { method: string; url: string }, arb: fc.Arbitrary<RawRequest>, runs: number, seed: number): Promise<RouteResult> {
  const result: RouteResult = { sent: 0, statuses: {}, failures: [] };
  const name = `${route.method} ${route.url}`;
  const batch = 500;
  for (let done = 0; done < runs; done += batch) {
    const inputs = fc.sample(arb, { numRuns: Math.min(batch, runs - done), seed: seed + done });
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < inputs.length) {
          const req = inputs[next++];
          let res: RawResponse;
          try {
            res = await send(baseUrl, req);
          } catch (e) {
            result.failures.push({ route: name, kind: req.kind, why: `no answer: ${(e as Error).message}`, request: describeRequest(req), status: 0, answer: '' });
            continue;
          } finally {
            result.sent++;
          }
          result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
          const why = judge(req, res);
          if (why) result.failures.push({ route: name, kind: req.kind, why, request: describeRequest(req), status: res.status, answer: res.text.slice(0, 300) });
        }
      }),
    );
  }
  return result;
}

// ── Events ──────────────────────────────────────────────────────────────────────────────────

export interface ConsumedSubject {
  type: string;
  stream: string;
  durable: string;
  filter: string;
}

/** The durable consumers `service` runs in `namespace`: one per event type it handles. */
export async function consumedSubjects(jsm: JetStreamManager, subjects: Subjects, service: string): Promise<ConsumedSubject[]> {
  const prefix = durableName(service, '');
  const out: ConsumedSubject[] = [];
  for (const stream of [subjects.eventStream, subjects.telemetryStream]) {
    for await (const c of jsm.consumers.list(stream)) {
      if (!c.name.startsWith(prefix) || !c.config.filter_subject) continue;
      const type = subjects.typeOf(c.config.filter_subject);
      if (type) out.push({ type, stream, durable: c.name, filter: c.config.filter_subject });
    }
  }
  return out.sort((a, b) => a.type.localeCompare(b.type));
}

function payloadFields(type: string): string[] {
  const def = eventDefinitionOf(type);
  if (!def) return [];
  const metas = getMetadataStorage().getTargetValidationMetadatas(def.payload, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

function envelope(type: string, data: unknown): Record<string, unknown> {
  return {
    specversion: '1.0', id: randomUUID(), source: 'fuzz', type, time: new Date().toISOString(), datacontenttype: 'application/json', correlationid: randomUUID(), data,
  };
}

/** Malformed messages for one event type: each is something no consumer may apply. */
export function messageArbitrary(type: string): fc.Arbitrary<{ kind: string; bytes: Uint8Array }> {
  const fields = payloadFields(type);
  const text = (kind: string, a: fc.Arbitrary<string>) => a.map((s) => ({ kind, bytes: Buffer.from(s) }));
  const env = (kind: string, a: fc.Arbitrary<Record<string, unknown>>) => text(kind, a.map((o) => JSON.stringify(o)));
  const wrongData = fc.tuple(
    fc.record(Object.fromEntries(fields.map((f) => [f, wrongValue])) as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] }),
    fc.dictionary(fc.string({ maxLength: 10 }), wrongValue, { maxKeys: 3 }),
  ).map(([known, extra]) => ({ ...extra, ...known }));
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => ({ kind: 'raw bytes', bytes: b })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf]).map((bad) => {
        const json = Buffer.from(JSON.stringify(envelope(type, { host: 'h' })));
        const at = json.indexOf('"fuzz"') + 2;
        return { kind: 'invalid UTF-8', bytes: Buffer.concat([json.subarray(0, at), Buffer.from(bad), json.subarray(at)]) };
      }),
    },
    { weight: 1, arbitrary: text('invalid JSON', fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"specversion":"1.0",', 'null,', '{"a":1}{')).filter((s) => !isJson(s))) },
    { weight: 1, arbitrary: text('not an object', fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v))) },
    { weight: 1, arbitrary: env('wrong specversion', fc.tuple(fc.oneof(fc.constantFrom('0.3', '2.0', 1, null, ''), fc.string({ maxLength: 5 })), wrongData).map(([v, d]) => ({ ...envelope(type, d), specversion: v }))) },
    { weight: 1, arbitrary: env('missing data', fc.constantFrom(undefined, null, 'x', 3, [1]).map((d) => ({ ...envelope(type, {}), data: d }))) },
    { weight: 3, arbitrary: env('wrong payload types', wrongData.map((d) => envelope(type, d))) },
    {
      weight: 1,
      arbitrary: env('missing envelope field', fc.tuple(fc.constantFrom('id', 'source', 'time', 'correlationid', 'type', 'datacontenttype'), wrongData).map(([k, d]) => {
        const e = envelope(type, d);
        delete e[k];
        return e;
      })),
    },
    {
      weight: 1,
      arbitrary: env('unknown version', fc.tuple(fc.integer({ min: 2, max: 99 }), wrongData).map(([v, d]) => envelope(type.replace(/v[0-9]+$/, `v${v}`), d))),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1000, max: 10_000 }), fc.boolean()).map(([depth, arr]) => ({
        kind: 'deep nesting',
        bytes: Buffer.from(arr ? deepJson(depth, true) : JSON.stringify(envelope(type, { x: 1 })).replace('{"x":1}', deepJson(depth, false))),
      })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 64 }).map((kib) => ({ kind: 'huge', bytes: Buffer.from(JSON.stringify(envelope(type, { [fields[0] ?? 'x']: 'x'.repeat(kib * 1024), extra: 1 }))) })),
    },
  );
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** True when the consumer must dead-letter `bytes` published on a subject of `type` without running a handler. */
export function isMalformed(bytes: Uint8Array, type: string): boolean {
  const parsed = parseEvent(bytes);
  return !parsed.ok || parsed.event.type !== type;
}

export interface SubjectResult {
  sent: number;
  deadLettered: number;
  withoutReason: number;
  pending: number;
  ackPending: number;
  kinds: Record<string, number>;
}

/** Publishes `runs` malformed messages on the subject of `c`, each under its own key. */
export async function publishMalformed(nc: NatsConnection, c: ConsumedSubject, runs: number, seed: number): Promise<{ sent: number; kinds: Record<string, number> }> {
  const js = jetstream(nc);
  const kinds: Record<string, number> = {};
  const arb = messageArbitrary(c.type);
  let sent = 0;
  const subjectFor = (key: string) => (c.filter.endsWith('.>') ? `${c.filter.slice(0, -1)}${key}` : c.filter);
  // Kept whatever the seed: a 10,000-level event once wedged consumers (parseEvent overflowed the stack).
  const regressions = [
    { kind: 'deep nesting', bytes: Buffer.from(deepJson(10_000, true)) },
    { kind: 'deep nesting', bytes: Buffer.from(JSON.stringify(envelope(c.type, { x: 1 })).replace('{"x":1}', deepJson(10_000, false))) },
  ];
  for (const m of regressions) {
    await js.publish(subjectFor(`fzr${sent}`), m.bytes);
    kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
    sent++;
  }
  for (let done = 0; done < runs; done += 500) {
    const batch = fc.sample(arb, { numRuns: Math.min(500, runs - done), seed: seed + done }).map((m) =>
      isMalformed(m.bytes, c.type) ? m : { kind: 'wrong specversion', bytes: Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(m.bytes).toString()), specversion: '0.3' })) },
    );
    for (let i = 0; i < batch.length; i += 64) {
      await Promise.all(
        batch.slice(i, i + 64).map(async (m, j) => {
          await js.publish(subjectFor(`fz${done + i + j}`), m.bytes);
          kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
          sent++;
        }),
      );
    }
  }
  return { sent, kinds };
}

/** Counts what reached the dead-letter stream from `c` and checks each has a reason. */
export async function deadLetters(nc: NatsConnection, subjects: Subjects, c: ConsumedSubject): Promise<{ count: number; withoutReason: number; others: string[] }> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const name = `fuzz_${randomUUID().slice(0, 8)}`;
  await jsm.consumers.add(subjects.deadLetterStream, {
    name, filter_subject: subjects.deadLetter(c.filter), ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, inactive_threshold: 60_000_000_000,
  });
  try {
    const consumer = await js.consumers.get(subjects.deadLetterStream, name);
    let count = 0;
    let withoutReason = 0;
    const others: string[] = [];
    for (;;) {
      const info = await consumer.info();
      if (info.num_pending === 0) break;
      const batch = await consumer.fetch({ max_messages: Math.min(1000, info.num_pending), expires: 5000 });
      for await (const m of batch) {
        // Only what the fuzz published counts; anything else dead-lettered is a finding of its own.
        if (!/\.fzr?[0-9]+$/.test(m.headers?.get('Runway-Original-Subject') ?? '')) {
          others.push(`${m.headers?.get('Runway-Original-Subject')}: ${m.headers?.get('Runway-Dead-Letter-Reason')} ${Buffer.from(m.data).toString('utf8').slice(0, 400)}`);
          continue;
        }
        count++;
        if (!m.headers?.get('Runway-Dead-Letter-Reason') || m.headers.get('Runway-Consumer') !== c.durable) withoutReason++;
      }
    }
    return { count, withoutReason, others };
  } finally {
    await jsm.consumers.delete(subjects.deadLetterStream, name).catch(() => undefined);
  }
}

export async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number, intervalMs = 250): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ── Reports ─────────────────────────────────────────────────────────────────────────────────

export function writeReport(service: string, part: string, report: object): void {
  const dir = process.env.FUZZ_REPORT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${service}.${part}.json`), JSON.stringify(report));
}
