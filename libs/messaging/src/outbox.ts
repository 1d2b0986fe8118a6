/**
 * The transactional outbox. `Outbox.enqueue` writes an event in the caller's transaction, so an
 * event exists if and only if the state change that caused it committed. `OutboxRelay` then
 * publishes unpublished rows in order with `Nats-Msg-Id` = event id and marks them published.
 * A crash between commit and publish only delays publishing; a crash between publish and mark
 * republishes with the same id, which JetStream's duplicate window drops (and consumer inboxes
 * would ignore anyway). One relay per schema drains at a time (a Postgres advisory lock), so
 * replicas keep the order of events and never publish concurrently.
 */
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { DataSource, EntityManager, EntitySubscriberInterface, TransactionCommitEvent } from 'typeorm';
import { type Actor, type CloudEvent, type EventDefinition, RUNWAY_ACTOR, Subjects, validatePayload } from '@runway/contracts';
import { currentScope } from './event-context';
import { failpoint } from './failpoint';
import type { MessagingLogger } from './logger';
import { eventsPublished } from './metrics';

export interface EnqueueOptions {
  /** Defaults to the correlation id of the event or request being handled, else a new one. */
  correlationId?: string;
  /** Defaults to the id of the event being handled. */
  causationId?: string;
  /** CloudEvents `subject`: what the event is about, for people and tools. */
  subject?: string;
  id?: string;
  /** Defaults to the request's token holder, or Runway itself while handling an event. */
  actor?: Actor;
  /** The comment or reason the person who acted gave. */
  reason?: string;
}

export class InvalidOutgoingEventError extends Error {
  readonly code = 'INVALID_OUTGOING_EVENT';
}

const DIRTY = Symbol('runway.outbox.dirty');

export class Outbox {
  constructor(
    private readonly subjects: Subjects,
    private readonly source: string,
  ) {}

  /** Validates the payload and stores the event in the caller's transaction. */
  async enqueue<T extends object>(em: EntityManager, def: EventDefinition<T>, data: T, opts: EnqueueOptions = {}): Promise<CloudEvent<T>> {
    const [event] = await this.enqueueMany(em, [{ def, data, opts }]);
    return event as CloudEvent<T>;
  }

