import { commandEnvironment, runCommand } from './command';

describe('the environment a deploy command sees', () => {
  it('carries the deploy variables but never the agent\'s credentials', async () => {
    const base = { PATH: process.env.PATH, RUNWAY_AGENT_TOKEN: 'rwy_secret', NATS_PASSWORD: 'pw', NATS_TOKEN: 't', HOME: '/tmp' };
    const env = commandEnvironment({ RUNWAY_REVISION: 'abc1234' }, base);
    expect(env).toMatchObject({ RUNWAY_REVISION: 'abc1234', HOME: '/tmp' });
    expect(env).not.toHaveProperty('RUNWAY_AGENT_TOKEN');
    expect(env).not.toHaveProperty('NATS_PASSWORD');
    expect(env).not.toHaveProperty('NATS_TOKEN');
  });

  it('hides the token from a real command too', async () => {
    process.env.RUNWAY_AGENT_TOKEN = 'rwy_should_not_leak';
    try {
      const r = await runCommand('echo "[$RUNWAY_AGENT_TOKEN][$RUNWAY_REVISION]"', { RUNWAY_REVISION: 'abc1234' }, 5000);
      expect(r.tail.trim()).toBe('[][abc1234]');
    } finally {
      delete process.env.RUNWAY_AGENT_TOKEN;
    }
  });
});
