/**
 * Feature flags inside an application: every evaluation is in-process, from a snapshot of the
 * whole rule set, so asking a flag costs nanoseconds and never waits on the network.
 *
 * Keeping the snapshot current:
 *   - at start, `GET /snapshot` (or, when the flag service cannot be reached, the last snapshot
 *     saved in `cacheFile`);
 *   - `flag-changed` pushed over NATS: the client fetches the new snapshot at once (with its
 *     ETag, so a replayed event costs a 304);
 *   - polling as a safety net: slowly while NATS is connected, every `fallbackPollMs` while it
 *     is not (or when no NATS URL is given);
 *   - when the flag service is down, the last good snapshot keeps serving, and `stale` says so.
 * Usage (evaluations per flag, undocumented flags and scopes met) is counted in memory and sent
 * in one `POST /usage` every `reportIntervalMs`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Events, parseEvent, Subjects } from '@runway/contracts';
import { type FlagContext, FlagEvaluator, type Resolution } from './evaluator';
import type { FlagSnapshot } from './rules';

export interface FlagClientLogger {
  warn(message: string, error?: unknown): void;
}

export interface FlagClientOptions {
  /** The flag service, e.g. `http://flags.internal:3104`. */
  url: string;
  /** A token with the `sdk` role. */
  token: string;
  /** NATS for pushed changes; without it the client polls every `fallbackPollMs`. */
  natsUrl?: string | string[];
  natsAuth?: { token?: string; user?: string; pass?: string };
  /** Runway's RUNWAY_NAMESPACE, when it has one. */
  namespace?: string;
  /** Polling while NATS pushes changes (a safety net). Default 60 s. */
  pollIntervalMs?: number;
  /** Polling while NATS is unreachable or not configured. Default 2 s. */
  fallbackPollMs?: number;
  /** How often usage is reported. Default 10 s; 0 turns reporting off. */
  reportIntervalMs?: number;
  /** Where the last good snapshot is kept, to start when the flag service is down. */
  cacheFile?: string;
  /** Request timeout. Default 5 s. */
  timeoutMs?: number;
  logger?: FlagClientLogger;
}

export type FlagChangeListener = (change: { version: number; flags: string[] }) => void;

const EMPTY: FlagContext = Object.freeze({});

export class FlagClient {
  private evaluator = new FlagEvaluator({ version: 0, rules: [], docs: [] });
  private etag: string | null = null;
  private nats: NatsConnection | null = null;
  private natsUp = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private natsRetry: NodeJS.Timeout | null = null;
  private reportTimer: NodeJS.Timeout | null = null;
  private fetching: Promise<boolean> | null = null;
  private queued: Promise<boolean> | null = null;
  /** The newest version a `flag-changed` has announced. */
  private wanted = 0;
  private closed = false;
  private listeners = new Set<FlagChangeListener>();
  private pendingCounts = new Map<string, number>();
  private pendingScopes = new Set<string>();
  private readonly opts: Required<Pick<FlagClientOptions, 'pollIntervalMs' | 'fallbackPollMs' | 'reportIntervalMs' | 'timeoutMs'>> & FlagClientOptions;
  /** True while the last attempt to reach the flag service failed: values come from an older snapshot. */
  stale = false;
  /** When the snapshot in use was last confirmed current by the flag service. */
  confirmedAt: Date | null = null;

  private constructor(options: FlagClientOptions) {
    this.opts = { pollIntervalMs: 60_000, fallbackPollMs: 2000, reportIntervalMs: 10_000, timeoutMs: 5000, ...options, url: options.url.replace(/\/+$/, '') };
  }

  /** Loads the rules (from the service, or else the cache file) and starts following changes. */
  static async start(options: FlagClientOptions): Promise<FlagClient> {
    const client = new FlagClient(options);
    let loaded = false;
    try {
      loaded = await client.refresh();
    } catch (e) {
      loaded = client.loadCache();
      if (!loaded) throw new Error(`cannot load flag rules from ${client.opts.url} and there is no cached snapshot: ${(e as Error).message}`);
      client.stale = true;
      client.warn('flag service unreachable at start; serving the cached snapshot', e);
    }
    client.startNats();
    client.schedulePoll();
    if (client.opts.reportIntervalMs > 0) {
      client.reportTimer = setInterval(() => void client.flush().catch((e: unknown) => client.warn('cannot report flag usage', e)), client.opts.reportIntervalMs);
      client.reportTimer.unref();
    }
    return client;
  }

