/**
 * A fleet of simulated rollout agents, all in this process, for the fan-out benchmark. Each
 * agent does what apps/rollout-agent does, over the same wires, minus running a command:
 *
 *   - it has its own NATS connection, and its own agent token bound to its host (issued by
 *     rollout's POST /tokens with the admin token);
 *   - it registers over HTTP (POST /agents/register) and publishes one `agent-heartbeat` on the
 *     telemetry subject, so rollout counts it reachable;
 *   - it consumes `deploy-requested` for its host from its own durable pull consumer
 *     (EventConsumer, service `agent`, key = host, no DataSource: the same durable name and
 *     settings as the real agent);
 *   - on a request it publishes `deploy-reported` `started`, then `succeeded` (a no-op deploy),
 *     as valid CloudEvents with msgID `${deployId}:${status}`, each publish awaited (JetStream
 *     ack) before the next, as the agent does.
 *
 * What the agents see and send is recorded in the current Round (arrival of each host's
 * request, JetStream ack of each host's `succeeded`). A round also says where reports go: the
 * real deploy-reported subject (rollout consumes them), or a subject of the benchmark's own
 * (the floor, which rollout never sees).
 */
import { randomUUID } from 'node:crypto';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  type AgentHeartbeatV1, type CloudEvent, type DeployReportedV1, type DeployRequestedV1, type DeployStatus, type EventDefinition, Events,
  Subjects,
} from '@runway/contracts';
import { EventConsumer, type MessagingLogger } from '@runway/messaging';
import { runPool, sleep, TimeoutError, wallMs, withTimeout } from './lib';

export const BENCH_AGENT_VERSION = '0.1.0-bench';

export interface FleetOptions {
  natsUrl: string;
  namespace: string;
  rolloutUrl: string;
  adminToken: string;
  size: number;
  /** Every agent's environment (a production one, so `promoted` rollouts reach it). */
  environment: string;
  /** At most this many HTTP requests, or NATS set-up operations, at once. */
  concurrency: number;
  /** Lines of progress during the set-up. */
  progress: (line: string) => void;
}

/** How long each part of the set-up took, in seconds. */
export interface FleetSetup {
  tokens_s: number;
  connections_s: number;
  register_s: number;
  heartbeats_s: number;
  consumers_s: number;
}

export function benchHost(i: number): string {
  return `app${String(i).padStart(5, '0')}.fanout.bench`;
}

/** One wave of requests, one per host, and the replies to them. */
export class Round {
  /** host → when its request arrived at its agent (wall-clock ms; the first time only). */
  readonly requested = new Map<string, number>();
  /** host → when JetStream acknowledged its agent's `succeeded` report. */
  readonly reported = new Map<string, number>();
  /** Requests that arrived again (redeliveries) or for a host that already had one this round. */
  repeated = 0;
  private readonly allRequested: Promise<number>;
  private readonly allReported: Promise<number>;
  private resolveRequested!: (at: number) => void;
  private resolveReported!: (at: number) => void;

  constructor(
    readonly label: string,
    readonly hosts: ReadonlySet<string>,
    /** The subject an agent's reports go to in this round. */
    readonly reportSubject: (host: string) => string,
  ) {
    this.allRequested = new Promise((r) => (this.resolveRequested = r));
    this.allReported = new Promise((r) => (this.resolveReported = r));
  }

  onRequested(host: string, at: number): void {
    if (!this.hosts.has(host) || this.requested.has(host)) {
      this.repeated++;
      return;
    }
    this.requested.set(host, at);
    if (this.requested.size === this.hosts.size) this.resolveRequested(at);
  }

  onReported(host: string, at: number): void {
    if (!this.hosts.has(host) || this.reported.has(host)) return;
    this.reported.set(host, at);
    if (this.reported.size === this.hosts.size) this.resolveReported(at);
  }

  /** Resolves with the wall-clock time the last host's request arrived. */
  async waitRequested(timeoutMs: number): Promise<number> {
    return this.bounded(this.allRequested, timeoutMs, 'requests to arrive');
  }

  /** Resolves with the wall-clock time the last host's `succeeded` was acknowledged. */
  async waitReported(timeoutMs: number): Promise<number> {
    return this.bounded(this.allReported, timeoutMs, 'succeeded reports to be published');
  }

