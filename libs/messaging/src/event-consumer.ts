/**
 * One durable JetStream pull consumer for one event type, and what happens to each message:
 *
 *   - it is parsed and validated against the catalogue; a message that is not a valid event,
 *     or that travels on a subject other than its own key's (an agent's heartbeat on another
 *     host's subject, say), goes to the dead-letter stream with the reason, and is terminated;
 *   - with a DataSource, the event id is claimed in the inbox and the handler runs in the same
 *     transaction, so a redelivered event is acknowledged without being applied again;
 *   - success acks; a poison error (the handler says the event can never succeed) dead-letters;
 *     any other error naks with exponential back-off, and after `maxDeliveries` dead-letters,
 *     except that an outage of Postgres or NATS never dead-letters: it only waits.
 *
 * The consumer never throws out of its loop: it logs, backs off and starts again, so a broken
 * message or a restarted NATS server cannot stop it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { DataSource, EntityManager } from 'typeorm';
import { type CloudEvent, durableName, eventDefinitionOf, parseEvent, RUNWAY_ACTOR, Subjects } from '@runway/contracts';
import { runInScope } from './event-context';
import { failpoint } from './failpoint';
import type { MessagingLogger } from './logger';
import { eventsConsumed, eventsDeadLettered, handlerSeconds } from './metrics';
import { isNotFound } from './nats';

export interface EventHandlerContext {
  /** The transaction the inbox claim was made in; write the event's effects with it. */
  tx?: EntityManager;
  subject: string;
  deliveryCount: number;
  streamSequence: number;
  /** Tells JetStream the handler is still busy, so a long handler is not redelivered meanwhile. */
  working(): void;
}

export type EventHandlerFn = (event: CloudEvent<object>, ctx: EventHandlerContext) => Promise<unknown>;

export interface EventConsumerOptions {
  /** Name of the consuming service; with the type it names the durable consumer. */
  service: string;
  type: string;
  /** Only events with this subject key (a host, a branch); all keys when absent. */
  key?: string;
  concurrency?: number;
  ackWaitMs?: number;
  maxDeliveries?: number;
  dataSource?: DataSource;
  /** Events to acknowledge without handling (a service's own, say): no transaction, no inbox row. */
  skip?: (event: CloudEvent<object>) => boolean;
  logger: MessagingLogger;
}

/** True for errors that redelivery can never fix: the event itself is the problem. */
export function isPoison(err: unknown): boolean {
  const e = err as { retryable?: boolean; code?: string; name?: string };
  if (e?.retryable === false) return true;
  if (e?.code === 'INVALID_OUTGOING_EVENT') return true;
  // Postgres class 22: data exceptions (bad input syntax, value out of range, too long).
  const driverCode = (err as { driverError?: { code?: string } })?.driverError?.code ?? (e?.name === 'QueryFailedError' ? e.code : undefined);
  return typeof driverCode === 'string' && driverCode.startsWith('22');
}

const OUTAGE_ERROR_NAMES = new Set(['ConnectionError', 'ClosedConnectionError', 'DrainingConnectionError', 'NoRespondersError', 'TimeoutError']);

/** True for errors that mean Postgres or NATS is away: wait, never give up on the event. */
export function isOutage(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string; driverError?: { code?: string } };
  const code = e?.driverError?.code ?? e?.code ?? '';
  if (/^(08|57P)/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  if (e?.name && OUTAGE_ERROR_NAMES.has(e.name)) return true;
  // node-postgres and pg-pool say these in words only.
  return /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly)/i.test(
    e?.message ?? '',
  );
}

/**
 * Why `event` may not travel on `subject`, or undefined when it may. The subject is what NATS
 * permissions see: an agent allowed to publish only on its own host's subjects must not get to
 * speak for another host by naming it in the payload. So the subject must be exactly the one
 * the catalogue's key of the payload gives.
 */
