import { commandEnvironment, parseNames, runCommand } from './command';

describe('the environment a command sees', () => {
  const base = {
    PATH: '/usr/bin:/bin', HOME: '/srv/agent', LC_ALL: 'C.UTF-8', RUNWAY_AGENT_TOKEN: 'rwy_secret', NATS_PASSWORD: 'pw', NATS_TOKEN: 't',
    DATABASE_URL: 'postgres://runway:pw@db/runway', RUNWAY_ADMIN_TOKEN: 'admin-secret', HTTP_PROXY: 'http://proxy:3128', LP_CONFIG: 'production',
  };

  it('carries the variables named for it and a shell\'s basics, nothing else of the process', () => {
    expect(commandEnvironment({ RUNWAY_REVISION: 'abc1234' }, [], base)).toEqual({
      RUNWAY_REVISION: 'abc1234', PATH: '/usr/bin:/bin', HOME: '/srv/agent', LC_ALL: 'C.UTF-8',
    });
  });

  it('passes through the names an operator lists, but never a credential, even listed', () => {
    const env = commandEnvironment({}, ['HTTP_PROXY', 'LP_CONFIG', 'DATABASE_URL', 'NATS_PASSWORD'], base);
    expect(env).toMatchObject({ HTTP_PROXY: 'http://proxy:3128', LP_CONFIG: 'production' });
    expect(env).not.toHaveProperty('DATABASE_URL');
    expect(env).not.toHaveProperty('NATS_PASSWORD');
  });

  it('reads a list of names as an operator writes it', () => {
    expect(parseNames('HTTP_PROXY, LP_CONFIG  no-dashes 9BAD')).toEqual(['HTTP_PROXY', 'LP_CONFIG']);
    expect(parseNames(undefined)).toEqual([]);
  });

  it('hides the process\'s secrets from a real command too', async () => {
    process.env.RUNWAY_AGENT_TOKEN = 'rwy_should_not_leak';
    process.env.DATABASE_URL_FOR_TEST = 'x';
    try {
      const r = await runCommand('echo "[$RUNWAY_AGENT_TOKEN][$DATABASE_URL_FOR_TEST][$RUNWAY_REVISION]"', { RUNWAY_REVISION: 'abc1234' }, 5000);
      expect(r.tail.trim()).toBe('[][][abc1234]');
    } finally {
      delete process.env.RUNWAY_AGENT_TOKEN;
      delete process.env.DATABASE_URL_FOR_TEST;
    }
  });
});
