import 'reflect-metadata';
import { CommonEnv, InvalidEnvironmentError, loadEnv } from './env';

const minimal = { DATABASE_URL: 'postgres://runway@localhost/runway', PORT: '3000' };

describe('loadEnv(CommonEnv)', () => {
  it('applies the defaults', () => {
    const env = loadEnv(CommonEnv, minimal);
    expect(env).toBeInstanceOf(CommonEnv);
    expect(env).toMatchObject({
      DATABASE_URL: minimal.DATABASE_URL, NATS_URL: 'nats://127.0.0.1:4222', RUNWAY_NAMESPACE: '', HOST: '127.0.0.1', LOG_LEVEL: 'info',
      RUNWAY_PUBLIC_READS: false, NATS_STREAM_STORAGE: 'file', NATS_STREAM_REPLICAS: 1, EVENT_ACK_WAIT_MS: 30_000, DB_POOL_SIZE: 10,
    });
    expect(env.RUNWAY_ADMIN_TOKEN).toBeUndefined();
  });

  it('parses numbers from strings, and treats an empty value as unset', () => {
    const env = loadEnv(CommonEnv, { ...minimal, PORT: '8080', DB_POOL_SIZE: '25', EVENT_MAX_DELIVERIES: '', OUTBOX_POLL_MS: '50' });
    expect(env.PORT).toBe(8080);
    expect(env.DB_POOL_SIZE).toBe(25);
    expect(env.OUTBOX_POLL_MS).toBe(50);
    expect(env.EVENT_MAX_DELIVERIES).toBe(20);
  });

  it('rate limits default to generous, take 0 to turn off, and refuse negatives', () => {
    expect(loadEnv(CommonEnv, minimal)).toMatchObject({ RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 120, RATE_LIMIT_PER_MINUTE: 60_000, HTTP_BODY_LIMIT_BYTES: 1_048_576 });
    expect(loadEnv(CommonEnv, { ...minimal, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0', RATE_LIMIT_PER_MINUTE: '0' })).toMatchObject({
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 0, RATE_LIMIT_PER_MINUTE: 0,
    });
    expect(() => loadEnv(CommonEnv, { ...minimal, RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });

  it('names every bad key in one InvalidEnvironmentError', () => {
    let error: unknown;
    try {
      loadEnv(CommonEnv, { DATABASE_URL: 'mysql://db/runway', PORT: 'eighty', RUNWAY_ADMIN_TOKEN: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    const { message, problems } = error as InvalidEnvironmentError;
    for (const key of ['DATABASE_URL', 'PORT', 'RUNWAY_ADMIN_TOKEN']) expect(message).toContain(`${key}: `);
    expect(new Set(problems.map((p) => p.split(':')[0]))).toEqual(new Set(['DATABASE_URL', 'PORT', 'RUNWAY_ADMIN_TOKEN']));
  });

  it('refuses a missing PORT and an out-of-range number', () => {
    expect(() => loadEnv(CommonEnv, { DATABASE_URL: minimal.DATABASE_URL })).toThrow(/PORT: /);
    expect(() => loadEnv(CommonEnv, { ...minimal, DB_POOL_SIZE: '500' })).toThrow(/DB_POOL_SIZE: /);
  });

  it.each([
    ['true', true], ['1', true], ['false', false], ['0', false], ['', false], [undefined, false],
  ])('reads RUNWAY_PUBLIC_READS=%j as %s', (value, expected) => {
    expect(loadEnv(CommonEnv, { ...minimal, RUNWAY_PUBLIC_READS: value }).RUNWAY_PUBLIC_READS).toBe(expected);
  });
});
