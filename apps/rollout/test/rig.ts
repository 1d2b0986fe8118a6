/**
 * A rollout service with real agents around it, for rollout's integration tests. Real:
 * Postgres (own database), NATS JetStream (own namespace), the rollout service in-process
 * with its HTTP stack, consumers, outbox relay and scheduler tick, and real agent processes
 * (from apps/rollout-agent/dist; run `npm run build` first), each with its own host name,
 * state directory and host-bound token. Rollouts are driven by `promoted` events on NATS.
 *
 * Each agent's deploy command appends "<sha> <ns since epoch> start|end" to a file of its own,
 * so tests can check which servers ran what, in which order, and when.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type CloudEvent, type DeployKind, Events, type PromotedV1, Subjects } from '@runway/contracts';
import { type RunningService, startService } from '@runway/platform';
import {
  apiClient, type ApiClient, createIsolatedDatabase, dropNamespace, eventually, type IsolatedDatabase, serviceTestEnv,
  TEST_ADMIN_TOKEN, uniqueNamespace,
} from '@runway/testing';
// tools/stack.cjs is the repository's process launcher (not an Nx project); the e2e tests use it too.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { issueToken, type ProcessHandle, startAgent } from '../../../tools/stack.cjs';
import { rollout } from '../src/definition';
import { Clock } from '../src/rollouts/clock';

export const NATS_URL = () => process.env.NATS_URL!;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Deploy {
  id: string;
  rolloutId: string;
  host: string;
  batch: number;
  wave: string | null;
  revision: string;
  previousRevision: string | null;
  status: string;
  outputTail: string | null;
}

export interface Rollout {
  id: string;
  sourceId: string;
  cause: 'promoted' | 'qa-tip' | 'manual' | 'catch-up';
  track: 'promoted' | 'qa-tip' | 'manual';
  hosts: string[] | null;
  toSha: string;
  kind: DeployKind;
  status: string;
  batches: number;
  currentBatch: number;
  scheduledFor: string | null;
  failure: string | null;
  skipped: { host: string; reason: string }[];
  /** The revisions it brings, its own and those of the rollouts it took over. */
  revisions: string[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  deploys: Deploy[];
}

export interface Line {
  sha: string;
  ns: bigint;
  phase: 'start' | 'end';
}

export interface AgentOptions {
  environment?: string;
  wave?: string;
  /** Shell run between the "start" and "end" lines of the default deploy command. */
  work?: string;
  deployCommand?: string;
  /** Written into the agent's state before it starts: what it already runs. */
  runningRevision?: string;
  extraEnv?: Record<string, string>;
}

/** One rollout service, its database and namespace, and the agents around it. */
export class Rig {
  db!: IsolatedDatabase;
  ns!: string;
  svc!: RunningService;
  nc!: NatsConnection;
  admin!: ApiClient;
  /** Promotions get increasing revnos, as promotion gives them. */
  private lastRevno = 0;
  subjects!: Subjects;
  dir!: string;
  readonly agents = new Map<string, ProcessHandle>();
  readonly agentEnv = new Map<string, Record<string, string>>();
  readonly tokens = new Map<string, string>();

