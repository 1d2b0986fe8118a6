/**
 * Feeds the trail: one durable pull consumer on the event stream (every type, whatever its key)
 * and one on the dead-letter stream. Messages are written by the batch: while one batch
 * commits, the next gathers, so a burst costs a few transactions and a lone event waits for
 * nothing. A message is acknowledged only once its batch has committed; the entry's unique
 * event id makes a redelivered one a no-op, so nothing is lost or doubled, with any number of
 * replicas sharing the consumers.
 *
 * A message that is not a valid event, or travels on a subject not its own, is dead-lettered
 * as every consumer does; the dead letter then comes back through the second consumer and is
 * recorded with its reason.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { Events, parseEvent, type RevisionLandedV1, Subjects, TRAIL_DEAD_LETTER_TYPE } from '@runway/contracts';
import { deadLetter, eventsConsumed, isNotFound, isOutage, subjectMismatch } from '@runway/messaging';
import { NATS_CONNECTION, PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { TrailEnv } from '../config';
import { describeDeadLetter, describeEvent } from './entry';
import { type LandedRevision, type NewEntry, TrailRepository } from './trail.repository';

type Reading = { entry: NewEntry; landed?: LandedRevision } | { refuse: string };
type Readable = { m: JsMsg; reading: Extract<Reading, { entry: NewEntry }> };

@Injectable()
export class IngestService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly taps: StreamTap[] = [];

  constructor(
    @Inject(TrailRepository) private readonly repo: TrailRepository,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(Subjects) private readonly subjects: Subjects,
    @Inject(RUNWAY_ENV) private readonly env: TrailEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const s = this.subjects;
    const common = { nc: this.nc, subjects: s, repo: this.repo, logger: this.logger, batchSize: this.env.TRAIL_BATCH_SIZE, ackWaitMs: this.env.EVENT_ACK_WAIT_MS };
    this.taps.push(
      new StreamTap({ ...common, stream: s.eventStream, filter: s.eventWildcard, durable: 'trail__events', read: (m) => this.readEvent(m) }),
      new StreamTap({ ...common, stream: s.deadLetterStream, filter: s.deadLetterWildcard, durable: 'trail__dead_letters', read: (m) => this.readDeadLetter(m) }),
    );
    for (const tap of this.taps) await tap.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.taps.map((t) => t.stop()));
  }

  private readEvent(m: JsMsg): Reading {
    const parsed = parseEvent(m.data);
    if (!parsed.ok) return { refuse: parsed.reason };
    const e = parsed.event;
    if (e.type !== this.subjects.typeOf(m.subject)) return { refuse: `type: "${e.type}" does not match subject ${m.subject}` };
    const misdirected = subjectMismatch(this.subjects, m.subject, e);
    if (misdirected) return { refuse: misdirected };
    const facts = describeEvent(e);
    const entry: NewEntry = {
      eventId: e.id, type: e.type, time: e.time, source: e.source, subject: e.subject ?? null, actor: facts.actor, reason: e.reason ?? null,
      correlationId: e.correlationid, causationId: e.causationid ?? null, summary: facts.summary, revisions: facts.revisions, hosts: facts.hosts,
      rolloutId: facts.rolloutId, track: facts.track, revno: facts.revno, event: e,
    };
    if (e.type !== Events.RevisionLanded.type) return { entry };
    const d = e.data as RevisionLandedV1;
    return {
      entry,
      landed: {
        sha: d.sha, branch: d.branch, revno: d.revno ?? null, landedAt: d.landedAt, landedWith: d.landedWith ?? null, buildUrl: d.buildUrl ?? null,
        message: d.message ?? null, author: d.author ?? null,
      },
    };
  }

  private readDeadLetter(m: JsMsg): Reading {
    const h = (name: string) => m.headers?.get(name) ?? '';
    const consumer = h('Runway-Consumer') || 'unknown';
    const streamSequence = h('Runway-Stream-Sequence') || String(m.info.streamSequence);
    const facts = describeDeadLetter({
      consumer, reason: h('Runway-Dead-Letter-Reason'), originalSubject: h('Runway-Original-Subject') || m.subject, streamSequence,
      body: new TextDecoder().decode(m.data),
    });
    return {
      entry: {
        eventId: `dlq:${consumer}:${streamSequence}`, type: TRAIL_DEAD_LETTER_TYPE, time: new Date(Number(m.info.timestampNanos / 1_000_000)).toISOString(),
        source: `runway/${consumer.split('__')[0]}`, subject: h('Runway-Original-Subject') || null, actor: facts.actor, reason: null, correlationId: null,
        causationId: null, summary: facts.summary, revisions: [], hosts: [], rolloutId: null, track: null, revno: null, event: facts.event,
      },
    };
  }
}

interface TapOptions {
  nc: NatsConnection;
  subjects: Subjects;
  repo: TrailRepository;
  logger: Logger;
  stream: string;
  filter: string;
  durable: string;
  batchSize: number;
  ackWaitMs: number;
  read(m: JsMsg): Reading;
}

/** One durable consumer whose messages are written in batches (see the file's comment). */
class StreamTap {
  private readonly js: JetStreamClient;
  private buffer: JsMsg[] = [];
  private flushing: Promise<void> | null = null;
  private messages: ConsumerMessages | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: TapOptions) {
    this.js = jetstream(o.nc);
  }

  async start(): Promise<void> {
    await this.ensureConsumer();
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    await this.running;
    await this.flushing;
  }

  private async ensureConsumer(): Promise<void> {
    const jsm = await jetstreamManager(this.o.nc, { checkAPI: false });
    const config = {
      durable_name: this.o.durable, filter_subject: this.o.filter, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.o.ackWaitMs), max_ack_pending: this.o.batchSize * 4, max_deliver: -1,
    };
    try {
      await jsm.consumers.info(this.o.stream, this.o.durable);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await jsm.consumers.add(this.o.stream, config).catch(async (err) => {
        // Another replica made it between our look and our add.
        if (!(await jsm.consumers.info(this.o.stream, this.o.durable).then(() => true, () => false))) throw err;
      });
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const consumer = await this.js.consumers.get(this.o.stream, this.o.durable);
        this.messages = await consumer.consume({ max_messages: this.o.batchSize * 2 });
        failures = 0;
        for await (const m of this.messages) {
          this.buffer.push(m);
          this.kick();
          // Back-pressure: gather no more than two batches while one is written.
          if (this.buffer.length >= this.o.batchSize * 2) await this.flushing;
        }
      } catch (e) {
        if (this.stopped) break;
        failures++;
        this.o.logger.warn({ consumer: this.o.durable, err: (e as Error).message }, 'trail consumer interrupted; resuming');
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** failures, 5000)));
        if (isNotFound(e)) await this.ensureConsumer().catch(() => undefined);
      }
    }
  }

  /** Starts writing what gathered, unless that is under way; what arrives meanwhile is written by the same run, or the next. */
  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      // Messages that arrived after the last look: a message left here would wait for its redelivery.
      if (this.buffer.length) this.kick();
    });
  }

  /**
   * Writes what gathered, a batch at a time, reading the next batch while the last one commits:
   * parsing is this process's work and the commit Postgres's, so they overlap. It looks at the
   * buffer again after the last commit, for what arrived during it.
   */
  private async flush(): Promise<void> {
    let committing: Promise<void> = Promise.resolve();
    for (;;) {
      if (this.buffer.length === 0) {
        await committing;
        if (this.buffer.length === 0) return;
        continue;
      }
      const batch = this.buffer.splice(0, this.o.batchSize);
      const { good, refused } = this.readAll(batch);
      await committing;
      committing = this.write(good, refused);
    }
  }

  private readAll(batch: JsMsg[]): { good: Readable[]; refused: { m: JsMsg; reason: string }[] } {
    const good: Readable[] = [];
    const refused: { m: JsMsg; reason: string }[] = [];
    for (const m of batch) {
      let reading: Reading;
      try {
        reading = this.o.read(m);
      } catch (e) {
        reading = { refuse: `body: cannot be read as an event (${(e as Error)?.message ?? String(e)})` };
      }
      if ('refuse' in reading) refused.push({ m, reason: reading.refuse });
      else good.push({ m, reading });
    }
    return { good, refused };
  }

  /** Writes one batch and acknowledges it; on an outage, leaves it to come back; a message that cannot be written alone is dead-lettered. */
  private async write(good: Readable[], refused: { m: JsMsg; reason: string }[]): Promise<void> {
    for (const r of refused) await this.refuse(r.m, r.reason);
    if (good.length === 0) return;
    try {
      await this.commit(good);
    } catch (e) {
      if (isOutage(e) || good.length === 1) return this.retryLater(good.map((g) => g.m), e);
      // One bad row spoils the statement: write them one by one, so only that one is held back.
      for (const g of good) {
        try {
          await this.commit([g]);
        } catch (err) {
          if (isOutage(err)) this.retryLater([g.m], err);
          else await this.refuse(g.m, `trail could not record it: ${(err as Error)?.message ?? String(err)}`);
        }
      }
    }
  }

  private async commit(good: Readable[]): Promise<void> {
    const fresh = await this.o.repo.transaction((em) =>
      this.o.repo.insert(em, good.map((g) => g.reading.entry), good.flatMap((g) => (g.reading.landed ? [g.reading.landed] : []))),
    );
    for (const { m } of good) m.ack();
    eventsConsumed.inc({ type: 'all', consumer: this.o.durable, outcome: 'applied' }, fresh);
    if (good.length > fresh) eventsConsumed.inc({ type: 'all', consumer: this.o.durable, outcome: 'duplicate' }, good.length - fresh);
  }

  private retryLater(messages: JsMsg[], e: unknown): void {
    this.o.logger.warn({ consumer: this.o.durable, count: messages.length, err: (e as Error)?.message }, 'trail could not write; will retry');
    for (const m of messages) m.nak(1000);
  }

  private async refuse(m: JsMsg, reason: string): Promise<void> {
    // A dead letter that cannot be recorded is not dead-lettered again: it waits, and is retried.
    if (this.o.stream === this.o.subjects.deadLetterStream) return this.retryLater([m], new Error(reason));
    await deadLetter(this.js, this.o.subjects, m, this.o.durable, reason, this.o.logger);
  }
}