export function subjectMismatch(subjects: Subjects, subject: string, event: CloudEvent<object>): string | undefined {
  const def = eventDefinitionOf(event.type);
  if (!def) return `type: unknown event type "${event.type}"`;
  let key: string;
  try {
    key = def.key(event.data);
  } catch (e) {
    return `subject: the key of this event cannot be read (${(e as Error)?.message ?? String(e)})`;
  }
  const expected = subjects.event(event.type, key);
  return subject === expected ? undefined : `subject: ${subject} is not the subject of this event's key ${key} (${expected})`;
}

export function backoffMs(deliveryCount: number): number {
  const base = Math.min(250 * 2 ** Math.max(0, deliveryCount - 1), 30_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export class EventConsumer {
  readonly durable: string;
  private readonly js: JetStreamClient;
  private readonly subjects: Subjects;
  private messages: ConsumerMessages | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    subjects: Subjects,
    private readonly handler: EventHandlerFn,
    private readonly options: EventConsumerOptions,
  ) {
    this.subjects = subjects;
    this.durable = durableName(options.service, options.type, options.key);
    this.js = jetstream(nc);
  }

  /** Creates the durable consumer if needed (idempotent), then starts consuming. */
  async start(): Promise<void> {
    await this.ensureConsumer();
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    await this.running;
    await Promise.allSettled([...this.inflight]);
  }

  private get stream(): string {
    return this.subjects.streamOf(this.options.type);
  }

  private get filterSubject(): string {
    return this.options.key ? this.subjects.event(this.options.type, this.options.key) : this.subjects.allOf(this.options.type);
  }

  private async ensureConsumer(): Promise<void> {
    // No account check ($JS.API.INFO): the consumer lookup below fails just as clearly without
    // JetStream, and an agent's NATS user is not allowed to read its account's figures.
    const jsm = await jetstreamManager(this.nc, { checkAPI: false });
    const concurrency = this.options.concurrency ?? 1;
    const config = {
      durable_name: this.durable,
      filter_subject: this.filterSubject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.options.ackWaitMs ?? 30_000),
      max_ack_pending: Math.max(64, concurrency * 8),
      max_deliver: -1,
    };
    try {
      const info = await jsm.consumers.info(this.stream, this.durable);
      if (info.config.ack_wait !== config.ack_wait || info.config.max_ack_pending !== config.max_ack_pending) {
        await jsm.consumers.update(this.stream, this.durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await jsm.consumers.add(this.stream, config);
    }
  }

  private async loop(): Promise<void> {
    const concurrency = this.options.concurrency ?? 1;
    let failures = 0;
    while (!this.stopped) {
      try {
        const consumer = await this.js.consumers.get(this.stream, this.durable);
        this.messages = await consumer.consume({ max_messages: Math.max(concurrency * 2, 16) });
        failures = 0;
        for await (const m of this.messages) {
          while (this.inflight.size >= concurrency) await Promise.race(this.inflight);
          const p = this.process(m).finally(() => this.inflight.delete(p));
          this.inflight.add(p);
        }
      } catch (e) {
        if (this.stopped) break;
        failures++;
        this.options.logger.warn({ consumer: this.durable, err: (e as Error).message }, 'consumer interrupted; resuming');
        await sleep(Math.min(200 * 2 ** failures, 5000));
        if (isNotFound(e)) await this.ensureConsumer().catch(() => undefined);
      }
    }
  }

  private async process(m: JsMsg): Promise<void> {
    const type = this.options.type;
    const consumer = this.durable;
    let parsed: ReturnType<typeof parseEvent>;
    try {
      parsed = parseEvent(m.data);
    } catch (e) {
      // A parser failure must not leave the message un-acked forever: it is not a valid event.
      return this.deadLetter(m, `body: cannot be read as an event (${(e as Error)?.message ?? String(e)})`);
    }
    if (!parsed.ok) return this.deadLetter(m, parsed.reason);
    const event = parsed.event;
    const subjectType = this.subjects.typeOf(m.subject);
    if (event.type !== subjectType) return this.deadLetter(m, `type: "${event.type}" does not match subject ${m.subject}`);
    const misdirected = subjectMismatch(this.subjects, m.subject, event);
    if (misdirected) return this.deadLetter(m, misdirected);
    if (this.options.skip?.(event)) {
      m.ack();
      eventsConsumed.inc({ type, consumer, outcome: 'skipped' });
      return;
    }

    const started = process.hrtime.bigint();
    const ctx: EventHandlerContext = {
      subject: m.subject, deliveryCount: m.info.deliveryCount, streamSequence: m.info.streamSequence, working: () => m.working(),
    };
    try {
      const outcome = await runInScope({ eventId: event.id, correlationId: event.correlationid, eventType: event.type, actor: RUNWAY_ACTOR }, () =>
        this.apply(event, ctx),
      );
      failpoint('consumer-after-commit', type);
      m.ack();
      eventsConsumed.inc({ type, consumer, outcome });
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      if (isPoison(err)) {
        await this.deadLetter(m, `handler rejected the event: ${message}`);
      } else if (!isOutage(err) && m.info.deliveryCount >= (this.options.maxDeliveries ?? 20)) {
        await this.deadLetter(m, `gave up after ${m.info.deliveryCount} deliveries: ${message}`);
      } else {
        eventsConsumed.inc({ type, consumer, outcome: 'retried' });
        this.options.logger.warn(
          { consumer, eventId: event.id, correlationId: event.correlationid, deliveryCount: m.info.deliveryCount, err: message },
          'event handler failed; will retry',
        );
        m.nak(backoffMs(m.info.deliveryCount));
      }
    } finally {
      handlerSeconds.observe({ type, consumer }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async apply(event: CloudEvent<object>, ctx: EventHandlerContext): Promise<'applied' | 'duplicate'> {
    const ds = this.options.dataSource;
    if (!ds) {
      await this.handler(event, ctx);
      return 'applied';
    }
    return ds.transaction(async (tx) => {
      const claimed: unknown[] = await tx.query(
        `INSERT INTO inbox (consumer, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
        [this.durable, event.id, event.type],
      );
      if (claimed.length === 0) return 'duplicate';
      await this.handler(event, { ...ctx, tx });
      return 'applied';
    });
  }

  /** Moves a message to the dead-letter stream with its reason, then terminates it. */
  private async deadLetter(m: JsMsg, reason: string): Promise<void> {
    if (await deadLetter(this.js, this.subjects, m, this.durable, reason, this.options.logger)) {
      eventsDeadLettered.inc({ type: this.options.type, consumer: this.durable });
    }
  }
}

/**
 * Moves a message to the dead-letter stream with the reason and the consumer that refused it
 * (in headers, beside the message as it arrived), then terminates it. If the dead-letter
 * publish fails the message is not dropped: it is nak'ed, to come back later. True once moved.
 */
export async function deadLetter(js: JetStreamClient, subjects: Subjects, m: JsMsg, consumer: string, reason: string, logger: MessagingLogger): Promise<boolean> {
  const h = natsHeaders();
  h.set('Runway-Dead-Letter-Reason', reason.slice(0, 4000).replace(/[\r\n]+/g, ' '));
  h.set('Runway-Consumer', consumer);
  h.set('Runway-Original-Subject', m.subject);
  h.set('Runway-Stream-Sequence', String(m.info.streamSequence));
  h.set('Runway-Delivery-Count', String(m.info.deliveryCount));
  try {
    await js.publish(subjects.deadLetter(m.subject), m.data, { headers: h, msgID: `${consumer}:${m.info.streamSequence}` });
  } catch (e) {
    // Never drop it: leave it on the stream and try again later.
    logger.warn({ consumer, err: (e as Error).message }, 'dead-letter publish failed; will retry');
    m.nak(5000);
    return false;
  }
  // Plain +TERM: nats-server before 2.10 does not read "+TERM <reason>" as a termination and
  // leaves the message unacknowledged. The reason travels in the dead letter's headers.
  m.term();
  logger.warn({ consumer, subject: m.subject, seq: m.info.streamSequence, reason }, 'event dead-lettered');
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
