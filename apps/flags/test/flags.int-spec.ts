/**
 * The flags service against real Postgres and NATS JetStream, in-process: editing rules as text
 * and one by one, documentation and domains, the changelog, evaluation with explain, usage and
 * undocumented sightings across a restart, two replicas agreeing, roles.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { Events, parseEvent, Subjects } from '@runway/contracts';
import { type RunningService, startService } from '@runway/platform';
import {
  apiClient, type ApiClient, eventually, serviceTestEnv, type ServiceUnderTest, startServiceUnderTest, TEST_ADMIN_TOKEN,
} from '@runway/testing';
import { flags } from '../src/definition';

const FAST = { FLAGS_USAGE_FLUSH_MS: '100', FLAGS_REFRESH_MS: '5000' };

describe('flags service', () => {
  let sut: ServiceUnderTest<RunningService>;
  let api: ApiClient;
  let editor: ApiClient;
  let nc: NatsConnection;

  beforeAll(async () => {
    sut = await startServiceUnderTest(startService, flags, FAST);
    api = sut.admin;
    editor = await sut.clientWith(['flag-editor'], 'ann');
    nc = await connect({ servers: process.env.NATS_URL! });
  });
  afterAll(async () => {
    await nc?.close();
    await sut?.close();
  });

  async function setRules(text: string, comment = 'test edit') {
    const res = await editor.put('/rules', { text, comment });
    expect(res.status).toBe(200);
    return res.body as { version: number; changed: boolean; diff: string; changeId: string };
  }

  it('replaces the rule set from text, keeps it in canonical order, and logs a diff with who and why', async () => {
    const events: unknown[] = [];
    const sub = nc.subscribe(new Subjects(sut.namespace).allOf(Events.FlagChanged.type), {
      callback: (_e, m) => {
        events.push(parseEvent(m.data));
      },
    });
    const out = await setRules('motd default 0 Welcome to Runway\nmotd server.edge 10 Edge says hi\n', 'greet edge users');
    expect(out.changed).toBe(true);
    const rules = (await api.get('/rules?flag=motd')).body;
    expect(rules.text).toBe('motd server.edge 10 Edge says hi\nmotd default 0 Welcome to Runway\n');
    expect(rules.version).toBe(out.version);

    const log = (await api.get('/changelog?flag=motd')).body.entries;
    expect(log[0]).toMatchObject({ by: 'ann', comment: 'greet edge users', flags: ['motd'], version: out.version });
    expect(log[0].diff).toContain('+motd server.edge 10 Edge says hi');
    expect(log[0].diff).toContain('+motd default 0 Welcome to Runway');

    await eventually(async () => events.length >= 1, { what: 'flag-changed published' });
    expect(events[0]).toMatchObject({ ok: true, event: { data: { version: out.version, flags: ['motd'], comment: 'greet edge users', by: 'ann' } } });
    sub.unsubscribe();

    // The same text again changes nothing and logs nothing.
    const again = await setRules(rules.text);
    expect(again).toMatchObject({ changed: false, version: out.version });
    expect((await api.get('/changelog?flag=motd')).body.entries).toHaveLength(1);
  });

  it('rejects a text with errors, naming every line, and changes nothing', async () => {
    const before = (await api.get('/rules')).body;
    const res = await editor.put('/rules', {
      text: 'motd default 0 hi\nmotd team:qa x yes\nmotd nonsense:1 5 v\nmotd default 0 twice\n',
      comment: 'broken edit',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_FAILED');
    expect(res.body.errors).toEqual([
      { line: 2, message: 'priority "x" is not a whole number' },
      { line: 3, message: 'unknown scope kind "nonsense"' },
      { line: 4, message: 'duplicate priority 0 for flag motd (also on line 1)' },
    ]);
    expect((await api.get('/rules')).body).toEqual(before);

    const check = await api.post('/rules/check', { text: 'motd team:qa x yes' });
    expect(check.body).toMatchObject({ ok: false, errors: [{ line: 1, message: 'priority "x" is not a whole number' }] });
  });

  it('requires a comment and refuses an edit made on a stale version', async () => {
    const noComment = await editor.put('/rules', { text: 'a default 0 x' });
    expect(noComment.status).toBe(400);
    expect(noComment.body.message).toMatch(/^comment:/);

    const { version } = (await api.get('/rules')).body;
    const stale = await editor.put('/rules', { text: 'motd default 0 x\n', comment: 'late edit', expectedVersion: version - 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toMatch(new RegExp(`version ${version}`));
  });

  it('documents a flag; values are checked against its domain, in text and in JSON edits', async () => {
    const doc = await editor.put('/flags/new-ui', { title: 'New UI', description: 'The redesigned pages', domain: 'boolean', default: 'false', comment: 'document new-ui' });
    expect(doc.status).toBe(200);
    const current = (await api.get('/rules')).body.text as string;

    const bad = await editor.put('/rules', { text: `${current}new-ui team:qa 10 maybe\n`, comment: 'try a bad value' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ line: current.split('\n').length, message: '"maybe" is not a boolean (true, false, on or off), outside flag new-ui\'s domain (boolean)' }]);

    expect((await editor.post('/flags/new-ui/rules', { scope: 'team:qa', priority: 10, value: 'on', comment: 'qa tries it' })).status).toBe(201);
    const badJson = await editor.post('/flags/new-ui/rules', { scope: 'team:dev', priority: 5, value: 'maybe', comment: 'bad value' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.message).toMatch(/"maybe" is not a boolean/);
    const taken = await editor.post('/flags/new-ui/rules', { scope: 'team:dev', priority: 10, value: 'on', comment: 'same priority' });
    expect(taken.status).toBe(409);

    // A domain the existing rules do not fit is refused, naming the rule's line.
    const narrower = await editor.put('/flags/new-ui', { title: 'New UI', domain: 'int', comment: 'make it a number' });
    expect(narrower.status).toBe(400);
    expect(narrower.body.errors[0].message).toMatch(/"on" is not a whole number, outside the new domain int/);

    const changed = await editor.patch('/flags/new-ui/rules/10', { value: 'off', comment: 'qa is done' });
    expect(changed.status).toBe(200);
    expect(changed.body.diff).toContain('-new-ui team:qa 10 on');
    expect(changed.body.diff).toContain('+new-ui team:qa 10 off');
    expect((await editor.delete('/flags/new-ui/rules/10?comment=retire%20the%20qa%20rule')).status).toBe(200);
    expect((await editor.delete('/flags/new-ui/rules/10?comment=again')).status).toBe(404);

    const log = (await api.get('/changelog?flag=new-ui&limit=2')).body;
    expect(log.entries.map((e: { comment: string }) => e.comment)).toEqual(['retire the qa rule', 'qa is done']);
    const page2 = (await api.get(`/changelog?flag=new-ui&limit=2&before=${log.next}`)).body;
    expect(page2.entries.map((e: { comment: string }) => e.comment)).toEqual(['qa tries it', 'document new-ui']);
  });

  it('evaluates with explain: the winning rule, the active scopes, and why others were skipped', async () => {
    await setRules(
      [
        'beta default 0 off',
        'beta team:qa 20 on',
        'beta user:zoe 30 zoe-only',
        'beta pageid:Person 10 person-pages',
        'beta server.lpnet 5 production',
      ].join('\n'),
      'beta rules',
    );
    const res = await api.post('/evaluate/beta', { context: { user: 'sam', teams: 'qa dev', pageId: 'Person:+edit', server: 'lpnet' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ flag: 'beta', value: 'on', reason: 'TARGETING_MATCH', rule: { scope: 'team:qa', priority: 20 } });
    expect(res.body.explain.activeScopes).toEqual(['team:qa', 'pageid:Person', 'server.lpnet', 'default']);
    expect(res.body.explain.steps[0]).toEqual({ rule: { flag: 'beta', scope: 'user:zoe', priority: 30, value: 'zoe-only' }, active: false, why: 'user is sam, not zoe' });

    const all = (await api.post('/evaluate', { context: { server: 'lpnet' }, explain: true })).body;
    expect(all.results[0].explain.activeScopes).toEqual(['server.lpnet', 'default']);
    expect(all.results.find((r: { flag: string }) => r.flag === 'beta')).toMatchObject({ value: 'production', reason: 'TARGETING_MATCH' });
    // The text replaced the whole set, so motd is gone; new-ui has no rules but a documented default.
    expect(all.results.map((r: { flag: string }) => r.flag)).toEqual(['beta', 'new-ui']);
    expect(all.results[1]).toMatchObject({ value: 'false', reason: 'DEFAULT' });

    const badContext = await api.post('/evaluate/beta', { context: { userId: 'abc' } });
    expect(badContext.status).toBe(400);
    expect(badContext.body.message).toMatch(/userId/);
    expect((await api.post('/evaluate/nothing-here', { context: {} })).status).toBe(404);
  });

  it('lists rules by scope and flags with their docs and usage', async () => {
    const byScope = (await api.get(`/rules?scope=${encodeURIComponent('team:qa')}`)).body;
    expect(byScope.rules).toEqual([{ flag: 'beta', scope: 'team:qa', priority: 20, value: 'on' }]);
    const list = (await api.get('/flags')).body.flags;
    expect(list.map((f: { name: string }) => f.name)).toEqual(['beta', 'new-ui']);
    expect(list.find((f: { name: string }) => f.name === 'new-ui')).toMatchObject({ documented: true, domain: 'boolean', rules: 0 });
  });

  it('records undocumented flags and scopes and last evaluation; they survive a restart', async () => {
    const sdk = await sut.clientWith(['sdk'], 'app-server');
    await sdk.post('/evaluate/beta', { context: {} });
    await api.post('/ofrep/v1/evaluate/flags/ghost-flag', { context: {} });
    expect((await sdk.post('/usage', { evaluations: { beta: 41, 'sdk-only': 3 }, undocumentedFlags: ['sdk-only'], undocumentedScopes: ['region:eu'] })).status).toBe(202);

    const seen = await eventually(async () => {
      const u = (await api.get('/undocumented')).body;
      return u.flags.length >= 4 && u.scopes.length >= 1 ? u : null;
    }, { what: 'sightings recorded' });
    // nothing-here was asked for (and answered 404) in an earlier case: asked for means seen.
    expect(seen.flags.map((f: { name: string }) => f.name).sort()).toEqual(['beta', 'ghost-flag', 'nothing-here', 'sdk-only']);
    expect(seen.scopes).toEqual([expect.objectContaining({ name: 'region:eu', source: 'sdk' })]);
    const beta = await eventually(async () => {
      const f = (await api.get('/flags/beta')).body;
      return f.evaluations >= 42 ? f : null;
    }, { what: 'usage counted' });
    expect(beta.lastEvaluatedAt).not.toBeNull();

    // Restart on the same database: what was seen is still there.
    await sut.svc.close();
    sut.svc = await startService(flags, serviceTestEnv(sut.db, sut.namespace, FAST));
    api = sut.admin = apiClient(sut.svc.url, TEST_ADMIN_TOKEN);
    const after = (await api.get('/undocumented')).body;
    expect(after.flags.map((f: { name: string }) => f.name).sort()).toEqual(['beta', 'ghost-flag', 'nothing-here', 'sdk-only']);
    expect((await api.get('/rules?flag=beta')).body.rules).toHaveLength(5);
  });

  it('lists stale flags: not evaluated for N days', async () => {
    const pg = new Client({ connectionString: sut.db.url });
    await pg.connect();
    try {
      await pg.query(`UPDATE flags.usage SET last_evaluated_at = now() - interval '40 days' WHERE flag = 'beta'`);
    } finally {
      await pg.end();
    }
    const stale = (await api.get('/flags/stale?days=30')).body.flags.map((f: { name: string }) => f.name);
    expect(stale).toContain('beta');
    expect(stale).not.toContain('new-ui'); // documented today, never evaluated: not stale yet
  });

  it('keeps writes to flag editors and reads to token holders', async () => {
    const viewer = await sut.clientWith(['viewer'], 'watcher');
    const sdk = await sut.clientWith(['sdk'], 'app');
    expect((await viewer.put('/rules', { text: 'x default 0 y', comment: 'sneaky' })).status).toBe(403);
    expect((await sdk.post('/flags/x/rules', { scope: 'default', priority: 0, value: 'y', comment: 'sneaky' })).status).toBe(403);
    expect((await viewer.post('/usage', { evaluations: {}, undocumentedFlags: [], undocumentedScopes: [] })).status).toBe(403);
    expect((await apiClient(sut.svc.url).get('/rules')).status).toBe(401);
    expect((await apiClient(sut.svc.url).post('/ofrep/v1/evaluate/flags/beta', { context: {} })).status).toBe(401);
    expect((await viewer.get('/rules')).status).toBe(200);
    // Any token may ask who it is (the dashboard shows only the actions a user's roles allow).
    expect((await viewer.get('/tokens/me')).body).toMatchObject({ name: 'watcher', roles: ['viewer'], host: null });
    expect((await apiClient(sut.svc.url).get('/tokens/me')).status).toBe(401);
    expect((await sdk.post('/ofrep/v1/evaluate/flags/beta', { context: {} })).status).toBe(200);
  });
  it("says who saw an undocumented flag: an SDK's later counts of it do not make it the server's", async () => {
    const sdk = await sut.clientWith(['sdk'], 'app-server');
    const sourceOf = async (name: string) => ((await api.get('/undocumented')).body.flags as { name: string; source: string; lastSeen: string }[]).find((f) => f.name === name);
    expect((await sdk.post('/usage', { evaluations: { 'sdk-seen': 2 }, undocumentedFlags: ['sdk-seen'], undocumentedScopes: [] })).status).toBe(202);
    const first = await eventually(async () => (await sourceOf('sdk-seen')) ?? null, { what: 'the sdk sighting' });
    expect(first.source).toBe('sdk');
    // An SDK names an undocumented flag once; its next batches only count it.
    expect((await sdk.post('/usage', { evaluations: { 'sdk-seen': 5 }, undocumentedFlags: [], undocumentedScopes: [] })).status).toBe(202);
    const pg = new Client({ connectionString: sut.db.url });
    await pg.connect();
    try {
      await eventually(async () => {
        const { rows } = await pg.query(`SELECT evaluations FROM flags.usage WHERE flag = 'sdk-seen'`);
        return Number(rows[0]?.evaluations ?? 0) >= 7 ? true : null;
      }, { what: 'the later counts flushed' });
    } finally {
      await pg.end();
    }
    expect((await sourceOf('sdk-seen'))!.source).toBe('sdk');
    // What the server itself evaluated is the server's.
    await api.post('/ofrep/v1/evaluate/flags/server-seen', { context: {} });
    expect((await eventually(async () => (await sourceOf('server-seen')) ?? null, { what: 'the server sighting' })).source).toBe('server');
  });
});

describe('flags on two replicas', () => {
  let sut: ServiceUnderTest<RunningService>;
  let second: RunningService;

  beforeAll(async () => {
    sut = await startServiceUnderTest(startService, flags, { FLAGS_REFRESH_MS: '60000' });
    second = await startService(flags, serviceTestEnv(sut.db, sut.namespace, { FLAGS_REFRESH_MS: '60000' }));
  });
  afterAll(async () => {
    await second?.close();
    await sut?.close();
  });

  it('an edit on one replica is served by the other at once, pushed by flag-changed (polling is a minute here)', async () => {
    const other = apiClient(second.url, TEST_ADMIN_TOKEN);
    expect((await sut.admin.put('/rules', { text: 'rollout-banner default 0 on\n', comment: 'show the banner' })).status).toBe(200);
    const started = Date.now();
    const res = await eventually(async () => {
      const r = await other.post('/ofrep/v1/evaluate/flags/rollout-banner', { context: {} });
      return r.status === 200 ? r : null;
    }, { what: 'second replica serves the new rule', intervalMs: 5 });
    expect(res.body).toMatchObject({ key: 'rollout-banner', value: 'on', reason: 'STATIC' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
