/**
 * A whole Runway as real processes for one test file: the services on free ports, each its own
 * Node process, against the file's own database and NATS namespace, plus agents. The trail
 * starts only when `envFor` names it: most files never read it, and CI time is counted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIsolatedDatabase, dropNamespace, freePort, type IsolatedDatabase, TEST_ADMIN_TOKEN, uniqueNamespace } from '@runway/testing';
import { issueToken, type ProcessHandle, type ServiceName, SERVICES, startAgent, startService } from '../../tools/stack.cjs';

export interface E2eRunway {
  db: IsolatedDatabase;
  namespace: string;
  dir: string;
  env: Record<string, string>;
  urls: Record<ServiceName, string>;
  services: Record<ServiceName, ProcessHandle>;
  agents: ProcessHandle[];
  restart(name: ServiceName, extraEnv?: Record<string, string>): Promise<ProcessHandle>;
  addAgent(host: string, opts?: { environment?: string; deployCommand?: string; extraEnv?: Record<string, string> }): Promise<ProcessHandle>;
  deployedLines(host: string): string[];
  stop(): Promise<void>;
}

export async function startRunway(envFor: Partial<Record<ServiceName, Record<string, string>>> = {}): Promise<E2eRunway> {
  const db = await createIsolatedDatabase();
  const namespace = uniqueNamespace();
  const dir = mkdtempSync(join(tmpdir(), 'runway-e2e-'));
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    NATS_URL: process.env.NATS_URL!,
    RUNWAY_NAMESPACE: namespace,
    RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: 'info',
    OUTBOX_POLL_MS: '250',
    EVENT_ACK_WAIT_MS: '2000',
  };
  const ports = Object.fromEntries(await Promise.all(Object.keys(SERVICES).map(async (n) => [n, await freePort()]))) as Record<ServiceName, number>;
  const logDir = join(dir, 'logs');
  const services = {} as Record<ServiceName, ProcessHandle>;
  const urls = {} as Record<ServiceName, string>;
  const start = async (n: ServiceName, extra: Record<string, string> = {}) => {
    const h = await startService(n, { ...env, ...(envFor[n] ?? {}), ...extra }, { logDir, port: ports[n] });
    services[n] = h;
    urls[n] = h.url!;
    return h;
  };
  try {
    await Promise.all((Object.keys(SERVICES) as ServiceName[]).filter((n) => n !== 'trail' || 'trail' in envFor).map((n) => start(n)));
  } catch (e) {
    await Promise.all(Object.values(services).map((s) => s.kill()));
    throw e;
  }
  const agents: ProcessHandle[] = [];
  const runway: E2eRunway = {
    db, namespace, dir, env, urls, services, agents,
    restart: async (n, extra) => {
      await services[n].stop();
      return start(n, extra);
    },
    addAgent: async (host, opts = {}) => {
      const token = await issueToken(urls.rollout, TEST_ADMIN_TOKEN, { name: `agent ${host}`, roles: ['agent'], host });
      const h = await startAgent(
        {
          NATS_URL: env.NATS_URL, RUNWAY_NAMESPACE: namespace, RUNWAY_ROLLOUT_URL: urls.rollout, RUNWAY_AGENT_TOKEN: token,
          AGENT_HOST: host, AGENT_ENVIRONMENT: opts.environment ?? 'lpnet', AGENT_STATE_DIR: join(dir, 'agents', host),
          AGENT_HEARTBEAT_MS: '1000', LOG_LEVEL: 'info',
          AGENT_DEPLOY_COMMAND: opts.deployCommand ?? `echo "$RUNWAY_REVISION $RUNWAY_DEPLOY_KIND $RUNWAY_DEPLOY_ID" >> "${join(dir, `deployed-${host}.log`)}"`,
          ...opts.extraEnv,
        },
        { logDir },
      );
      agents.push(h);
      return h;
    },
    deployedLines: (host) => {
      try {
        return readFileSync(join(dir, `deployed-${host}.log`), 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    stop: async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await Promise.all(Object.values(services).map((s) => s.stop()));
      await dropNamespace(env.NATS_URL, namespace).catch(() => undefined);
      await db.drop().catch(() => undefined);
      // Logs and agent state go with the run; KEEP_TEST_DIRS=1 keeps them for a look.
      if (!process.env.KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
    },
  };
  return runway;
}
