/**
 * Route security review. Each of the four services runs in-process on real Postgres and NATS,
 * and every route Fastify serves (Nest's and the fast routes alike) is held to the README's
 * "Tokens and roles", as written down in test/security/route-table.ts:
 *
 *   - without a token, or with one Runway does not know, every route answers 401, except the
 *     public ones (health, metrics, OpenAPI docs);
 *   - every read answers any role, `viewer` included; admin-only reads answer 403 to the rest;
 *   - every write answers 403 to `viewer` (except the few that change nothing, each justified
 *     in the table) and to every role the table does not name, and lets through the roles it
 *     names and `admin`;
 *   - a route missing from the table fails the review, naming what to add.
 *
 * Also: RUNWAY_PUBLIC_READS=true opens anonymous reads and nothing else; an agent token acts for
 * its own host only; token secrets are stored as SHA-256 only. Last, the whole of Runway runs as
 * real processes at LOG_LEVEL=debug behind a NATS server that wants a password, tokens good and
 * bad are used, an agent registers and deploys, and no log holds any secret.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ROLES, type Role } from '@runway/contracts';
import { type CommonEnv, type RunningService, type ServiceDefinition, startService } from '@runway/platform';
import { apiClient, type ApiResponse, eventually, freePort, type ServiceUnderTest, startServiceUnderTest, TEST_ADMIN_TOKEN } from '@runway/testing';
import { flags } from '../apps/flags/src/definition';
import { promotion } from '../apps/promotion/src/definition';
import { qaGate } from '../apps/qa-gate/src/definition';
import { rollout } from '../apps/rollout/src/definition';
import { trail } from '../apps/trail/src/definition';
import { startDashboard } from '../tools/stack.cjs';
import { type E2eRunway, startRunway } from './e2e/harness';
import { startNatsWithPassword, type PasswordNats } from './security/nats-with-password';
import {
  concretePath, isPublic, PUBLIC_ROUTES, ROUTE_TABLE, routeKey, type RouteRule, rolesLetThrough, type ServiceName, WRITE_METHODS,
} from './security/route-table';

const DEFINITIONS: Record<ServiceName, ServiceDefinition<CommonEnv>> = {
  'qa-gate': qaGate as unknown as ServiceDefinition<CommonEnv>,
  promotion: promotion as unknown as ServiceDefinition<CommonEnv>,
  rollout: rollout as unknown as ServiceDefinition<CommonEnv>,
  flags: flags as unknown as ServiceDefinition<CommonEnv>,
  trail: trail as unknown as ServiceDefinition<CommonEnv>,
};

const AGENT_HOST = 'app1.lpnet';
/** The review answers every route 401 three times over, from one address: past the failed-auth rate limit. */
const UNLIMITED = { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0' };

interface Served {
  method: string;
  url: string;
  key: string;
  rule?: RouteRule;
}

/** The routes a service serves; `known` leaves out those the table does not know (the first test names them). */
function served(svc: RunningService, name: ServiceName, known = false): Served[] {
  const seen = new Map<string, Served>();
  for (const r of svc.routes) seen.set(routeKey(r), { ...r, key: routeKey(r), rule: ROUTE_TABLE[name][routeKey(r)] });
  return [...seen.values()].filter((r) => !known || isPublic(r) || r.rule);
}

const isWrite = (r: { method: string }) => WRITE_METHODS.includes(r.method);

async function call(baseUrl: string, r: Served, token?: string, authorization?: string): Promise<ApiResponse> {
  const body = isWrite(r) && r.rule?.body ? JSON.stringify(r.rule.body()) : undefined;
  const headers: Record<string, string> = authorization ? { authorization } : {};
  return apiClient(baseUrl, token).raw(r.method, concretePath(r.url, r.rule), body, headers);
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Every token of a service under review, by role; admin is the bootstrap token. */
async function issueRoleTokens(sut: ServiceUnderTest<RunningService>): Promise<{ byRole: Map<Role, string>; issued: { id: string; secret: string }[] }> {
  const byRole = new Map<Role, string>([['admin', TEST_ADMIN_TOKEN]]);
  const issued: { id: string; secret: string }[] = [];
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    const res = await sut.admin.post('/tokens', { name: `review ${role}`, roles: [role], ...(role === 'agent' ? { host: AGENT_HOST } : {}) });
    if (res.status !== 201) throw new Error(`issuing a ${role} token answered ${res.status}: ${JSON.stringify(res.body)}`);
    byRole.set(role, res.body.token);
    issued.push({ id: res.body.id, secret: res.body.token });
  }
  // An admin token issued by the API, besides the bootstrap one: also kept by hash only.
  const admin = await sut.admin.post('/tokens', { name: 'review admin', roles: ['admin'] });
  issued.push({ id: admin.body.id, secret: admin.body.token });
  return { byRole, issued };
}

const denied = (status: number) => status === 401 || status === 403;

describe.each(Object.keys(ROUTE_TABLE) as ServiceName[])('route security review: %s', (name) => {
  let sut: ServiceUnderTest<RunningService>;
  let routes: Served[];
  let tokens: Map<Role, string>;
  let issued: { id: string; secret: string }[];

  beforeAll(async () => {
    sut = await startServiceUnderTest(startService, DEFINITIONS[name], UNLIMITED);
    routes = served(sut.svc, name, true);
    ({ byRole: tokens, issued } = await issueRoleTokens(sut));
  });
  afterAll(() => sut?.close());

  it('has every route it serves in the route table, and serves every route the table names', () => {
    const all = served(sut.svc, name);
    const unknown = all.filter((r) => !isPublic(r) && !r.rule);
    expect(
      unknown.map(
        (r) =>
          `${name} serves ${r.key}, which test/security/route-table.ts does not know: add '${r.key}': { roles: [...] } to ROUTE_TABLE['${name}'] ` +
          `with the roles README.md ("Tokens and roles") gives it${isWrite(r) ? ' (a write: @Roles it in the controller, or only admin may call it)' : ''}, ` +
          `or to PUBLIC_ROUTES if anyone may call it without a token`,
      ),
    ).toEqual([]);
    const servedKeys = new Set(all.map((r) => r.key));
    expect(Object.keys(ROUTE_TABLE[name]).filter((k) => !servedKeys.has(k)).map((k) => `the route table names ${k}, which ${name} does not serve`)).toEqual([]);
    expect(all.filter((r) => isPublic(r) && r.method !== 'GET').map((r) => r.key)).toEqual([]);
    // A write a viewer may call must say why it is harmless.
    const unexplained = Object.entries(ROUTE_TABLE[name]).filter(([k, rule]) => WRITE_METHODS.includes(k.split(' ')[0]) && rule.roles.includes('viewer') && !rule.why);
    expect(unexplained.map(([k]) => k)).toEqual([]);
    expect(all.filter(isPublic).map((r) => r.key)).toEqual(expect.arrayContaining(['GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /docs/json']));
  });

  it('answers 401 to every route but the public ones, without a token and with a token it does not know', async () => {
    const wrong: string[] = [];
    const unknownToken = `rwy_${randomBytes(32).toString('base64url')}`;
    for (const r of routes) {
      const anonymous = await call(sut.svc.url, r);
      const stranger = await call(sut.svc.url, r, unknownToken);
      const basic = await call(sut.svc.url, r, undefined, `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}`);
      if (isPublic(r)) {
        if (denied(anonymous.status)) wrong.push(`${r.key}: public, but answered ${anonymous.status} without a token`);
        continue;
      }
      for (const [who, res] of [['no token', anonymous], ['an unknown token', stranger], ['Basic credentials', basic]] as const) {
        if (res.status !== 401 || res.body?.error !== 'UNAUTHENTICATED') wrong.push(`${r.key} with ${who}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
    // The public ones really answer.
    expect((await sut.admin.get('/health/live')).status).toBe(200);
    expect((await apiClient(sut.svc.url).get('/metrics')).status).toBe(200);
    expect((await apiClient(sut.svc.url).get('/docs/json')).body).toMatchObject({ openapi: expect.any(String) });
  });

  it('lets every role read every read route, and admin-only reads only to admin', async () => {
    const wrong: string[] = [];
    for (const r of routes.filter((x) => !isWrite(x) && !isPublic(x))) {
      const through = new Set(rolesLetThrough(r.rule!));
      for (const role of ROLES) {
        const res = await call(sut.svc.url, r, tokens.get(role));
        const mayRead = role === 'admin' || through.has(role);
        if (mayRead && (denied(res.status) || res.status >= 500)) wrong.push(`${r.key} as ${role}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`);
        if (!mayRead && res.status !== 403) wrong.push(`${r.key} as ${role}: ${res.status}, expected 403`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses every write to viewer, unless it changes nothing by design, and to every role it does not name', async () => {
    const wrong: string[] = [];
    for (const r of routes.filter(isWrite)) {
      const through = new Set(rolesLetThrough(r.rule!));
      for (const role of ROLES.filter((x) => x !== 'admin' && !through.has(x))) {
        const res = await call(sut.svc.url, r, tokens.get(role));
        if (res.status !== 403 || res.body?.error !== 'FORBIDDEN') wrong.push(`${r.key} as ${role}: ${res.status}, expected 403`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets the roles a write names, and admin, through it', async () => {
    const wrong: string[] = [];
    for (const r of routes.filter(isWrite)) {
      for (const role of [...rolesLetThrough(r.rule!), 'admin' as const]) {
        const res = await call(sut.svc.url, r, tokens.get(role));
        if (denied(res.status) || res.status >= 500) wrong.push(`${r.key} as ${role}: ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps only the SHA-256 of each token secret, in api_tokens and anywhere else in its schema', async () => {
    const schema = DEFINITIONS[name].schema;
    const pg = new Client({ connectionString: sut.db.url });
    await pg.connect();
    try {
      const rows: { id: string; sha256: string }[] = (await pg.query(`SELECT id, sha256 FROM ${schema}.api_tokens`)).rows;
      for (const t of issued) expect(rows.find((row) => row.id === t.id)?.sha256).toBe(sha256(t.secret));
      const tables: string[] = (await pg.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [schema])).rows.map(
        (t: { table_name: string }) => t.table_name,
      );
      expect(tables).toContain('api_tokens');
      const secrets = [TEST_ADMIN_TOKEN, ...issued.flatMap((t) => [t.secret, t.secret.slice('rwy_'.length)])];
      const found: string[] = [];
      for (const table of tables) {
        for (const { row } of (await pg.query(`SELECT t::text AS row FROM ${schema}."${table}" t`)).rows as { row: string }[]) {
          for (const s of secrets) if (row.includes(s)) found.push(`${schema}.${table} holds a secret: ${row.slice(0, 120)}`);
        }
      }
      expect(found).toEqual([]);
    } finally {
      await pg.end();
    }
  });

  if (name === 'rollout') {
    it(`binds an agent token to its host: ${AGENT_HOST}'s token cannot register another host`, async () => {
      const agent = apiClient(sut.svc.url, tokens.get('agent'));
      const other = await agent.post('/agents/register', { host: 'app2.lpnet', environment: 'lpnet', agentVersion: '0.1.0' });
      expect(other.status).toBe(403);
      expect(other.body.message).toMatch(/app1\.lpnet, not app2\.lpnet/);
      expect((await agent.post('/agents/register', { host: AGENT_HOST, environment: 'lpnet', agentVersion: '0.1.0' })).status).toBe(201);
      const servers = (await sut.admin.get('/servers')).body as { host: string }[];
      expect(servers.map((s) => s.host)).not.toContain('app2.lpnet');
      // An agent token may not act as an operator for its own host either.
      expect((await agent.put(`/servers/${AGENT_HOST}/hold`, { reason: 'agent holding itself' })).status).toBe(403);
    });
  }
});

describe('route security review: RUNWAY_PUBLIC_READS=true (qa-gate)', () => {
  let sut: ServiceUnderTest<RunningService>;
  beforeAll(async () => {
    sut = await startServiceUnderTest(startService, DEFINITIONS['qa-gate'], { ...UNLIMITED, RUNWAY_PUBLIC_READS: 'true' });
  });
  afterAll(() => sut?.close());

  it('lets anonymous GETs through every read any role may make, and nothing else', async () => {
    const wrong: string[] = [];
    const routes = served(sut.svc, 'qa-gate', true);
    for (const r of routes.filter((x) => !isPublic(x))) {
      const res = await call(sut.svc.url, r);
      const open = !isWrite(r) && r.rule!.roles.includes('viewer') && r.key !== 'GET /tokens/me';
      if (open && (denied(res.status) || res.status >= 500)) wrong.push(`${r.key}: ${res.status}, expected an anonymous answer`);
      if (!open && res.status !== 401) wrong.push(`${r.key}: ${res.status}, expected 401`);
    }
    expect(wrong).toEqual([]);
    expect((await apiClient(sut.svc.url).get('/deployable')).status).toBe(200);
  });

  it('answers GET /tokens/me without a token with 401: there is nobody to describe', async () => {
    const res = await apiClient(sut.svc.url).get('/tokens/me');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('UNAUTHENTICATED');
  });
});

describe('secrets never reach a log (every part a real process, LOG_LEVEL=debug)', () => {
  const natsUser = 'runway';
  const natsPassword = `nats-pw-${randomBytes(18).toString('hex')}`;
  let nats: PasswordNats;
  let runway: E2eRunway;

  beforeAll(async () => {
    nats = await startNatsWithPassword(natsUser, natsPassword);
    const env = { LOG_LEVEL: 'debug', NATS_URL: nats.url, NATS_USER: natsUser, NATS_PASSWORD: natsPassword };
    runway = await startRunway({ 'qa-gate': env, promotion: env, rollout: env, flags: env, trail: env });
  }, 120_000);
  afterAll(async () => {
    await runway?.stop();
    await nats?.stop();
  }, 60_000);

  it('keeps the admin token, issued token secrets, an agent token and the NATS password out of every log', async () => {
    const secrets = new Map<string, string>([['the admin token', TEST_ADMIN_TOKEN], ['the NATS password', natsPassword]]);
    const issue = async (service: ServiceName, body: object) => {
      const res = await apiClient(runway.urls[service], TEST_ADMIN_TOKEN).post('/tokens', body);
      expect(res.status).toBe(201);
      secrets.set(`the ${JSON.stringify(body)} token issued on ${service}`, res.body.token);
      return res.body as { id: string; token: string };
    };
    const operator = await issue('rollout', { name: 'ops', roles: ['operator'] });
    const qa = await issue('qa-gate', { name: 'qa', roles: ['qa'] });
    const buildbot = await issue('qa-gate', { name: 'buildbot', roles: ['buildbot'] });
    const sdk = await issue('flags', { name: 'app', roles: ['sdk'] });
    const revoked = await issue('promotion', { name: 'leaver', roles: ['viewer'] });
    const agentToken = await issue('rollout', { name: 'agent app9', roles: ['agent'], host: 'app9.lpnet' });

    // Tokens issued anywhere work everywhere, and a revocation reaches every service: wait for
    // both on each (asking as admin, so that no 401 counts towards the failed-auth rate limit).
    const tokenOn = async (service: ServiceName, id: string) =>
      ((await apiClient(runway.urls[service], TEST_ADMIN_TOKEN).get('/tokens')).body as { id: string; revoked_at: string | null }[]).find((t) => t.id === id);
    for (const service of Object.keys(runway.urls) as ServiceName[]) {
      for (const t of [operator, qa, buildbot, sdk, revoked, agentToken]) await eventually(() => tokenOn(service, t.id), { what: `token ${t.id} known on ${service}` });
    }
    expect((await apiClient(runway.urls.promotion, TEST_ADMIN_TOKEN).delete(`/tokens/${revoked.id}`)).status).toBe(204);
    for (const service of Object.keys(runway.urls) as ServiceName[]) {
      await eventually(async () => (await tokenOn(service, revoked.id))?.revoked_at, { what: `token ${revoked.id} revoked on ${service}` });
    }

    // The agent, with its token and the NATS password, registers and runs a deploy whose command
    // prints its whole environment.
    await runway.addAgent('app9.lpnet', {
      deployCommand: 'env; echo deployed',
      extraEnv: { RUNWAY_AGENT_TOKEN: agentToken.token, LOG_LEVEL: 'debug', NATS_URL: nats.url, NATS_USER: natsUser, NATS_PASSWORD: natsPassword },
    });
    const manual = await apiClient(runway.urls.rollout, operator.token).post('/rollouts', {
      revision: 'abcdef1234567', hosts: ['app9.lpnet'], reason: 'security review deploy',
    });
    expect(manual.status).toBe(201);
    const done = await eventually(
      async () => {
        const r = (await apiClient(runway.urls.rollout, operator.token).get(`/rollouts/${manual.body.id}`)).body;
        return r.status === 'succeeded' ? r : null;
      },
      { what: 'the deploy on app9.lpnet succeeded', timeoutMs: 30_000 },
    );
    // The deploy command saw its environment, without the agent's credentials.
    const output: string = done.deploys[0].outputTail;
    expect(output).toMatch(/RUNWAY_REVISION=abcdef1234567/);
    expect(output).not.toContain(agentToken.token);
    expect(output).not.toContain(natsPassword);

    // Good tokens, bad tokens, revoked tokens, a token where it does not belong, on every service.
    const bad = `rwy_${randomBytes(32).toString('base64url')}`;
    secrets.set('an unknown token', bad);
    for (const url of Object.values(runway.urls)) {
      const as = (t: string) => apiClient(url, t);
      expect((await as(qa.token).get('/tokens/me')).status).toBe(200);
      expect((await as(bad).get('/tokens/me')).status).toBe(401);
      expect((await as(revoked.token).get('/tokens/me')).status).toBe(401);
      expect((await as(sdk.token).post('/tokens', { name: 'x', roles: ['admin'] })).status).toBe(403);
      expect((await apiClient(url).raw('GET', '/tokens/me', undefined, { authorization: `Basic ${Buffer.from(`runway:${natsPassword}`).toString('base64')}` })).status).toBe(401);
      expect((await apiClient(url).raw('GET', '/tokens/me', undefined, { authorization: `Bearer ${bad} extra` })).status).toBe(401);
      expect((await apiClient(url).get(`/tokens/me?access_token=${encodeURIComponent(bad)}`)).status).toBe(401);
      // A 4xx answer with a token (validation failed, not found).
      expect((await as(TEST_ADMIN_TOKEN).post('/tokens', { name: '', roles: ['nobody'] })).status).toBe(400);
      expect((await as(TEST_ADMIN_TOKEN).delete(`/tokens/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    }
    expect((await apiClient(runway.urls['qa-gate'], buildbot.token).post('/revisions', { branch: 'stable', sha: 'abcdef1234567' })).status).toBe(202);
    expect((await apiClient(runway.urls['qa-gate'], buildbot.token).raw('POST', '/buildbot', '{"not json', {})).status).toBe(400);
    expect((await apiClient(runway.urls.flags, sdk.token).post('/ofrep/v1/evaluate/flags', { context: { targetingKey: sdk.token } })).status).toBe(200);
    expect((await apiClient(runway.urls.rollout, agentToken.token).post('/agents/register', { host: 'app2.lpnet', environment: 'lpnet', agentVersion: '0.1.0' })).status).toBe(403);

    // The dashboard: logging in with a good token and a bad one, and acting through it.
    const dashboard = await startDashboard({ NATS_URL: nats.url, NATS_USER: natsUser, NATS_PASSWORD: natsPassword, RUNWAY_NAMESPACE: runway.namespace, LOG_LEVEL: 'debug' }, runway.urls, {
      logDir: join(runway.dir, 'logs'), port: await freePort(),
    });
    try {
      const login = (token: string) => fetch(`${dashboard.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-runway-dashboard': '1' }, body: JSON.stringify({ token }) });
      expect((await login(bad)).status).toBe(401);
      const ok = await login(operator.token);
      expect(ok.status).toBe(200);
      const cookie = ok.headers.get('set-cookie')!.split(';')[0];
      expect((await fetch(`${dashboard.url}/api/rollout/servers`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await dashboard.stop();
    }

    // Stop every process, so each has written all it will write, then read every log.
    await Promise.all(runway.agents.map((a) => a.stop()));
    await Promise.all(Object.values(runway.services).map((s) => s.stop()));
    const logDir = join(runway.dir, 'logs');
    const files = readdirSync(logDir);
    expect(files.length).toBeGreaterThanOrEqual(6); // four services, the agent, the dashboard
    const found: string[] = [];
    const all: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(logDir, file), 'utf8');
      all.push(text);
      for (const [what, secret] of secrets) {
        for (const piece of secret.startsWith('rwy_') ? [secret, secret.slice('rwy_'.length)] : [secret]) {
          if (text.includes(piece)) found.push(`${file} holds ${what}`);
        }
      }
    }
    expect(found).toEqual([]);
    // The logs were captured, request details included: the manual rollout's reason is there.
    expect(all.join('\n')).toContain('security review deploy');
    expect(all.join('\n')).toContain('"deploy finished"');
  }, 180_000);
});

// The allow-list of public routes is the test's own: a change to it shows in review.
test('the public allow-list holds only health, metrics and the OpenAPI docs', () => {
  for (const key of PUBLIC_ROUTES) expect(key).toMatch(/^GET \/(health\/(live|ready)|metrics|docs(\/.*|-yaml)?)$/);
});
