/**
 * Live updates: one core NATS subscription to the namespace's event subjects (`<ns>runway.>`
 * and `<ns>telemetry.runway.>`), fanned out to every open browser as Server-Sent Events. Events
 * are sent in small batches (at most every `flushMs`); within a batch only the newest
 * heartbeat of each host is kept, so a thousand agents do not flood a browser. Token events
 * are never sent on: they are no business of a page.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { eventDefinitionOf, Subjects, type CloudEvent } from '@runway/contracts';

/** What a browser receives for each event. */
export interface LiveEvent {
  /** The catalogue name, e.g. `revision-landed`. */
  name: string;
  type: string;
  id: string;
  time: string;
  data: Record<string, unknown>;
}

export interface LiveClient {
  sessionId: string;
  send(chunk: string): void;
  end(): void;
}

const NEVER_SENT = new Set(['token-issued', 'token-revoked']);

export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private pending: LiveEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private keepAlive: NodeJS.Timeout | null = null;
  private nc: NatsConnection | null = null;
  private closed = false;
  connected = false;

  constructor(
    private readonly subjects: Subjects,
    private readonly log: { info(o: object, m: string): void; warn(o: object, m: string): void },
    private readonly flushMs = 150,
  ) {}

  /** Connects in the background (the pages work without live updates until NATS answers). */
  start(servers: string[], auth: { user?: string; pass?: string; token?: string }): void {
    this.keepAlive = setInterval(() => this.broadcast(': keep-alive\n\n'), 15_000);
    void this.connectLoop(servers, auth);
  }

  private async connectLoop(servers: string[], auth: { user?: string; pass?: string; token?: string }): Promise<void> {
    while (!this.closed) {
      try {
        const nc = await connect({ servers, name: `runway-dashboard-${process.pid}`, ...auth, maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
        if (this.closed) {
          await nc.close();
          return;
        }
        this.nc = nc;
        this.setConnected(true);
        const prefix = this.subjects.prefix;
        for (const subject of [this.subjects.eventWildcard, `${prefix}telemetry.runway.>`]) {
          nc.subscribe(subject, { callback: (err, msg) => (err ? undefined : this.receive(msg.subject, msg.data)) });
        }
        this.log.info({ servers, subjects: [this.subjects.eventWildcard, `${prefix}telemetry.runway.>`] }, 'live updates subscribed');
        void (async () => {
          for await (const s of nc.status()) {
            if (s.type === 'disconnect') this.setConnected(false);
            if (s.type === 'reconnect') this.setConnected(true);
          }
        })();
        await nc.closed();
        this.setConnected(false);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'NATS unreachable; retrying');
      }
      if (!this.closed) await new Promise((r) => setTimeout(r, 2000));
    }
  }

  private setConnected(v: boolean): void {
    if (this.connected === v) return;
    this.connected = v;
    this.broadcast(`event: status\ndata: ${JSON.stringify({ live: v })}\n\n`);
  }

  /** Parses one message; anything that is not a Runway CloudEvent is ignored. */
  receive(subject: string, payload: Uint8Array): void {
    const type = this.subjects.typeOf(subject);
    const name = type ? eventDefinitionOf(type)?.name : undefined;
    if (!type || !name || NEVER_SENT.has(name)) return;
    let e: CloudEvent<Record<string, unknown>>;
    try {
      e = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      return;
    }
    if (!e || typeof e !== 'object' || typeof e.data !== 'object' || e.data === null) return;
    if (name === 'agent-heartbeat') {
      this.pending = this.pending.filter((p) => !(p.name === name && p.data.host === e.data.host));
    }
    this.pending.push({ name, type, id: String(e.id), time: String(e.time), data: e.data });
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.flushMs);
  }

  private flush(): void {
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.broadcast(`event: runway\ndata: ${JSON.stringify(batch)}\n\n`);
  }

  private broadcast(chunk: string): void {
    for (const c of this.clients) c.send(chunk);
  }

  add(client: LiveClient): () => void {
    this.clients.add(client);
    client.send(`retry: 2000\nevent: status\ndata: ${JSON.stringify({ live: this.connected })}\n\n`);
    return () => this.clients.delete(client);
  }

  /** Ends the streams of a session that logged out or whose token was refused. */
  endSession(sessionId: string): void {
    for (const c of [...this.clients]) {
      if (c.sessionId !== sessionId) continue;
      this.clients.delete(c);
      c.end();
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.keepAlive) clearInterval(this.keepAlive);
    for (const c of this.clients) c.end();
    this.clients.clear();
    await this.nc?.close().catch(() => undefined);
  }
}
