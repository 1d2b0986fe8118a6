/**
 * Where the services are and which token to send. Precedence, highest first: command-line
 * options, the environment, the config file, the defaults. A service's own URL
 * (`RUNWAY_QA_GATE_URL`, ...) wins over the one derived from `RUNWAY_URL`, which takes
 * RUNWAY_URL's scheme and host with the service's standard port.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, ExitCode } from './exit-codes';

export const SERVICE_PORTS = { 'qa-gate': 3101, promotion: 3102, rollout: 3103, flags: 3104, trail: 3105 } as const;
export type ServiceName = keyof typeof SERVICE_PORTS;
export const SERVICE_NAMES = Object.keys(SERVICE_PORTS) as ServiceName[];

export const SERVICE_URL_ENV: Record<ServiceName, string> = {
  'qa-gate': 'RUNWAY_QA_GATE_URL',
  promotion: 'RUNWAY_PROMOTION_URL',
  rollout: 'RUNWAY_ROLLOUT_URL',
  flags: 'RUNWAY_FLAGS_URL',
  trail: 'RUNWAY_TRAIL_URL',
};

export const DEFAULT_URL = 'http://127.0.0.1';

/** What `~/.config/runway/config.json` may hold. */
export interface ConfigFile {
  url?: string;
  token?: string;
  services?: Partial<Record<ServiceName, string>>;
}

export interface ResolvedConfig {
  urls: Record<ServiceName, string>;
  token: string | undefined;
  /** Where the token came from, for `runway config`; the token itself is never shown. */
  tokenSource: 'env RUNWAY_TOKEN' | 'config file' | 'none';
  configPath: string;
  configFound: boolean;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'runway', 'config.json');
}

/** The URL of a service on RUNWAY_URL's host: same scheme and host, the service's port. */
export function serviceUrlOn(base: string, port: number): string {
  const u = parseUrl(base, 'RUNWAY_URL');
  u.port = String(port);
  return u.origin;
}

function parseUrl(value: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new CliError(`${what}: not a URL: ${value}`, ExitCode.USAGE);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`${what}: must be an http or https URL: ${value}`, ExitCode.USAGE);
  return u;
}

/** A service URL as given, without a trailing slash (a path prefix is kept, for a reverse proxy). */
function normalise(value: string, what: string): string {
  const u = parseUrl(value, what);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

export function parseConfigFile(text: string, path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${path}: not valid JSON (${(e as Error).message})`, ExitCode.USAGE);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`${path}: must hold a JSON object`, ExitCode.USAGE);
  const c = parsed as Record<string, unknown>;
  const out: ConfigFile = {};
  if (c.url !== undefined) {
    if (typeof c.url !== 'string') throw new CliError(`${path}: url must be a string`, ExitCode.USAGE);
    out.url = c.url;
  }
  if (c.token !== undefined) {
    if (typeof c.token !== 'string') throw new CliError(`${path}: token must be a string`, ExitCode.USAGE);
    out.token = c.token;
  }
  if (c.services !== undefined) {
    if (!c.services || typeof c.services !== 'object') throw new CliError(`${path}: services must be an object`, ExitCode.USAGE);
    out.services = {};
    for (const [k, v] of Object.entries(c.services)) {
      if (!(k in SERVICE_PORTS)) throw new CliError(`${path}: services.${k}: unknown service (one of ${SERVICE_NAMES.join(', ')})`, ExitCode.USAGE);
      if (typeof v !== 'string') throw new CliError(`${path}: services.${k} must be a string`, ExitCode.USAGE);
      out.services[k as ServiceName] = v;
    }
  }
  return out;
}

/** Reads the config file; a missing default file is no error, a missing explicit one is. */
export function loadConfigFile(path: string, explicit: boolean): ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return undefined;
    throw new CliError(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ExitCode.USAGE);
  }
  return parseConfigFile(text, path);
}

export function resolveConfig(input: { url?: string; env: NodeJS.ProcessEnv; file: ConfigFile | undefined; configPath: string }): ResolvedConfig {
  const { env, file } = input;
  const base = input.url ?? (env.RUNWAY_URL || undefined) ?? file?.url ?? DEFAULT_URL;
  const urls = {} as Record<ServiceName, string>;
  for (const name of SERVICE_NAMES) {
    const own = input.url ? undefined : (env[SERVICE_URL_ENV[name]] || undefined) ?? file?.services?.[name];
    urls[name] = own ? normalise(own, input.url ? name : SERVICE_URL_ENV[name]) : serviceUrlOn(base, SERVICE_PORTS[name]);
  }
  const envToken = env.RUNWAY_TOKEN?.trim();
  const fileToken = file?.token?.trim();
  return {
    urls,
    token: envToken || fileToken || undefined,
    tokenSource: envToken ? 'env RUNWAY_TOKEN' : fileToken ? 'config file' : 'none',
    configPath: input.configPath,
    configFound: file !== undefined,
  };
}
