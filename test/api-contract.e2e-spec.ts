/**
 * The HTTP contract: what /docs promises is what the services answer. The four services run as
 * real processes from their builds, on real Postgres and NATS, with a real git repository and a
 * real agent on a production server.
 *
 *   - Each service's /docs/json is valid OpenAPI 3 by Redocly's recommended rules (no errors),
 *     and every route the service serves (the route table the security review holds them to,
 *     and health and metrics) is there with a 2xx answer that has a schema (a 204, none).
 *   - A walk through Runway (landings, QA, production running a bad revision, a lock, a
 *     withdrawn approval, a manual promotion, a security fix, rollouts paused, resumed and
 *     cancelled, holds, cowboys, flag edits and evaluation, OFREP, tokens, health, and a few
 *     refusals) checks every answer against its TypeBox schema in libs/contracts: each
 *     mismatch by its path, each field the schema does not describe, and each status /docs does
 *     not list. The walk calls every documented operation of every service.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  BuildbotAnswerSchema, ChangelogSchema, CowboyListSchema, CowboySchema, DeployableSchema, DeregisteredSchema, DocumentedFlagSchema, ErrorBodySchema,
  EvaluationsSchema, FlagDetailSchema, FlagExplanationSchema, FlagListSchema, FlagSnapshotSchema, IssuedTokenSchema, LandingAnswerSchema, LandingPageSchema,
  LandingSchema, LeadTimeSchema, LivenessSchema, MetricsSchema, NewHoldSchema, NewLockSchema, OfrepBulkSchema, OfrepEvaluationSchema, OfrepFailureSchema,
  PreflightSchema, PromotedSchema, PromotionListSchema, PromotionStatusSchema, ReadinessSchema, RevisionDetailSchema, RevisionPageSchema, RevisionSchema,
  RolloutDetailSchema, RolloutListSchema, RolloutSchema, RuleChangeSchema, RulesCheckSchema, RuleSetSchema, SecurityFixListSchema, SecurityFixSchema,
  ServerListSchema, ServerRecordSchema, StaleFlagsSchema, TokenHolderSchema, TokenListSchema, UndocumentedSchema, UsageAcceptedSchema, TrailPageSchema, StorySchema, DoraSchema,
} from '@runway/contracts';
import { apiClient, eventually, GitFixture, randomSha, TEST_ADMIN_TOKEN } from '@runway/testing';
import { type E2eRunway, startRunway } from './e2e/harness';
import { ROUTE_TABLE, type ServiceName } from './security/route-table';

const SERVICES = Object.keys(ROUTE_TABLE) as ServiceName[];
const AGENT = 'app1.lpnet.example';
/** Registered by the walk itself and never heard from again: a server rollouts wait on. */
const SILENT = 'app9.lpnet.example';

FormatRegistry.Set('date-time', (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v)));
FormatRegistry.Set('uuid', (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v));

interface Operation {
  operationId?: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** `GET /revisions/:id`, as the route table and Fastify name routes. */
const keyOf = (method: string, docPath: string) => `${method.toUpperCase()} ${docPath.replace(/\{([^}]+)\}/g, ':$1')}`;

function operations(doc: OpenApi): { key: string; op: Operation; pattern: RegExp }[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      key: keyOf(method, path),
      op,
      pattern: new RegExp(`^${method.toUpperCase()} ${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/?]+')}(\\?.*)?$`),
    })),
  );
}

/** Problems Redocly finds, by service; Redocly is an ES module, so it runs in a Node process of its own. */
function lint(docs: Record<string, OpenApi>): Record<string, { severity: string; ruleId: string; message: string; pointer: string }[]> {
  const out = execFileSync(process.execPath, [join(__dirname, 'api-contract', 'openapi-lint.mjs')], { input: JSON.stringify(docs), encoding: 'utf8' });
  return JSON.parse(out);
}