  /** Stores several events in one statement, in order: for batches of landings, say. */
  async enqueueMany(em: EntityManager, items: OutgoingEvent[]): Promise<CloudEvent<object>[]> {
    if (items.length === 0) return [];
    const scope = currentScope();
    const events = items.map(({ def, data, opts = {} }) => {
      const checked = validatePayload(def.type, data);
      if (!checked.ok) throw new InvalidOutgoingEventError(`refusing to publish ${def.type}: ${checked.reason}`);
      const event: CloudEvent<object> = {
        specversion: '1.0',
        id: opts.id ?? randomUUID(),
        source: this.source,
        type: def.type,
        subject: opts.subject ?? def.key(data),
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        correlationid: opts.correlationId ?? scope?.correlationId ?? randomUUID(),
        causationid: opts.causationId ?? scope?.eventId,
        ...actorAttributes(opts.actor ?? scope?.actor ?? RUNWAY_ACTOR),
        ...(opts.reason ? { reason: opts.reason.slice(0, 4096) } : {}),
        data,
      };
      return { event, subject: this.subjects.event(def.type, def.key(data)) };
    });
    const params: unknown[] = [];
    const rows = events.map(({ event, subject }, i) => {
      params.push(event.id, subject, event.type, JSON.stringify(event));
      return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`;
    });
    await em.query(`INSERT INTO outbox (id, subject, type, envelope) VALUES ${rows.join(', ')}`, params);
    if (em.queryRunner) (em.queryRunner.data as Record<symbol, boolean>)[DIRTY] = true;
    return events.map((e) => e.event);
  }

  /** The `source` this service's events carry, so it can recognise its own. */
  get sourceName(): string {
    return this.source;
  }
}

/** An actor as the envelope's extension attributes carry it. */
export function actorAttributes(actor: Actor): Pick<CloudEvent, 'actor' | 'actorkind' | 'actorroles'> {
  return {
    actor: actor.name.slice(0, 256) || 'unknown',
    actorkind: actor.kind,
    ...(actor.roles?.length ? { actorroles: actor.roles.join(',') } : {}),
  };
}

export interface OutgoingEvent {
  // The catalogue's definitions are invariant in their payload type; any of them fits here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  def: EventDefinition<any>;
  data: object;
  opts?: EnqueueOptions;
}

export interface OutboxRelayOptions {
  batchSize?: number;
  pollIntervalMs?: number;
  /** How long published rows are kept, for audit, before being purged. */
  retentionMs?: number;
  /** A publish lost with a crashed server is retried after this; the msgID keeps it single. */
  publishTimeoutMs?: number;
  lockKey: string;
  logger: MessagingLogger;
}

export class OutboxRelay {
  private readonly js: JetStreamClient;
  private draining: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;
  private lastPurge = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly nc: NatsConnection,
    private readonly options: OutboxRelayOptions,
  ) {
    this.js = jetstream(nc);
  }

  /** Starts polling and publishes right after every commit that wrote to the outbox. */
  start(): void {
    this.stopped = false;
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit: (event: TransactionCommitEvent) => {
        const data = event.queryRunner.data as Record<symbol, boolean>;
        if (data[DIRTY]) {
          data[DIRTY] = false;
          void this.kick();
        }
      },
    };
    this.dataSource.subscribers.push(subscriber);
    this.schedule(0);
    // After a reconnect, publish at once what waited, rather than at the next poll.
    void (async () => {
      for await (const s of this.nc.status()) {
        if (this.stopped) break;
        if (s.type === 'reconnect') {
          this.failures = 0;
          void this.kick();
        }
      }
    })().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.draining;
  }

  /** Publishes what is waiting now; returns once the outbox was seen empty. */
  kick(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  /** Rows committed but not yet published. */
  async pending(): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`);
    return row.n;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.kick().finally(() => this.schedule(this.nextPollMs()));
    }, ms);
    this.timer.unref?.();
  }

  private nextPollMs(): number {
    const base = this.options.pollIntervalMs ?? 1000;
    return this.failures === 0 ? base : Math.min(base * 2 ** this.failures, 30_000);
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        this.again = false;
        const { published, locked } = await this.publishBatch();
        if (locked) {
          // Another replica is draining this schema; look again shortly in case it missed ours.
          setTimeout(() => void this.kick(), 25).unref?.();
          return;
        }
        if (published < (this.options.batchSize ?? 256) && !this.again) break;
      }
      this.failures = 0;
      await this.purge();
    } catch (e) {
      this.failures++;
      this.options.logger.warn({ err: (e as Error).message, failures: this.failures }, 'outbox relay could not publish; will retry');
    }
  }

  private async publishBatch(): Promise<{ published: number; locked: boolean }> {
    return this.dataSource.transaction(async (em) => {
      const [{ ok }] = await em.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok`, [this.options.lockKey]);
      if (!ok) return { published: 0, locked: true };
      // envelope::text: Postgres hands back the JSON as text, which is published as is.
      const rows: { seq: string; id: string; subject: string; type: string; envelope: string }[] = await em.query(
        `SELECT seq, id, subject, type, envelope::text AS envelope FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
        [this.options.batchSize ?? 256],
      );
      if (rows.length === 0) return { published: 0, locked: false };
      failpoint('relay-before-publish', ...rows.map((r) => r.type));
      // Sent in order on one connection, so JetStream stores them in order; acks awaited together.
      const acks = await Promise.all(
        rows.map((r) => this.js.publish(r.subject, r.envelope, { msgID: r.id, timeout: this.options.publishTimeoutMs ?? 2000 })),
      );
      failpoint('relay-after-publish', ...rows.map((r) => r.type));
      await em.query(`UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])`, [rows.map((r) => r.seq)]);
      rows.forEach((r, i) => {
        if (!acks[i].duplicate) eventsPublished.inc({ type: r.type });
      });
      return { published: rows.length, locked: false };
    });
  }

  private async purge(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < 60_000) return;
    this.lastPurge = now;
    const retention = this.options.retentionMs ?? 24 * 3600_000;
    await this.dataSource.query(
      `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < now() - ($1::bigint * interval '1 millisecond')`,
      [retention],
    );
  }
}