  /** `extraEnv` may be computed from the rig's temp directory (for files a command writes). */
  async start(extraEnv: Record<string, string> | ((dir: string) => Record<string, string>) = {}): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'runway-rollout-'));
    if (typeof extraEnv === 'function') extraEnv = extraEnv(this.dir);
    this.db = await createIsolatedDatabase();
    this.ns = uniqueNamespace();
    this.subjects = new Subjects(this.ns);
    this.svc = await startService(
      rollout,
      serviceTestEnv(this.db, this.ns, {
        ROLLOUT_TICK_MS: '100',
        AGENT_HEARTBEAT_TIMEOUT_SECONDS: String(7 * 24 * 3600),
        ROLLOUT_WAVES: 'canary,lpnet',
        EVENT_ACK_WAIT_MS: '5000',
        ...extraEnv,
      }),
    );
    this.nc = await connect({ servers: NATS_URL() });
    this.admin = apiClient(this.svc.url, TEST_ADMIN_TOKEN);
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop().catch(() => undefined)));
    await this.nc?.close().catch(() => undefined);
    await this.svc?.close();
    await dropNamespace(NATS_URL(), this.ns).catch(() => undefined);
    await this.db?.drop().catch(() => undefined);
    if (this.dir && !process.env.KEEP_TEST_DIRS) rmSync(this.dir, { recursive: true, force: true });
  }

  get clock(): Clock {
    return this.svc.app.get(Clock);
  }

  file(host: string): string {
    return join(this.dir, `deployed-${host}.log`);
  }

  stateDir(host: string): string {
    return join(this.dir, 'agents', host);
  }

  async addAgent(host: string, opts: AgentOptions = {}): Promise<ProcessHandle> {
    if (!this.tokens.has(host)) {
      this.tokens.set(host, await issueToken(this.svc.url, TEST_ADMIN_TOKEN, { name: `agent ${host}`, roles: ['agent'], host }));
    }
    if (opts.runningRevision) {
      mkdirSync(this.stateDir(host), { recursive: true });
      writeFileSync(join(this.stateDir(host), 'state.json'), JSON.stringify({ runningRevision: opts.runningRevision, deploys: {} }));
    }
    const f = this.file(host);
    const env: Record<string, string> = {
      NATS_URL: NATS_URL(), RUNWAY_NAMESPACE: this.ns, RUNWAY_ROLLOUT_URL: this.svc.url, RUNWAY_AGENT_TOKEN: this.tokens.get(host)!,
      AGENT_HOST: host, AGENT_ENVIRONMENT: opts.environment ?? 'lpnet', AGENT_STATE_DIR: this.stateDir(host), AGENT_HEARTBEAT_MS: '500',
      AGENT_ACK_WAIT_MS: '3000',
      LOG_LEVEL: 'info',
      AGENT_DEPLOY_COMMAND:
        opts.deployCommand ??
        `echo "$RUNWAY_REVISION $(date +%s%N) start" >> "${f}"; ${opts.work ?? 'sleep 0.3'}; echo "$RUNWAY_REVISION $(date +%s%N) end" >> "${f}"`,
      ...(opts.wave ? { AGENT_WAVE: opts.wave } : {}),
      ...opts.extraEnv,
    };
    this.agentEnv.set(host, env);
    return this.launch(host, env);
  }

  /** Starts the agent of `host` again, same state directory and token; `without` drops env keys. */
  async restartAgent(host: string, without: string[] = []): Promise<ProcessHandle> {
    await this.agents.get(host)?.stop();
    const env = { ...this.agentEnv.get(host)! };
    for (const k of without) delete env[k];
    return this.launch(host, env);
  }

  private async launch(host: string, env: Record<string, string>): Promise<ProcessHandle> {
    const h = await startAgent(env, { logDir: join(this.dir, 'logs') });
    this.agents.set(host, h);
    return h;
  }

  lines(host: string): Line[] {
    if (!existsSync(this.file(host))) return [];
    return readFileSync(this.file(host), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [sha, ns, phase] = l.split(' ');
        return { sha, ns: BigInt(ns), phase: phase as Line['phase'] };
      });
  }

  linesFor(host: string, sha: string): Line[] {
    return this.lines(host).filter((l) => l.sha === sha);
  }

  /** Publishes `promoted` for `sha` the way promotion does; returns the promotion id. */
  /** Promotes `sha` as revno `revno` (promotions only move forward: a lower revno than one planned deploys nothing). */
  promoteAt(sha: string, revno: number): Promise<string> {
    return this.promote(sha, 'no-downtime', [{ sha, db: false }], revno);
  }

  async promote(
    sha: string, deployKind: DeployKind = 'no-downtime', range: { sha: string; db: boolean }[] = [{ sha, db: deployKind === 'downtime' }],
    revno = (this.lastRevno += 1 + Math.floor(Math.random() * 10)),
  ): Promise<string> {
    this.lastRevno = Math.max(this.lastRevno, revno);
    const promotionId = randomUUID();
    const data: PromotedV1 = {
      promotionId, branch: 'production-stable', toSha: sha, toRevno: revno,
      revisions: range, containsDbRevision: deployKind === 'downtime', deployKind, cause: 'qa-passed',
      pendingMergeBack: [],
    };
    await this.publish(Events.Promoted.type, 'production-stable', data, 'runway/promotion');
    return promotionId;
  }

  async publish(type: string, key: string, data: object, source: string): Promise<{ id: string; seq: number }> {
    const event: CloudEvent<object> = {
      specversion: '1.0', id: randomUUID(), source, type, subject: key, time: new Date().toISOString(), datacontenttype: 'application/json',
      correlationid: randomUUID(), data,
    };
    const ack = await jetstream(this.nc).publish(this.subjects.event(type, key), JSON.stringify(event), { msgID: event.id });
    return { id: event.id, seq: ack.seq };
  }

  /** The rollout planned for a promotion, once it exists. */
  async rolloutOf(promotionId: string): Promise<Rollout> {
    const listed = await eventually(
      async () => ((await this.admin.get('/rollouts?limit=500')).body as Rollout[]).find((r) => r.sourceId === promotionId),
      { what: `rollout for promotion ${promotionId}` },
    );
    return this.get(listed.id);
  }

  async get(id: string): Promise<Rollout> {
    const res = await this.admin.get(`/rollouts/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  async waitFor(id: string, pred: (r: Rollout) => boolean, what: string, timeoutMs = 20_000): Promise<Rollout> {
    let last: Rollout | undefined;
    try {
      return await eventually(async () => {
        last = await this.get(id);
        return pred(last) ? last : null;
      }, { what, timeoutMs, intervalMs: 50 });
    } catch (e) {
      throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(last, null, 1)}`);
    }
  }

  waitForStatus(id: string, status: string, timeoutMs?: number): Promise<Rollout> {
    return this.waitFor(id, (r) => r.status === status, `rollout ${status}`, timeoutMs);
  }

  async servers(): Promise<Record<string, { runningRevision: string | null; reachable: boolean; hold: unknown; wave: string | null }>> {
    const res = await this.admin.get('/servers');
    expect(res.status).toBe(200);
    return Object.fromEntries((res.body as { host: string }[]).map((s) => [s.host, s])) as never;
  }
}

export function deployOf(r: Rollout, host: string): Deploy {
  const d = r.deploys.find((x) => x.host === host);
  if (!d) throw new Error(`rollout ${r.id} has no deploy for ${host}: ${JSON.stringify(r.deploys)}`);
  return d;
}

export function span(lines: Line[]): { start: bigint; end: bigint } {
  const start = lines.find((l) => l.phase === 'start');
  const end = lines.find((l) => l.phase === 'end');
  if (!start || !end) throw new Error(`expected a start and an end line, got ${JSON.stringify(lines, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  return { start: start.ns, end: end.ns };
}

export const maxOf = (xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));
export const minOf = (xs: bigint[]) => xs.reduce((a, b) => (a < b ? a : b));

/** Today-or-tomorrow's date at `hh:mm` UTC: a day near real time, so real heartbeats stay fresh. */
export function tomorrowAt(hh: number, mm: number, plusDays = 0): Date {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1 + plusDays, hh, mm));
}
