/**
 * The agent on one application server. It registers with rollout over HTTP (its token is bound
 * to this host), heartbeats, and consumes the `deploy-requested` events for its host from a
 * durable JetStream consumer of its own. Each deploy runs at most once: its outcome is written
 * to local state before it is reported, and a redelivered request is answered from that state.
 * A deploy interrupted by a crash is reported failed, never silently re-run.
 */
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import {
  AGENT_SERVICE, agentInboxPrefix, type AgentHeartbeatV1, type CloudEvent, type CowboyAppliedV1, type DeployProgressV1, type DeployReportedV1, type DeployRequestedV1, type DeployStatus, type EventDefinition,
  Events, Subjects,
} from '@runway/contracts';
import { connectNats, EventConsumer, failpoint } from '@runway/messaging';
import { checkedEvent, cowboyEventId, InvalidAgentEventError } from './agent-event';
import { AgentState } from './agent-state';
import { parseNames, runCommand } from '@runway/platform/command';
import type { AgentEnv } from './config';

export const AGENT_VERSION = '0.1.0';

export class Agent {
  private nc!: NatsConnection;
  private js!: JetStreamClient;
  private consumer!: EventConsumer;
  private heartbeat: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly subjects: Subjects;
  private readonly state: AgentState;
  private readonly startedAt = Date.now();
  /** Variables an operator lets every command see besides those named for it (AGENT_COMMAND_ENV). */
  private readonly passThrough: string[];
  /** The patches the last complete scan found, for the heartbeat; undefined when there is no complete scan. */
  private lastScan: string[] | undefined;
  private scanning = false;

  constructor(
    private readonly env: AgentEnv,
    private readonly log: Logger,
  ) {
    this.subjects = new Subjects(env.RUNWAY_NAMESPACE);
    this.state = new AgentState(env.AGENT_STATE_DIR);
    this.passThrough = parseNames(env.AGENT_COMMAND_ENV);
  }

  private run(command: string, env: NodeJS.ProcessEnv, timeoutMs: number, onOutput?: (tail: string) => void) {
    return runCommand(command, env, timeoutMs, onOutput, this.passThrough);
  }

  async start(): Promise<void> {
    this.nc = await connectNats(
      {
        servers: this.env.NATS_URL, name: `runway-agent-${this.env.AGENT_HOST}`, token: this.env.NATS_TOKEN, user: this.env.NATS_USER, password: this.env.NATS_PASSWORD,
        // Replies on an inbox of this host's own: its NATS user may subscribe nowhere else (see agentNatsPermissions).
        inboxPrefix: agentInboxPrefix(this.subjects, this.env.AGENT_HOST),
      },
      this.log,
    );
    this.js = jetstream(this.nc);
    await this.register();
    this.consumer = new EventConsumer(this.nc, this.subjects, (e, ctx) => this.onDeployRequested(e as CloudEvent<DeployRequestedV1>, ctx.working), {
      service: AGENT_SERVICE, type: Events.DeployRequested.type, key: this.env.AGENT_HOST, logger: this.log, ackWaitMs: this.env.AGENT_ACK_WAIT_MS,
    });
    await retry(() => this.consumer.start(), this.log, 'waiting for the event stream');
    this.heartbeat = setInterval(() => void this.sendHeartbeat(), this.env.AGENT_HEARTBEAT_MS);
    await this.sendHeartbeat();
    this.log.info({ running: this.state.runningRevision, stateDir: this.env.AGENT_STATE_DIR }, 'agent ready');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.consumer?.stop();
    await this.nc?.drain().catch(() => undefined);
  }