  progress(): string {
    return `${this.requested.size}/${this.hosts.size} requests arrived, ${this.reported.size}/${this.hosts.size} succeeded reports published`;
  }

  private async bounded(p: Promise<number>, timeoutMs: number, what: string): Promise<number> {
    try {
      return await withTimeout(p, Math.max(1, timeoutMs), `${this.label}: ${what}`);
    } catch (e) {
      if (e instanceof TimeoutError) throw new TimeoutError(`${e.message} (${this.progress()})`);
      throw e;
    }
  }
}

interface SimAgent {
  host: string;
  token: string;
  nc: NatsConnection | null;
  js: JetStreamClient | null;
  consumer: EventConsumer | null;
}

/** Counts what EventConsumer and the agents had to say; keeps the first few lines. */
export class CountingLogger implements MessagingLogger {
  warnings = 0;
  errors = 0;
  readonly first: string[] = [];

  info(): void {}
  debug(): void {}

  warn(obj: object, msg?: string): void {
    this.warnings++;
    this.keep('warn', obj, msg);
  }

  error(obj: object, msg?: string): void {
    this.errors++;
    this.keep('error', obj, msg);
  }

  private keep(level: string, obj: object, msg?: string): void {
    if (this.first.length < 10) this.first.push(`${level}: ${msg ?? ''} ${JSON.stringify(obj)}`);
  }
}

export class Fleet {
  readonly agents: SimAgent[];
  readonly subjects: Subjects;
  readonly log = new CountingLogger();
  /** Requests that arrived while no round was open (acknowledged and ignored). */
  stray = 0;
  /** Report publishes that failed and were tried again. */
  publishRetries = 0;
  private round: Round | null = null;
  /** Set by stop(): set-up still in flight gives up, and closes what it opened. */
  private stopped = false;

  constructor(private readonly opts: FleetOptions) {
    this.subjects = new Subjects(opts.namespace);
    this.agents = Array.from({ length: opts.size }, (_, i) => ({ host: benchHost(i), token: '', nc: null, js: null, consumer: null }));
  }

  get hosts(): string[] {
    return this.agents.map((a) => a.host);
  }

  /** Opens a round: from now on, requests are recorded in it and reports go where it says. */
  open(round: Round): void {
    this.round = round;
  }

  close(): void {
    this.round = null;
  }

  /** Tokens, connections, registration, one heartbeat each, then the durable consumers. */
  async start(): Promise<FleetSetup> {
    const { concurrency, progress } = this.opts;
    const n = this.agents.length;
    const timed = async (what: string, task: (a: SimAgent) => Promise<void>, limit = concurrency): Promise<number> => {
      const t0 = wallMs();
      await runPool(n, limit, async (i) => {
        if (this.stopped) throw new Error('the fleet was stopped during its set-up');
        await task(this.agents[i]);
      });
      const s = (wallMs() - t0) / 1000;
      progress(`  ${what}: ${n} in ${s.toFixed(2)} s (${(n / s).toFixed(0)}/s, ${limit} at a time)`);
      return s;
    };
    const tokens_s = await timed('agent tokens issued (POST /tokens)', (a) => this.issueToken(a));
    const connections_s = await timed('NATS connections opened', (a) => this.connect(a));
    const register_s = await timed('agents registered (POST /agents/register)', (a) => this.register(a));
    const heartbeats_s = await timed('heartbeats published (JetStream, telemetry stream)', (a) => this.heartbeat(a));
    const consumers_s = await timed('durable consumers created and consuming', (a) => this.startConsumer(a));
    return { tokens_s, connections_s, register_s, heartbeats_s, consumers_s };
  }