/** Where a value strays from its schema: what TypeBox finds wrong, else the fields the schema does not describe. */
function strays(schema: TSchema, value: unknown, at = ''): string[] {
  const errors = [...Value.Errors(schema, value)];
  if (errors.length === 0) return undescribed(schema, value, at);
  return errors.flatMap((e) => {
    const members = (e.schema as { anyOf?: TSchema[] }).anyOf;
    const here = `${at}${e.path || '/'}`;
    if (!members) return [`${here}: ${e.message} (got ${JSON.stringify(e.value)?.slice(0, 80)})`];
    // A union: what the member it comes closest to says.
    const closest = members.map((m) => strays(m, e.value, `${at}${e.path}`)).sort((a, b) => a.length - b.length)[0];
    return closest?.length ? closest : [`${here}: ${e.message}`];
  });
}

function undescribed(schema: TSchema, value: unknown, at: string): string[] {
  const s = schema as { anyOf?: TSchema[]; items?: TSchema; properties?: Record<string, TSchema>; additionalProperties?: unknown };
  if (s.anyOf) {
    const member = s.anyOf.find((m) => Value.Check(m, value));
    return member ? undescribed(member, value, at) : [];
  }
  if (Array.isArray(value)) return s.items ? value.flatMap((v, i) => undescribed(s.items!, v, `${at}/${i}`)) : [];
  if (!value || typeof value !== 'object' || !s.properties || s.additionalProperties === true) return [];
  const props = s.properties;
  return Object.entries(value).flatMap(([k, v]) => (k in props ? undescribed(props[k], v, `${at}/${k}`) : [`${at}/${k}: not described by the schema`]));
}