  /** The rule-set version in use. */
  get version(): number {
    return this.evaluator.version;
  }

  /** The flag's value for the context, or undefined for "no value" (use your default). */
  value(flag: string, ctx: FlagContext = EMPTY): string | undefined {
    return this.evaluator.value(flag, ctx);
  }

  /** A boolean flag: true for `true`/`on`, false for anything else or no value. */
  enabled(flag: string, ctx: FlagContext = EMPTY): boolean {
    const v = this.evaluator.value(flag, ctx);
    return v === 'true' || v === 'on';
  }

  resolve(flag: string, ctx: FlagContext = EMPTY): Resolution | undefined {
    return this.evaluator.resolve(flag, ctx);
  }

  /** The evaluator itself, for callers that evaluate in a tight loop. */
  get current(): FlagEvaluator {
    return this.evaluator;
  }

  onChange(listener: FlagChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fetches the snapshot if it changed; true when one is loaded. Throws when the service cannot be reached. */
  refresh(): Promise<boolean> {
    if (!this.fetching) {
      this.fetching = this.fetchSnapshot().finally(() => {
        this.fetching = null;
      });
      return this.fetching;
    }
    // A fetch in flight may have left before the change that prompted this call: queue one more
    // after it, shared by every caller that arrives meanwhile.
    this.queued ??= this.fetching
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  /**
   * Fetches until the snapshot is at least the version a `flag-changed` announced. The event can
   * arrive before the replica that answers has reloaded (it is published as the edit commits),
   * so a fetch that comes back older is retried after 10, 20, 40 … ms, for about 2.5 s in all;
   * polling covers anything longer.
   */
  private async catchUp(): Promise<void> {
    for (let attempt = 0; attempt < 8 && !this.closed; attempt++) {
      await this.refresh();
      if (this.evaluator.version >= this.wanted) return;
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
    }
  }

  private async fetchSnapshot(): Promise<boolean> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}` };
    if (this.etag) headers['if-none-match'] = this.etag;
    let res: Response;
    try {
      res = await fetch(`${this.opts.url}/snapshot`, { headers, signal: AbortSignal.timeout(this.opts.timeoutMs) });
    } catch (e) {
      this.stale = true;
      throw e;
    }
    if (res.status === 304) {
      this.stale = false;
      this.confirmedAt = new Date();
      return true;
    }
    if (res.status !== 200) {
      this.stale = true;
      throw new Error(`GET /snapshot answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    }
    const snap = (await res.json()) as FlagSnapshot;
    this.etag = res.headers.get('etag');
    this.stale = false;
    this.confirmedAt = new Date();
    this.apply(snap);
    this.saveCache(snap);
    return true;
  }

  private apply(snap: FlagSnapshot): void {
    if (snap.version < this.evaluator.version) return;
    const old = this.evaluator;
    const fresh = new FlagEvaluator(snap);
    const changed = changedFlags(old, fresh);
    for (const [flag, n] of old.takeCounts()) this.pendingCounts.set(flag, (this.pendingCounts.get(flag) ?? 0) + n);
    for (const s of old.unknownScopesSeen) this.pendingScopes.add(s);
    this.evaluator = fresh;
    if (old.version !== snap.version) {
      for (const l of this.listeners) {
        try {
          l({ version: snap.version, flags: changed });
        } catch (e) {
          this.warn('a flag change listener threw', e);
        }
      }
    }
  }

  private startNats(): void {
    if (!this.opts.natsUrl) return;
    const subject = new Subjects(this.opts.namespace ?? '').allOf(Events.FlagChanged.type);
    if (this.closed) return;
    void connect({
      servers: this.opts.natsUrl, name: 'runway-flag-client', maxReconnectAttempts: -1, reconnectTimeWait: 1000,
      token: this.opts.natsAuth?.token, user: this.opts.natsAuth?.user, pass: this.opts.natsAuth?.pass,
    })
      .then(async (nc) => {
        if (this.closed) return void (await nc.close());
        this.nats = nc;
        this.setNatsUp(true);
        nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err) return;
            const parsed = parseEvent(msg.data);
            const version = parsed.ok ? (parsed.event.data as { version?: unknown }).version : undefined;
            if (typeof version === 'number') {
              if (version <= this.evaluator.version) return;
              this.wanted = Math.max(this.wanted, version);
            }
            void this.catchUp().catch((e: unknown) => this.warn('cannot fetch the changed flag rules', e));
          },
        });
        for await (const s of nc.status()) {
          if (s.type === 'disconnect') this.setNatsUp(false);
          if (s.type === 'reconnect') {
            this.setNatsUp(true);
            // Changes pushed while disconnected were missed: catch up now.
            void this.refresh().catch((e: unknown) => this.warn('cannot fetch flag rules after reconnecting', e));
          }
        }
      })
      .catch((e: unknown) => {
        // Poll meanwhile, and try NATS again later (a timer close() can stop, unlike a pending connect).
        this.warn('cannot connect to NATS; polling for flag changes instead', e);
        if (this.closed) return;
        this.natsRetry = setTimeout(() => this.startNats(), 5000);
        this.natsRetry.unref();
      });
  }

  private setNatsUp(up: boolean): void {
    if (this.natsUp === up) return;
    this.natsUp = up;
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.closed) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    const every = this.natsUp ? this.opts.pollIntervalMs : this.opts.fallbackPollMs;
    this.pollTimer = setTimeout(() => {
      void this.refresh()
        .catch((e: unknown) => this.warn('cannot reach the flag service; serving the last good snapshot', e))
        .finally(() => this.schedulePoll());
    }, every);
    this.pollTimer.unref();
  }

  /** Sends the usage counted since the last report. Counts are kept for the next try on failure. */
  async flush(): Promise<void> {
    const e = this.evaluator;
    for (const [flag, n] of e.takeCounts()) this.pendingCounts.set(flag, (this.pendingCounts.get(flag) ?? 0) + n);
    for (const s of e.unknownScopesSeen) this.pendingScopes.add(s);
    e.unknownScopesSeen.clear();
    if (this.pendingCounts.size === 0 && this.pendingScopes.size === 0) return;
    const counts = this.pendingCounts;
    const scopes = this.pendingScopes;
    this.pendingCounts = new Map();
    this.pendingScopes = new Set();
    const body = {
      evaluations: Object.fromEntries(counts),
      undocumentedFlags: e.undocumented(counts.keys()),
      undocumentedScopes: [...scopes],
    };
    try {
      const res = await fetch(`${this.opts.url}/usage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.opts.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      if (res.status !== 202) throw new Error(`POST /usage answered ${res.status}`);
    } catch (err) {
      if (counts.size < 100_000) for (const [flag, n] of counts) this.pendingCounts.set(flag, (this.pendingCounts.get(flag) ?? 0) + n);
      for (const s of scopes) this.pendingScopes.add(s);
      throw err;
    }
  }

  /** Stops following changes and sends the last usage report. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.natsRetry) clearTimeout(this.natsRetry);
    if (this.reportTimer) clearInterval(this.reportTimer);
    if (this.opts.reportIntervalMs > 0) await this.flush().catch((e: unknown) => this.warn('cannot report flag usage', e));
    await this.nats?.close().catch(() => undefined);
  }

  private loadCache(): boolean {
    if (!this.opts.cacheFile) return false;
    try {
      const snap = JSON.parse(readFileSync(this.opts.cacheFile, 'utf8')) as FlagSnapshot;
      if (typeof snap?.version !== 'number' || !Array.isArray(snap.rules) || !Array.isArray(snap.docs)) return false;
      this.apply(snap);
      return true;
    } catch {
      return false;
    }
  }

  private saveCache(snap: FlagSnapshot): void {
    const file = this.opts.cacheFile;
    if (!file) return;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(snap));
      renameSync(`${file}.tmp`, file);
    } catch (e) {
      this.warn(`cannot save the flag snapshot to ${file}`, e);
    }
  }

  private warn(message: string, error?: unknown): void {
    if (this.opts.logger) this.opts.logger.warn(message, error);
  }
}

function changedFlags(old: FlagEvaluator, fresh: FlagEvaluator): string[] {
  const names = new Set([...old.names(), ...fresh.names()]);
  const key = (e: FlagEvaluator, n: string) => JSON.stringify([e.doc(n) ?? null, e.rules(n)]);
  return [...names].filter((n) => key(old, n) !== key(fresh, n)).sort();
}
