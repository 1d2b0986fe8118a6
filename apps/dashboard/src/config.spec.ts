import { loadConfig } from './config';

describe('loadConfig', () => {
  it('defaults to each service on its usual local port and the dashboard on 3100', () => {
    const c = loadConfig({}, '/public');
    expect(c.port).toBe(3100);
    expect(c.serviceUrls).toEqual({
      'qa-gate': 'http://127.0.0.1:3101', promotion: 'http://127.0.0.1:3102', rollout: 'http://127.0.0.1:3103', flags: 'http://127.0.0.1:3104',
      trail: 'http://127.0.0.1:3105',
    });
    expect(c.natsServers).toEqual(['nats://127.0.0.1:4222']);
    expect(c.namespace).toBe('');
    expect(c.secureCookie).toBe(false);
  });

  it('reads the environment', () => {
    const c = loadConfig(
      { DASHBOARD_PORT: '8080', DASHBOARD_QA_GATE_URL: 'https://qa.example.com/', DASHBOARD_TRAIL_URL: 'http://trail:3105', NATS_URL: 'nats://a:4222, nats://b:4222', RUNWAY_NAMESPACE: 'staging', DASHBOARD_SECURE_COOKIE: 'true' },
      '/public',
    );
    expect(c.port).toBe(8080);
    expect(c.serviceUrls['qa-gate']).toBe('https://qa.example.com');
    expect(c.serviceUrls.trail).toBe('http://trail:3105');
    expect(c.natsServers).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(c.namespace).toBe('staging');
    expect(c.secureCookie).toBe(true);
  });

  it('refuses bad values, naming each key', () => {
    let message = '';
    try {
      loadConfig({ DASHBOARD_PORT: 'x', DASHBOARD_ROLLOUT_URL: 'ftp://r', RUNWAY_NAMESPACE: 'a.b' }, '/p');
    } catch (e) {
      message = (e as Error).message;
    }
    for (const key of ['DASHBOARD_PORT', 'DASHBOARD_ROLLOUT_URL', 'RUNWAY_NAMESPACE']) expect(message).toContain(`${key}: `);
    expect(message).not.toContain('DASHBOARD_QA_GATE_URL');
  });
});