describe('the HTTP contract (real processes)', () => {
  let repo: GitFixture;
  let rw: E2eRunway;
  const docs = {} as Record<ServiceName, OpenApi>;
  const problems: string[] = [];
  const called = new Set<string>();

  beforeAll(async () => {
    repo = new GitFixture();
    rw = await startRunway({ ...repo.serviceEnv(), trail: {} });
    await rw.addAgent(AGENT, { environment: 'lpnet' });
    for (const name of SERVICES) docs[name] = (await apiClient(rw.urls[name]).get('/docs/json')).body;
  }, 180_000);

  afterAll(async () => {
    await rw?.stop();
    repo?.remove();
  });

  it('publishes valid OpenAPI 3, with a 2xx answer schema for every route each service serves', () => {
    const found = lint(docs);
    const errors = Object.entries(found).flatMap(([name, list]) =>
      list.filter((p) => p.severity === 'error').map((p) => `${name}: ${p.ruleId} at ${p.pointer}: ${p.message}`),
    );
    expect(errors).toEqual([]);

    const missing: string[] = [];
    for (const name of SERVICES) {
      expect(docs[name].openapi).toMatch(/^3\./);
      const ops = new Map(operations(docs[name]).map((o) => [o.key, o.op]));
      for (const key of [...Object.keys(ROUTE_TABLE[name]), 'GET /health/live', 'GET /health/ready', 'GET /metrics']) {
        if (!ops.has(key)) missing.push(`${name}: ${key} is served but not in /docs`);
      }
      for (const [key, op] of ops) {
        const answered = Object.entries(op.responses).some(([status, r]) => /^2/.test(status) && (status === '204' || Object.values(r.content ?? {}).some((c) => c.schema)));
        if (!answered) missing.push(`${name}: ${key} (${op.operationId ?? 'no operationId'}) has no 2xx answer with a schema`);
      }
    }
    expect(missing).toEqual([]);
  });

  /** Calls a route, and holds its answer to /docs and to `schema` (null: no body). Fails at once on any other status than `status`. */
  async function call(
    service: ServiceName, method: string, path: string, schema: TSchema | null, status: number,
    opts: { body?: unknown; token?: string | null } = {},
  ) {
    const client = apiClient(rw.urls[service], opts.token === null ? undefined : (opts.token ?? TEST_ADMIN_TOKEN));
    const res = await client.raw(method, path, opts.body === undefined ? undefined : JSON.stringify(opts.body));
    const label = `${service}: ${method} ${path} ${res.status}`;
    if (res.status !== status) throw new Error(`${label}, expected ${status}: ${JSON.stringify(res.body)?.slice(0, 500)}`);
    const documented = operations(docs[service]).find((o) => o.pattern.test(`${method} ${path}`));
    if (!documented) problems.push(`${label}: not in /docs`);
    else {
      called.add(`${service}: ${documented.key}`);
      if (!documented.op.responses[String(status)]) problems.push(`${label}: /docs lists only ${Object.keys(documented.op.responses).join(', ')}`);
    }
    if (schema) problems.push(...strays(schema, res.body).map((s) => `${label}: ${s}`));
    else if (res.body !== undefined) problems.push(`${label}: a body where none is documented`);
    return res.body;
  }

  it('answers every route with the body its schema describes', async () => {
    // ── every service: tokens, health, metrics ────────────────────────────────────────────
    for (const name of SERVICES) {
      const issued = await call(name, 'POST', '/tokens', IssuedTokenSchema, 201, { body: { name: 'contract qa', roles: ['qa'] } });
      await call(name, 'GET', '/tokens/me', TokenHolderSchema, 200, { token: issued.token });
      await call(name, 'GET', '/tokens', TokenListSchema, 200);
      await call(name, 'DELETE', `/tokens/${issued.id}`, null, 204);
      await call(name, 'GET', '/health/live', LivenessSchema, 200, { token: null });
      await call(name, 'GET', '/health/ready', ReadinessSchema, 200, { token: null });
      await call(name, 'GET', '/metrics', MetricsSchema, 200, { token: null });
    }

    // ── qa-gate: three commits land, one through buildbot; QA marks them ──────────────────
    repo.checkout('stable');
    const c1 = repo.commit('Faster bug search', { 'lib/search.py': 'FAST = True\n' });
    const c2 = repo.commit('Show the bug heat', { 'lib/heat.py': 'HEAT = 1\n' });
    const c3 = repo.commit('Fix the bug heat [rollback=3]', { 'lib/heat.py': 'HEAT = 2\n' });
    repo.push('stable');
    const build = JSON.parse(readFileSync(join(__dirname, '..', 'apps', 'qa-gate', 'test', 'fixtures', 'buildbot', 'build-finished-success.json'), 'utf8'));
    build.buildid = 4242;
    build.number = 4242;
    for (const p of ['revision', 'got_revision', 'got_head']) if (build.properties[p]) build.properties[p] = [c1, build.properties[p][1]];
    build.buildset.sourcestamps[0].revision = c1;
    await call('qa-gate', 'POST', '/buildbot', BuildbotAnswerSchema, 202, { body: build });
    for (const sha of [c2, c3]) await call('qa-gate', 'POST', '/revisions', LandingAnswerSchema, 202, { body: { branch: 'stable', sha, author: 'Ada <ada@example.com>' } });
    const qa = apiClient(rw.urls['qa-gate'], TEST_ADMIN_TOKEN);
    await eventually(async () => {
      const revs = await Promise.all([c1, c2, c3].map(async (sha) => (await qa.get(`/revisions/${sha}`)).body));
      return revs.every((r) => r?.enrichedAt) ? revs : null;
    }, { what: 'the three commits read from git', timeoutMs: 30_000 });

    const rollout = apiClient(rw.urls.rollout, TEST_ADMIN_TOKEN);
    const promotion = apiClient(rw.urls.promotion, TEST_ADMIN_TOKEN);
    const running = (sha: string) =>
      eventually(async () => (await rollout.get('/servers')).body.find((s: { host: string; runningRevision: string }) => s.host === AGENT && s.runningRevision === sha), {
        what: `${AGENT} running ${sha.slice(0, 10)}`, timeoutMs: 30_000,
      });
    await call('qa-gate', 'PATCH', `/revisions/${c1}/qa`, RevisionSchema, 200, { body: { status: 'ok', note: 'tested on qastaging' } });
    await running(c1);
    await call('qa-gate', 'PATCH', `/revisions/${c2}/qa`, RevisionSchema, 200, { body: { status: 'bad' } });
    await call('qa-gate', 'PUT', `/revisions/${c2}/fix`, RevisionSchema, 200, { body: { fixedBy: c3 } });
    const blocked = await call('qa-gate', 'GET', '/deployable', DeployableSchema, 200);
    expect(blocked.blocker).toMatchObject({ revno: 4, kind: 'needs-testing-fix', fixes: 3 });

    // Production runs c1; QA finds it bad, then takes that back.
    await call('qa-gate', 'PATCH', `/revisions/${c1}/qa`, RevisionSchema, 200, { body: { status: 'bad' } });
    expect((await call('qa-gate', 'GET', '/deployable', DeployableSchema, 200)).productionRunsBad).toMatchObject({ actor: 'developer' });
    await eventually(async () => (await promotion.get('/status')).body.productionRunsBad, { what: 'promotion told production runs a bad revision' });
    await call('promotion', 'GET', '/status', PromotionStatusSchema, 200);
    await call('qa-gate', 'PATCH', `/revisions/${c1}/qa`, RevisionSchema, 200, { body: { status: 'ok' } });

    // ── promotion: locked, c3 approved, withdrawn and approved again, promoted by hand ────
    const lock = await call('promotion', 'POST', '/locks', NewLockSchema, 201, { body: { reason: 'Incident 1234: failover' } });
    await call('qa-gate', 'PATCH', `/revisions/${c3}/qa`, RevisionSchema, 200, { body: { status: 'ok' } });
    await eventually(async () => (await promotion.get('/status')).body.pendingApprovals.some((a: { sha: string }) => a.sha === c3), { what: 'c3 approved' });
    await call('qa-gate', 'PATCH', `/revisions/${c3}/qa`, RevisionSchema, 200, { body: { status: 'needs-testing' } });
    await eventually(async () => (await promotion.get('/status')).body.withdrawnApprovals.some((a: { sha: string }) => a.sha === c3), { what: 'c3 withdrawn' });
    await call('promotion', 'GET', '/status', PromotionStatusSchema, 200);
    await call('qa-gate', 'PATCH', `/revisions/${c3}/qa`, RevisionSchema, 200, { body: { status: 'ok' } });
    await eventually(async () => (await promotion.get('/status')).body.pendingApprovals.some((a: { sha: string }) => a.sha === c3), { what: 'c3 approved again' });
    const locked = await call('promotion', 'GET', '/status', PromotionStatusSchema, 200);
    expect(locked).toMatchObject({ automaticPromotion: 'locked', locks: [expect.objectContaining({ id: lock.id })] });
    expect((await call('promotion', 'POST', '/promotions', PromotedSchema, 201, { body: { revision: 'r4' } })).promoted).toBe(c3);
    await call('promotion', 'DELETE', `/locks/${lock.id}`, null, 204);
    await running(c3);
    await call('promotion', 'GET', '/promotions', PromotionListSchema, 200);

    // A security fix on production-devel goes to production first; an operator says it is in stable.
    repo.checkout('production-devel');
    const fix = repo.commit('Close the XSS in bug titles', { 'lib/escape.py': 'SAFE = True\n' });
    repo.push('production-devel');
    await call('promotion', 'POST', '/security-fixes', PromotionStatusSchema, 201, { body: { sha: fix } });
    await call('promotion', 'GET', '/security-fixes', SecurityFixListSchema, 200);
    await call('promotion', 'GET', `/security-fixes/${fix.slice(0, 12)}`, SecurityFixSchema, 200);
    await call('promotion', 'POST', `/security-fixes/${fix}/merged-back`, SecurityFixSchema, 200, { body: { reason: 'reworked by hand in r5' } });
    await call('promotion', 'GET', '/status', PromotionStatusSchema, 200);
    const head = repo.remoteRef('production-stable');
    await running(head);

    // ── qa-gate reads back ────────────────────────────────────────────────────────────────
    await call('qa-gate', 'GET', '/revisions?branch=stable&limit=10', RevisionPageSchema, 200);
    const detail = await call('qa-gate', 'GET', `/revisions/${c1}`, RevisionDetailSchema, 200);
    expect(detail.builds.length).toBeGreaterThan(0);
    const landings = await call('qa-gate', 'GET', '/landings?branch=stable', LandingPageSchema, 200);
    await call('qa-gate', 'GET', `/landings/${landings.items[0].id}`, LandingSchema, 200);
    // A landing git cannot place waits, and blocks, until an operator sets it aside.
    await call('qa-gate', 'POST', '/revisions', LandingAnswerSchema, 202, { body: { branch: 'stable', sha: randomSha() } });
    const waiting = await call('qa-gate', 'GET', '/deployable', DeployableSchema, 200);
    const pending = waiting.blockers.find((b: { kind: string }) => b.kind === 'landing-pending');
    expect(pending).toBeDefined();
    await call('qa-gate', 'POST', `/landings/${pending.landingId}/dismiss`, LandingSchema, 200, { body: { reason: 'pushed to the wrong remote' } });

    // ── rollout: what ran, lead time, then a server that never reports ────────────────────
    const shipped = await eventually(async () => {
      const list: { id: string; toSha: string; status: string }[] = (await rollout.get('/rollouts')).body;
      return list.find((r) => r.toSha === head && r.status === 'succeeded');
    }, { what: 'the security fix rolled out' });
    await call('rollout', 'GET', '/rollouts', RolloutListSchema, 200);
    await call('rollout', 'GET', `/rollouts/${shipped.id}`, RolloutDetailSchema, 200);
    await call('rollout', 'GET', '/lead-time', LeadTimeSchema, 200);
    // It runs production's head, so nothing catches it up: only the manual rollout below waits on it.
    await call('rollout', 'POST', '/agents/register', ServerRecordSchema, 201, { body: { host: SILENT, environment: 'lpnet', agentVersion: '0.1.0', runningRevision: head } });
    const manual = await call('rollout', 'POST', '/rollouts', RolloutDetailSchema, 201, { body: { revision: head, hosts: [SILENT], reason: 'redeploy app9 after a disk swap' } });
    await call('rollout', 'POST', `/rollouts/${manual.id}/pause`, RolloutSchema, 200);
    await call('rollout', 'POST', `/rollouts/${manual.id}/resume`, RolloutSchema, 200);
    await call('rollout', 'POST', `/rollouts/${manual.id}/cancel`, RolloutSchema, 200, { body: { reason: 'app9 does not answer' } });
    await call('rollout', 'PUT', `/servers/${SILENT}/hold`, NewHoldSchema, 200, { body: { reason: 'disk swap', until: new Date(Date.now() + 3600_000).toISOString() } });
    const cowboys = await call('rollout', 'POST', '/cowboys', CowboyListSchema, 201, { body: { hosts: [SILENT], patchHash: 'c0ffee0123', reason: 'stop the search OOM' } });
    await call('rollout', 'PATCH', `/cowboys/${cowboys[0].id}`, CowboySchema, 200, { body: { fixedBy: c3 } });
    await call('rollout', 'GET', '/preflight/cowboys', PreflightSchema, 200);
    await call('rollout', 'GET', '/servers', ServerListSchema, 200);
    await call('rollout', 'DELETE', `/cowboys/${cowboys[0].id}`, CowboySchema, 200, { body: { reason: 'the fix is deployed' } });
    await call('rollout', 'GET', '/cowboys', CowboyListSchema, 200);
    await call('rollout', 'DELETE', `/servers/${SILENT}/hold`, null, 204);
    await call('rollout', 'POST', `/servers/${SILENT}/deregister`, DeregisteredSchema, 200, { body: { reason: 'replaced by app10' } });
    await call('rollout', 'GET', '/servers?deregistered=include', ServerListSchema, 200);

    // ── flags: edits, docs, evaluation, usage, OFREP ──────────────────────────────────────
    const comment = 'the contract walk';
    const set = await call('flags', 'PUT', '/rules', RuleChangeSchema, 200, { body: { text: 'search.fast default 0 false\nsearch.fast team:qa 10 true\n', comment } });
    await call('flags', 'POST', '/rules/check', RulesCheckSchema, 200, { body: { text: 'search.fast bogus:x 1 true\n' } });
    await call('flags', 'POST', '/flags/search.fast/rules', RuleChangeSchema, 201, { body: { scope: 'user:ada', priority: 20, value: 'true', comment } });
    await call('flags', 'PATCH', '/flags/search.fast/rules/20', RuleChangeSchema, 200, { body: { value: 'false', comment } });
    await call('flags', 'DELETE', '/flags/search.fast/rules/20', RuleChangeSchema, 200, { body: { comment } });
    await call('flags', 'PUT', '/flags/search.fast', DocumentedFlagSchema, 200, { body: { title: 'Fast search', description: 'The new index', domain: 'boolean', default: 'false', comment } });
    await call('flags', 'GET', '/rules', RuleSetSchema, 200);
    await call('flags', 'GET', '/flags/search.fast', FlagDetailSchema, 200);
    await call('flags', 'POST', '/evaluate', EvaluationsSchema, 200, { body: { context: { user: 'ada', teams: ['qa'] }, explain: true } });
    await call('flags', 'POST', '/evaluate/search.fast', FlagExplanationSchema, 200, { body: { context: { teams: ['qa'] } } });
    await call('flags', 'POST', '/usage', UsageAcceptedSchema, 202, { body: { evaluations: { 'search.fast': 3 }, undocumentedFlags: ['ghost.flag'], undocumentedScopes: ['bogus:x'] } });
    await eventually(async () => (await apiClient(rw.urls.flags, TEST_ADMIN_TOKEN).get('/undocumented')).body.flags.length > 0, { what: 'usage recorded' });
    await call('flags', 'GET', '/undocumented', UndocumentedSchema, 200);
    await call('flags', 'GET', '/flags', FlagListSchema, 200);
    await call('flags', 'GET', '/flags/stale?days=0', StaleFlagsSchema, 200);
    await call('flags', 'GET', '/changelog', ChangelogSchema, 200);
    await call('flags', 'POST', '/ofrep/v1/evaluate/flags/search.fast', OfrepEvaluationSchema, 200, { body: { context: { targetingKey: 'ada', teams: ['qa'] } } });
    await call('flags', 'POST', '/ofrep/v1/evaluate/flags', OfrepBulkSchema, 200, { body: { context: { targetingKey: 'ada' } } });
    await call('flags', 'GET', '/snapshot', FlagSnapshotSchema, 200);

    // ── trail: what happened, the story of c3, DORA ───────────────────────────────────────
    const trail = apiClient(rw.urls.trail, TEST_ADMIN_TOKEN);
    await eventually(async () => (await trail.get(`/trail?revision=${c3}&type=running-everywhere`)).body.entries?.length > 0, { what: 'the trail saw c3 run everywhere' });
    const page = await call('trail', 'GET', '/trail?limit=5', TrailPageSchema, 200);
    expect(page.next).toEqual(expect.any(String));
    await call('trail', 'GET', `/trail?limit=5&cursor=${page.next}`, TrailPageSchema, 200);
    await call('trail', 'GET', `/trail?revision=${c3.slice(0, 10)}&actor=runway`, TrailPageSchema, 200);
    const story = await call('trail', 'GET', '/story/r4', StorySchema, 200);
    expect(story.revision.sha).toBe(c3);
    await call('trail', 'GET', '/dora', DoraSchema, 200);

    // ── refusals carry the error body /docs describes ─────────────────────────────────────
    await call('qa-gate', 'GET', '/revisions/ffffffffff', ErrorBodySchema, 404);
    await call('qa-gate', 'GET', '/deployable', ErrorBodySchema, 401, { token: null });
    await call('promotion', 'POST', '/locks', ErrorBodySchema, 400, { body: {} });
    await call('flags', 'PUT', '/rules', ErrorBodySchema, 409, { body: { text: '', comment, expectedVersion: set.version - 1 } });
    await call('flags', 'PUT', '/rules', ErrorBodySchema, 400, { body: { text: 'search.fast bogus:x 1 true\n', comment } });
    await call('flags', 'POST', '/ofrep/v1/evaluate/flags/no.such.flag', OfrepFailureSchema, 404, { body: {} });
    await call('trail', 'GET', '/story/r999', ErrorBodySchema, 404);
    await call('trail', 'GET', '/trail?type=nothing-happened', ErrorBodySchema, 400);

    expect(problems).toEqual([]);
    const uncalled = SERVICES.flatMap((name) => operations(docs[name]).map((o) => `${name}: ${o.key}`)).filter((k) => !called.has(k));
    expect(uncalled).toEqual([]);
  }, 300_000);
});