  private async register(): Promise<void> {
    const body = {
      host: this.env.AGENT_HOST, environment: this.env.AGENT_ENVIRONMENT, wave: this.env.AGENT_WAVE,
      runningRevision: this.state.runningRevision, agentVersion: AGENT_VERSION,
    };
    await retry(async () => {
      const res = await fetch(`${this.env.RUNWAY_ROLLOUT_URL}/agents/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.env.RUNWAY_AGENT_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status === 401 || res.status === 403 || res.status === 400) {
        // Retrying cannot fix a wrong token or a bad host name: stop, loudly.
        throw Object.assign(new Error(`rollout refused registration: ${res.status} ${await res.text()}`), { fatal: true });
      }
      if (!res.ok) throw new Error(`rollout answered ${res.status}`);
    }, this.log, 'registering with rollout');
  }

  private async onDeployRequested(event: CloudEvent<DeployRequestedV1>, working: () => void): Promise<void> {
    const d = event.data;
    const seen = this.state.deploy(d.deployId);
    if (seen && seen.status !== 'started') {
      // Already done: say so again (same event id, so rollout applies it once) and run nothing.
      await this.report(event, seen.status, seen.outputTail);
      return;
    }
    if (seen?.status === 'started') {
      const tail = 'the agent restarted while this deploy was running; it was not run again. Redeploy to retry.';
      this.state.record(d.deployId, { ...seen, status: 'failed', outputTail: tail, at: new Date().toISOString() });
      await this.report(event, 'failed', tail);
      return;
    }
    this.state.record(d.deployId, { status: 'started', revision: d.revision, rolloutId: d.rolloutId, at: new Date().toISOString() });
    await this.report(event, 'started');
    failpoint('agent-mid-deploy');

    const commandEnv = {
      RUNWAY_HOST: d.host, RUNWAY_ENVIRONMENT: d.environment, RUNWAY_REVISION: d.revision, RUNWAY_REVNO: d.revno ? String(d.revno) : '',
      RUNWAY_DEPLOY_KIND: d.kind, RUNWAY_DEPLOY_ID: d.deployId, RUNWAY_PREVIOUS_REVISION: d.previousRevision ?? this.state.runningRevision ?? '',
    };
    const timeout = this.env.AGENT_DEPLOY_TIMEOUT_SECONDS * 1000;
    // Progress goes out at most twice a second while the command prints, as a tail (not a delta).
    // A monotonic clock: a wall clock stepped back would make the elapsed time negative.
    const begun = performance.now();
    let lastProgress = 0;
    const progress = (tail: string) => {
      working();
      if (Date.now() - lastProgress < 500) return;
      lastProgress = Date.now();
      const data: DeployProgressV1 = { deployId: d.deployId, rolloutId: d.rolloutId, host: d.host, outputTail: tail.slice(-8192), elapsedMs: Math.round(performance.now() - begun) };
      void this.publish(Events.DeployProgress, data, randomUUID(), event).catch(() => undefined);
    };
    const deploy = await this.run(this.env.AGENT_DEPLOY_COMMAND, commandEnv, timeout, progress);
    let outcome: DeployStatus = 'succeeded';
    let tail = deploy.tail;
    if (deploy.ok && this.env.AGENT_HEALTH_COMMAND) {
      const health = await this.run(this.env.AGENT_HEALTH_COMMAND, commandEnv, 120_000, working);
      if (!health.ok) tail = `${tail}\n[health check failed]\n${health.tail}`;
      deploy.ok = health.ok;
    }
    // Carried cowboys go back on: a server must not lose a patch its operators rely on.
    if (deploy.ok) {
      const carried = await this.reapply(d.carryCowboys, commandEnv, working);
      tail = `${tail}${carried.tail}`;
      deploy.ok = carried.ok;
    }
    if (!deploy.ok) {
      outcome = 'failed';
      const previous = commandEnv.RUNWAY_PREVIOUS_REVISION;
      if (this.env.AGENT_ROLLBACK_COMMAND && previous) {
        const rb = await this.run(this.env.AGENT_ROLLBACK_COMMAND, { ...commandEnv, RUNWAY_REVISION: previous }, timeout, working);
        tail = `${tail}\n[rollback to ${previous} ${rb.ok ? 'succeeded' : 'FAILED'}]\n${rb.tail}`;
        if (rb.ok) {
          outcome = 'rolled-back';
          // The old code is back, and the patches it ran with go back on it too.
          tail = `${tail}${(await this.reapply(d.carryCowboys, { ...commandEnv, RUNWAY_REVISION: previous }, working)).tail}`;
        }
      }
    }
    tail = tail.slice(-8192);
    this.state.record(
      d.deployId,
      { status: outcome, revision: d.revision, rolloutId: d.rolloutId, at: new Date().toISOString(), outputTail: tail },
      outcome === 'succeeded' ? d.revision : undefined,
    );
    await this.report(event, outcome, tail);
    this.log.info({ deployId: d.deployId, revision: d.revision, outcome, ms: deploy.durationMs }, 'deploy finished');
  }

  /** Re-applies carried cowboys, in order; stops at the first that fails. */
  private async reapply(hashes: string[], env: NodeJS.ProcessEnv, working: () => void): Promise<{ ok: boolean; tail: string }> {
    let tail = '';
    for (const hash of hashes) {
      if (!this.env.AGENT_COWBOY_REAPPLY_COMMAND) return { ok: false, tail: `${tail}\n[cowboy ${hash} must be carried, but AGENT_COWBOY_REAPPLY_COMMAND is not set]` };
      const again = await this.run(this.env.AGENT_COWBOY_REAPPLY_COMMAND, { ...env, RUNWAY_COWBOY_HASH: hash }, 120_000, working);
      tail = `${tail}\n[cowboy ${hash} re-applied: ${again.ok ? 'ok' : 'FAILED'}]\n${again.tail}`;
      if (!again.ok) return { ok: false, tail };
    }
    return { ok: true, tail };
  }

  private async report(request: CloudEvent<DeployRequestedV1>, status: DeployStatus, outputTail?: string): Promise<void> {
    const d = request.data;
    const data: DeployReportedV1 = { deployId: d.deployId, rolloutId: d.rolloutId, host: d.host, revision: d.revision, status, outputTail };
    // A deterministic id: a report repeated after a restart is the same event, applied once.
    // A report that can never meet its contract throws a poison error (INVALID_OUTGOING_EVENT):
    // the consumer dead-letters the request, with the reason, instead of redelivering it for ever.
    await this.publish(Events.DeployReported, data, `${d.deployId}:${status}`, request);
  }

  /** Reports the cowboys the scan command finds (the same report again is dropped by its msgID). */
  private async scanCowboys(): Promise<void> {
    // One scan at a time: an older scan finishing after a newer one would put back a stale list.
    if (!this.env.AGENT_COWBOY_SCAN_COMMAND || this.stopped || this.scanning) return;
    this.scanning = true;
    try {
      await this.scanOnce(this.env.AGENT_COWBOY_SCAN_COMMAND);
    } finally {
      this.scanning = false;
    }
  }

  private async scanOnce(command: string): Promise<void> {
    const scan = await this.run(command, { RUNWAY_HOST: this.env.AGENT_HOST }, 60_000);
    if (!scan.ok) {
      // A failed scan says nothing of what is gone: rollout retires nothing on its word.
      this.lastScan = undefined;
      this.log.warn({ output: scan.tail.slice(-500) }, 'cowboy scan failed');
      return;
    }
    const found: { hash: string; reason: string | undefined }[] = [];
    for (const line of scan.tail.split('\n')) {
      const m = /^\s*([0-9a-f]{7,128})(?:\s+(.*))?$/.exec(line);
      if (m) found.push({ hash: m[1], reason: m[2]?.slice(0, 4000) || undefined });
    }
    // Output cut at the tail's size may have lost lines: then the list is not complete, and not sent.
    // Kept before the reports go out, so every heartbeat sent after a report carries this scan or a newer one.
    this.lastScan = scan.tail.length >= 8192 ? undefined : [...new Set(found.map((f) => f.hash))].slice(0, 1000);
    for (const f of found) {
      const data: CowboyAppliedV1 = {
        host: this.env.AGENT_HOST, patchHash: f.hash, reason: f.reason, appliedBy: `found by the agent on ${this.env.AGENT_HOST}`, detected: true,
      };
      await this.publish(Events.CowboyApplied, data, cowboyEventId(this.env.AGENT_HOST, f.hash)).catch((e) => this.log.warn({ err: (e as Error).message }, 'cowboy report not sent'));
    }
  }

  private async sendHeartbeat(): Promise<void> {
    if (this.stopped) return;
    void this.scanCowboys();
    const data: AgentHeartbeatV1 = {
      host: this.env.AGENT_HOST, environment: this.env.AGENT_ENVIRONMENT, wave: this.env.AGENT_WAVE,
      runningRevision: this.state.runningRevision, agentVersion: AGENT_VERSION, uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      cowboyScan: this.lastScan,
    };
    await this.publish(Events.AgentHeartbeat, data, randomUUID()).catch((e) => this.log.warn({ err: (e as Error).message }, 'heartbeat not sent'));
  }

  private async publish<T extends object>(def: EventDefinition<T>, data: T, id: string, cause?: CloudEvent<object>): Promise<void> {
    let event: CloudEvent<T>;
    try {
      event = checkedEvent(def, data, { id, host: this.env.AGENT_HOST, cause });
    } catch (e) {
      if (e instanceof InvalidAgentEventError) {
        // Only the type and the reason: the payload may carry a deploy's output, which is not the log's to keep.
        this.log.error({ type: e.eventType, reason: e.reason, eventId: id, correlationId: cause?.correlationid ?? id }, 'event refused: it does not meet its contract');
      }
      throw e;
    }
    await retry(() => this.js.publish(this.subjects.event(def.type, def.key(data)), JSON.stringify(event), { msgID: id }), this.log, `publishing ${def.name}`, 8);
  }
}

async function retry<T>(fn: () => Promise<T>, log: Logger, what: string, attempts = Infinity): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if ((e as { fatal?: boolean }).fatal || i >= attempts) throw e;
      if (i === 1 || i % 10 === 0) log.warn({ err: (e as Error).message, attempt: i }, `${what}: retrying`);
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** i, 2000)));
    }
  }
}
