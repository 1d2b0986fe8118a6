/**
 * Request limits, on one service in-process with low limits: the body size limit (413), the
 * per-token request limit (429, fast routes and probes outside it) and the failed-authentication
 * limit per address (429 for that address, but for tokens that worked before and for probes).
 */
import { type RunningService, startService } from '@runway/platform';
import { apiClient, type ServiceUnderTest, startServiceUnderTest } from '@runway/testing';
import { flags } from '../apps/flags/src/definition';

describe('request limits', () => {
  let sut: ServiceUnderTest<RunningService>;

  beforeAll(async () => {
    sut = await startServiceUnderTest(startService, flags, {
      RATE_LIMIT_PER_MINUTE: '20',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '5',
      HTTP_BODY_LIMIT_BYTES: '4096',
    });
  });
  afterAll(async () => {
    await sut?.close();
  });

  const expectRateLimited = (res: { status: number; body: { statusCode?: number; error?: string; message?: string }; headers: Headers }) => {
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ statusCode: 429, error: 'RATE_LIMITED', message: expect.stringMatching(/retry in \d+ s/) });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  };

  it('answers a body over HTTP_BODY_LIMIT_BYTES with 413, on Nest routes and fast routes alike', async () => {
    const editor = await sut.clientWith(['flag-editor', 'sdk']);
    const big = JSON.stringify({ context: { targetingKey: 'x'.repeat(5000) } });
    for (const path of ['/evaluate', '/ofrep/v1/evaluate/flags']) {
      const res = await editor.raw('POST', path, big);
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ statusCode: 413, error: 'PAYLOAD_TOO_LARGE' });
    }
  });

  it('limits requests per token, leaving other tokens, fast routes and probes alone', async () => {
    const [busy, other] = [await sut.clientWith(['viewer', 'sdk'], 'busy'), await sut.clientWith(['viewer'], 'other')];
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await busy.get('/flags')).status);
    expect(statuses).toEqual(Array(20).fill(200));
    expectRateLimited(await busy.get('/flags'));
    expect((await other.get('/flags')).status).toBe(200);
    // OFREP and /snapshot serve applications at thousands a second from one token.
    for (let i = 0; i < 30; i++) expect((await busy.get('/snapshot')).status).toBe(200);
    expect((await busy.post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u1' } })).status).toBe(200);
    expect((await apiClient(sut.svc.url).get('/health/live')).status).toBe(200);
  });

  it('answers an address 429 once it has failed authentication too often, but for proven tokens and probes', async () => {
    const intruder = apiClient(sut.svc.url, 'guessed-token-0123456789abcdef');
    const admin = apiClient(sut.svc.url, 'test-admin-token-0123456789abcdef');
    expect((await admin.get('/tokens/me')).status).toBe(200);
    // Five failures are within the limit, on Nest routes and fast routes alike; the sixth goes over it.
    const failures = [await intruder.get('/flags'), await intruder.get('/snapshot'), await apiClient(sut.svc.url).get('/flags')];
    for (let i = 0; i < 3; i++) failures.push(await intruder.post('/ofrep/v1/evaluate/flags', {}));
    expect(failures.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expectRateLimited(await intruder.get('/flags'));
    expectRateLimited(await intruder.post('/ofrep/v1/evaluate/flags', {}));
    // A token that worked before the block still works; one never seen here (a right guess) does not.
    expect((await admin.get('/tokens/me')).status).toBe(200);
    const issued = await admin.post('/tokens', { name: 'fresh', roles: ['viewer'] });
    expect(issued.status).toBe(201);
    expectRateLimited(await apiClient(sut.svc.url, issued.body.token).get('/flags'));
    expect((await intruder.get('/health/ready')).status).toBe(200);
    expect((await intruder.get('/metrics')).status).toBe(200);
  });
});
