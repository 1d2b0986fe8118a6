/**
 * libs/sdk against the real flags service, Postgres and NATS JetStream: the in-process client
 * (snapshot with ETag, flag-changed push, polling when NATS is unreachable, the last good
 * snapshot while the service is down, the cache file, usage reports), Runway's OpenFeature
 * provider, and OFREP through the real @openfeature/server-sdk + @openfeature/ofrep-provider.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { ErrorCode, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { type RunningService, startService } from '@runway/platform';
import { FlagClient, RunwayProvider } from '@runway/sdk';
import {
  apiClient, type ApiClient, eventually, freePort, serviceTestEnv, type ServiceUnderTest, startServiceUnderTest, TEST_ADMIN_TOKEN,
} from '@runway/testing';
import { flags } from '../src/definition';

const RULES = [
  'new-ui default 0 off',
  'new-ui team:qa 10 on',
  'new-ui percent:50 5 on',
  'motd default 0 Hello',
  'motd server.edge 10 Hello edge',
  'limit default 0 10',
  'limit user:bulk 10 1000',
  'legacy-switch default 0 on',
].join('\n');

describe('flag SDK and OpenFeature', () => {
  let sut: ServiceUnderTest<RunningService>;
  let port: number;
  let admin: ApiClient;
  let sdkToken: string;
  let dir: string;
  const clients: FlagClient[] = [];

  const edit = async (text: string, comment = 'sdk test edit') => {
    const res = await admin.put('/rules', { text, comment });
    expect(res.status).toBe(200);
    return res.body.version as number;
  };
  const start = async (extra: Partial<Parameters<typeof FlagClient.start>[0]> = {}) => {
    const c = await FlagClient.start({ url: sut.svc.url, token: sdkToken, natsUrl: process.env.NATS_URL!, namespace: sut.namespace, reportIntervalMs: 0, ...extra });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    port = await freePort();
    sut = await startServiceUnderTest(startService, flags, { PORT: String(port), FLAGS_USAGE_FLUSH_MS: '100', FLAGS_REFRESH_MS: '60000' });
    admin = sut.admin;
    const issued = await admin.post('/tokens', { name: 'web app', roles: ['sdk'] });
    sdkToken = issued.body.token;
    for (const [flag, domain, dflt] of [['new-ui', 'boolean', 'off'], ['limit', 'int', '10']]) {
      expect((await admin.put(`/flags/${flag}`, { title: flag, domain, default: dflt, comment: `document ${flag}` })).status).toBe(200);
    }
    await edit(RULES, 'initial rules');
    dir = mkdtempSync(join(tmpdir(), 'runway-sdk-'));
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await OpenFeature.close();
    await sut?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('evaluates in-process exactly as the service does, for many contexts', async () => {
    const client = await start();
    for (let i = 0; i < 200; i++) {
      const context = { targetingKey: `user-${i}`, teams: i % 7 === 0 ? ['qa'] : [], server: i % 2 ? 'edge' : 'lpnet', user: i % 11 === 0 ? 'bulk' : `u${i}` };
      const server = (await admin.post('/evaluate', { context })).body.results as { flag: string; value: string }[];
      const local = Object.fromEntries(['new-ui', 'motd', 'limit', 'legacy-switch'].map((f) => [f, client.value(f, context)]));
      expect(local).toEqual(Object.fromEntries(server.map((r) => [r.flag, r.value])));
    }
  });

  it('applies a change pushed over NATS within milliseconds (polling is a minute here)', async () => {
    const client = await start({ pollIntervalMs: 60_000 });
    const changes: number[] = [];
    client.onChange((c) => changes.push(c.version));
    await new Promise((r) => setTimeout(r, 200)); // let the NATS subscription settle
    const sent = Date.now();
    const version = await edit(`${RULES}\nmotd team:qa 20 Hello QA`, 'greet QA');
    await eventually(async () => client.version === version, { what: 'client on the new version', intervalMs: 2 });
    const took = Date.now() - sent;
    expect(client.value('motd', { teams: ['qa'] })).toBe('Hello QA');
    expect(changes).toEqual([version]);
    expect(took).toBeLessThan(1000);
  });

  it('ends on the last version after a burst of edits, without waiting for a poll', async () => {
    const client = await start({ pollIntervalMs: 60_000 });
    await new Promise((r) => setTimeout(r, 200));
    let last = 0;
    for (let i = 0; i < 15; i++) last = await edit(`${RULES}\nmotd user:burst-${i} 40 burst ${i}`, `burst ${i}`);
    await eventually(async () => client.version === last, { what: 'client on the last of the burst', timeoutMs: 3000 });
    expect(client.value('motd', { user: 'burst-14' })).toBe('burst 14');
  });

  it('polls when NATS cannot be reached, and serves the last good snapshot while the service is down', async () => {
    const cacheFile = join(dir, 'flags.json');
    const client = await start({ natsUrl: 'nats://127.0.0.1:1', fallbackPollMs: 100, cacheFile });
    const version = await edit(`${RULES}\nmotd user:ann 30 Hi Ann`, 'greet ann');
    await eventually(async () => client.version === version, { what: 'polled change applied' });
    expect(client.value('motd', { user: 'ann' })).toBe('Hi Ann');

    await sut.svc.close();
    await eventually(async () => client.stale, { what: 'client notices the service is down' });
    expect(client.value('motd', { user: 'ann' })).toBe('Hi Ann');
    // A new application instance starting now comes up from the cache file.
    const cold = await start({ natsUrl: undefined, cacheFile });
    expect(cold.stale).toBe(true);
    expect(cold.value('motd', { user: 'ann' })).toBe('Hi Ann');

    sut.svc = await startService(flags, serviceTestEnv(sut.db, sut.namespace, { PORT: String(port), FLAGS_USAGE_FLUSH_MS: '100' }));
    admin = sut.admin = apiClient(sut.svc.url, TEST_ADMIN_TOKEN);
    await eventually(async () => !client.stale, { what: 'client back in touch', timeoutMs: 5000 });
    const later = await edit(`${RULES}\nmotd user:ann 30 Welcome back Ann`, 'after the outage');
    await eventually(async () => client.version === later, { what: 'change after the outage applied' });
  });

  it('reports usage and undocumented flags and scopes, in batches', async () => {
    const client = await start();
    for (let i = 0; i < 500; i++) client.value('motd', { targetingKey: `k${i}` });
    client.value('never-defined', {});
    await client.flush();
    const undocumented = await eventually(async () => {
      const u = (await admin.get('/undocumented')).body;
      return u.flags.some((f: { name: string }) => f.name === 'never-defined') ? u : null;
    }, { what: 'sdk sightings stored' });
    expect(undocumented.flags.find((f: { name: string }) => f.name === 'never-defined').source).toBe('sdk');
    const motd = await eventually(async () => {
      const f = (await admin.get('/flags/motd')).body;
      return f.evaluations >= 500 ? f : null;
    }, { what: 'sdk evaluations counted' });
    expect(motd.lastEvaluatedAt).not.toBeNull();
  });

  it('serves applications through the OpenFeature API with the Runway provider', async () => {
    const client = await start();
    const provider = new RunwayProvider(client);
    await OpenFeature.setProviderAndWait('runway', provider);
    const of = OpenFeature.getClient('runway');
    expect(await of.getBooleanValue('new-ui', false, { targetingKey: 'x', teams: ['qa'] })).toBe(true);
    const details = await of.getBooleanDetails('new-ui', true, { targetingKey: 'someone', teams: [] });
    expect(['SPLIT', 'DEFAULT']).toContain(details.reason);
    expect(await of.getNumberValue('limit', 0, { user: 'bulk' })).toBe(1000);
    expect(await of.getStringValue('motd', '', { server: 'edge' })).toBe('Hello edge');
    expect(await of.getBooleanValue('legacy-switch', false, {})).toBe(true); // undocumented "on" read as a boolean

    const missing = await of.getBooleanDetails('no-such-flag', true, {});
    expect(missing).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND });
    const wrongType = await of.getNumberDetails('new-ui', 7, {});
    expect(wrongType).toMatchObject({ value: 7, errorCode: ErrorCode.TYPE_MISMATCH });

    const changed = new Promise<string[]>((resolve) => of.addHandler(ProviderEvents.ConfigurationChanged, (e) => resolve(e?.flagsChanged ?? [])));
    await edit(`${RULES}\nlimit team:ops 20 50`, 'ops limit');
    expect(await changed).toEqual(['limit', 'motd']);
  });

  it('serves OFREP to the real OpenFeature OFREP provider, with ETags on the bulk endpoint', async () => {
    await OpenFeature.setProviderAndWait('ofrep', new OFREPProvider({ baseUrl: sut.svc.url, headers: [['Authorization', `Bearer ${sdkToken}`]] }));
    const of = OpenFeature.getClient('ofrep');
    expect(await of.getBooleanValue('new-ui', false, { targetingKey: 'x', teams: ['qa'] })).toBe(true);
    expect(await of.getNumberValue('limit', 0, { targetingKey: 'x', user: 'bulk' })).toBe(1000);
    const motd = await of.getStringDetails('motd', '', { targetingKey: 'x', server: 'edge' });
    expect(motd).toMatchObject({ value: 'Hello edge', reason: 'TARGETING_MATCH', variant: 'server.edge' });
    const missing = await of.getBooleanDetails('no-such-flag', true, { targetingKey: 'x' });
    expect(missing).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND });

    const sdk = apiClient(sut.svc.url, sdkToken);
    const bulk = await sdk.post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'x', teams: ['qa'] } });
    expect(bulk.status).toBe(200);
    expect(bulk.body.flags.find((f: { key: string }) => f.key === 'new-ui')).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    const etag = bulk.headers.get('etag')!;
    const again = await sdk.raw('POST', '/ofrep/v1/evaluate/flags', JSON.stringify({ context: { targetingKey: 'x', teams: ['qa'] } }), { 'if-none-match': etag });
    expect(again.status).toBe(304);
    const other = await sdk.raw('POST', '/ofrep/v1/evaluate/flags', JSON.stringify({ context: { targetingKey: 'y' } }), { 'if-none-match': etag });
    expect(other.status).toBe(200);

    const keyMissing = await sdk.post('/ofrep/v1/evaluate/flags/new-ui', { context: {} });
    expect(keyMissing.status).toBe(200); // the documented default answers; the split was simply not taken
    const badContext = await sdk.post('/ofrep/v1/evaluate/flags/new-ui', { context: { teams: 5 } });
    expect(badContext).toMatchObject({ status: 400, body: { key: 'new-ui', errorCode: 'INVALID_CONTEXT' } });
  });
});
