import { defaultConfigPath, parseConfigFile, resolveConfig, serviceUrlOn } from './config';
import { CliError, ExitCode } from './exit-codes';

describe('config', () => {
  const configPath = '/home/ada/.config/runway/config.json';

  it('puts every service on RUNWAY_URL\'s host at its standard port', () => {
    const c = resolveConfig({ env: { RUNWAY_URL: 'https://runway.example.com/' }, file: undefined, configPath });
    expect(c.urls).toEqual({
      'qa-gate': 'https://runway.example.com:3101', promotion: 'https://runway.example.com:3102',
      rollout: 'https://runway.example.com:3103', flags: 'https://runway.example.com:3104', trail: 'https://runway.example.com:3105',
    });
  });

  it('defaults to localhost with no URL anywhere', () => {
    expect(resolveConfig({ env: {}, file: undefined, configPath }).urls['qa-gate']).toBe('http://127.0.0.1:3101');
  });

  it('lets one service live elsewhere, from the environment or the file, the environment winning', () => {
    const c = resolveConfig({
      env: { RUNWAY_URL: 'http://runway.internal', RUNWAY_FLAGS_URL: 'https://flags.example.com/api/' },
      file: { url: 'http://ignored', services: { rollout: 'http://rollout.internal:8080', flags: 'http://file-flags' } },
      configPath,
    });
    expect(c.urls).toMatchObject({ 'qa-gate': 'http://runway.internal:3101', rollout: 'http://rollout.internal:8080', flags: 'https://flags.example.com/api' });
  });

  it('takes --url over everything, for every service', () => {
    const c = resolveConfig({ url: 'http://10.0.0.5', env: { RUNWAY_URL: 'http://a', RUNWAY_QA_GATE_URL: 'http://b:1' }, file: { services: { promotion: 'http://c' } }, configPath });
    expect(c.urls['qa-gate']).toBe('http://10.0.0.5:3101');
    expect(c.urls.promotion).toBe('http://10.0.0.5:3102');
  });

  it('takes the token from the environment before the file, and says where from', () => {
    expect(resolveConfig({ env: { RUNWAY_TOKEN: 'rwy_env' }, file: { token: 'rwy_file' }, configPath })).toMatchObject({ token: 'rwy_env', tokenSource: 'env RUNWAY_TOKEN' });
    expect(resolveConfig({ env: { RUNWAY_TOKEN: '' }, file: { token: 'rwy_file' }, configPath })).toMatchObject({ token: 'rwy_file', tokenSource: 'config file' });
    expect(resolveConfig({ env: {}, file: {}, configPath })).toMatchObject({ token: undefined, tokenSource: 'none' });
  });

  it('refuses a URL that is not http(s) as a usage error', () => {
    expect(() => resolveConfig({ env: { RUNWAY_URL: 'ftp://x' }, file: undefined, configPath })).toThrow(expect.objectContaining({ exitCode: ExitCode.USAGE }));
    expect(() => serviceUrlOn('not a url', 3101)).toThrow(CliError);
  });

  it('reads a config file and names what is wrong in it', () => {
    expect(parseConfigFile('{"url":"http://h","token":"t","services":{"qa-gate":"http://q"}}', 'f')).toEqual({ url: 'http://h', token: 't', services: { 'qa-gate': 'http://q' } });
    expect(() => parseConfigFile('{', 'f')).toThrow(/f: not valid JSON/);
    expect(() => parseConfigFile('{"services":{"deploy":"http://x"}}', 'f')).toThrow(/services.deploy: unknown service/);
    expect(() => parseConfigFile('{"token":42}', 'f')).toThrow(/token must be a string/);
  });

  it('finds the config file under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(defaultConfigPath({}, '/home/ada')).toBe('/home/ada/.config/runway/config.json');
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/xdg' }, '/home/ada')).toBe('/xdg/runway/config.json');
  });
});
