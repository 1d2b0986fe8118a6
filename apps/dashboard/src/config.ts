/**
 * The dashboard's settings, from the environment. Each service URL defaults to the service's
 * usual port on this host; a bad value stops the start with its name.
 */
export const SERVICES = ['qa-gate', 'promotion', 'rollout', 'flags', 'trail'] as const;
export type ServiceName = (typeof SERVICES)[number];

const DEFAULT_PORTS: Record<ServiceName, number> = { 'qa-gate': 3101, promotion: 3102, rollout: 3103, flags: 3104, trail: 3105 };

export interface DashboardConfig {
  port: number;
  host: string;
  serviceUrls: Record<ServiceName, string>;
  natsServers: string[];
  natsAuth: { user?: string; pass?: string; token?: string };
  namespace: string;
  /** A session ends after this long without a request. */
  sessionIdleMs: number;
  /** Adds `Secure` to the session cookie: set it when the dashboard is served over HTTPS. */
  secureCookie: boolean;
  publicDir: string;
  logLevel: string;
}

function envKey(service: ServiceName): string {
  return `DASHBOARD_${service.toUpperCase().replace(/-/g, '_')}_URL`;
}

export function loadConfig(env: NodeJS.ProcessEnv, publicDir: string): DashboardConfig {
  const problems: string[] = [];
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`${key}: must be an integer from ${min} to ${max}`);
    return n;
  };
  const url = (key: string, fallback: string): string => {
    const raw = env[key] || fallback;
    try {
      const u = new URL(raw);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${key}: must be an http(s) URL`);
      return fallback;
    }
  };
  const serviceUrls = Object.fromEntries(SERVICES.map((s) => [s, url(envKey(s), `http://127.0.0.1:${DEFAULT_PORTS[s]}`)])) as Record<ServiceName, string>;
  const namespace = env.RUNWAY_NAMESPACE ?? '';
  if (namespace && !/^[a-z0-9_-]+$/i.test(namespace)) problems.push('RUNWAY_NAMESPACE: may hold only letters, digits, "_" and "-"');
  const config: DashboardConfig = {
    port: int('DASHBOARD_PORT', 3100, 0, 65535),
    host: env.DASHBOARD_HOST || '127.0.0.1',
    serviceUrls,
    natsServers: (env.NATS_URL || 'nats://127.0.0.1:4222').split(',').map((s) => s.trim()).filter(Boolean),
    natsAuth: { user: env.NATS_USER || undefined, pass: env.NATS_PASSWORD || undefined, token: env.NATS_TOKEN || undefined },
    namespace,
    sessionIdleMs: int('DASHBOARD_SESSION_IDLE_MINUTES', 720, 1, 60 * 24 * 30) * 60_000,
    secureCookie: env.DASHBOARD_SECURE_COOKIE === 'true',
    publicDir,
    logLevel: env.LOG_LEVEL || 'info',
  };
  if (problems.length) throw new Error(`the dashboard's configuration is invalid:\n  ${problems.join('\n  ')}`);
  return config;
}