  /** Stops every consumer, then closes every connection; each step bounded in time. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.round = null;
    await runPool(this.agents.length, 64, async (i) => {
      const a = this.agents[i];
      const c = a.consumer;
      a.consumer = null;
      if (c) await withTimeout(c.stop(), 5_000, `stopping the consumer of ${a.host}`).catch(() => undefined);
    });
    await runPool(this.agents.length, 64, async (i) => {
      const a = this.agents[i];
      const nc = a.nc;
      a.nc = null;
      a.js = null;
      if (nc) await withTimeout(nc.close(), 5_000, `closing the connection of ${a.host}`).catch(() => undefined);
    });
  }

  private async issueToken(a: SimAgent): Promise<void> {
    const res = await fetch(`${this.opts.rolloutUrl}/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.opts.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench agent ${a.host}`, roles: ['agent'], host: a.host }),
      signal: AbortSignal.timeout(15_000),
    });
    const body: unknown = await res.json().catch(() => null);
    if (res.status !== 201 || !isTokenAnswer(body)) throw new Error(`POST /tokens for ${a.host} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    a.token = body.token;
  }

  private async connect(a: SimAgent): Promise<void> {
    const nc = await connect({ servers: this.opts.natsUrl, name: `runway-bench-agent-${a.host}`, timeout: 10_000, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    if (this.stopped) {
      await nc.close().catch(() => undefined);
      throw new Error('the fleet was stopped during its set-up');
    }
    a.nc = nc;
    a.js = jetstream(nc);
  }

  private async register(a: SimAgent): Promise<void> {
    const res = await fetch(`${this.opts.rolloutUrl}/agents/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ host: a.host, environment: this.opts.environment, agentVersion: BENCH_AGENT_VERSION }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new Error(`POST /agents/register for ${a.host} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    await res.arrayBuffer().catch(() => undefined);
  }

  private async heartbeat(a: SimAgent): Promise<void> {
    const data: AgentHeartbeatV1 = { host: a.host, environment: this.opts.environment, agentVersion: BENCH_AGENT_VERSION, uptimeS: 0 };
    const id = randomUUID();
    await this.publish(a, this.subjects.event(Events.AgentHeartbeat.type, a.host), this.envelope(a, Events.AgentHeartbeat, data, id), id);
  }

  private async startConsumer(a: SimAgent): Promise<void> {
    if (!a.nc) throw new Error(`${a.host} has no connection`);
    const consumer = new EventConsumer(a.nc, this.subjects, (event) => this.onDeployRequested(a, event), {
      service: 'agent', type: Events.DeployRequested.type, key: a.host, logger: this.log, ackWaitMs: 30_000,
    });
    await consumer.start();
    if (this.stopped) {
      await consumer.stop().catch(() => undefined);
      throw new Error('the fleet was stopped during its set-up');
    }
    a.consumer = consumer;
  }

  private async onDeployRequested(a: SimAgent, event: CloudEvent<object>): Promise<void> {
    const at = wallMs();
    const round = this.round;
    if (!round) {
      this.stray++;
      return;
    }
    // EventConsumer has validated the payload against the catalogue's DeployRequestedV1.
    const request = event as CloudEvent<DeployRequestedV1>;
    round.onRequested(a.host, at);
    await this.report(a, round, request, 'started');
    await this.report(a, round, request, 'succeeded');
    round.onReported(a.host, wallMs());
  }

  private async report(a: SimAgent, round: Round, request: CloudEvent<DeployRequestedV1>, status: DeployStatus): Promise<void> {
    const d = request.data;
    const data: DeployReportedV1 = { deployId: d.deployId, rolloutId: d.rolloutId, host: d.host, revision: d.revision, status };
    // The agent's deterministic id: a repeated report is the same event, stored once.
    const id = `${d.deployId}:${status}`;
    await this.publish(a, round.reportSubject(a.host), this.envelope(a, Events.DeployReported, data, id, request), id);
  }

  private envelope<T extends object>(a: SimAgent, def: EventDefinition<T>, data: T, id: string, cause?: CloudEvent<object>): string {
    const event: CloudEvent<T> = {
      specversion: '1.0', id, source: `runway/agent/${a.host}`, type: def.type, subject: def.key(data), time: new Date().toISOString(),
      datacontenttype: 'application/json', correlationid: cause?.correlationid ?? id, causationid: cause?.id, data,
    };
    return JSON.stringify(event);
  }

  /** A JetStream publish, awaited; tried again (up to 8 times, backing off) as the agent does. */
  private async publish(a: SimAgent, subject: string, body: string, msgID: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (!a.js) throw new Error(`${a.host} has no connection`);
        await a.js.publish(subject, body, { msgID, timeout: 5_000 });
        return;
      } catch (e) {
        if (attempt >= 8) throw e;
        this.publishRetries++;
        await sleep(Math.min(100 * 2 ** attempt, 2000));
      }
    }
  }
}

function isTokenAnswer(x: unknown): x is { token: string } {
  return typeof x === 'object' && x !== null && typeof (x as { token?: unknown }).token === 'string';
}
