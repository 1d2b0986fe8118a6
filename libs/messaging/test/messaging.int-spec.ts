/**
 * The delivery guarantees of libs/messaging, against real Postgres and NATS JetStream.
 * Real: Postgres (own database), NATS JetStream (own namespace), outbox relay, consumers.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import { type CloudEvent, Events, type RevisionLandedV1 } from '@runway/contracts';
import { durableName } from '@runway/contracts';
import { EventConsumer, silentLogger } from '../src';
import { eventually, randomSha } from '@runway/testing';
import { type Harness, startHarness } from './harness';

function landed(sha = randomSha()): RevisionLandedV1 {
  return { branch: 'stable', sha, landedAt: new Date().toISOString(), message: 'Fix the frobnicator [no-qa]' };
}

function envelope(data: object, id = randomUUID()): CloudEvent<object> {
  return {
    specversion: '1.0', id, source: 'runway/test', type: Events.RevisionLanded.type, time: new Date().toISOString(),
    datacontenttype: 'application/json', correlationid: randomUUID(), data,
  };
}

async function deadLetters(nc: NatsConnection, stream: string): Promise<{ reason: string; subject: string; body: string }[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!m) continue;
    out.push({ reason: m.header.get('Runway-Dead-Letter-Reason'), subject: m.header.get('Runway-Original-Subject'), body: new TextDecoder().decode(m.data) });
  }
  return out;
}

describe('messaging on real Postgres and NATS', () => {
  let h: Harness;
  const consumers: EventConsumer[] = [];

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await h.close();
  });

  function consume(handler: (e: CloudEvent<object>, note: string) => Promise<void> = async () => undefined, opts: { maxDeliveries?: number } = {}) {
    const c = new EventConsumer(
      h.nc,
      h.subjects,
      async (event, ctx) => {
        await ctx.tx!.query(`INSERT INTO effects (event_id, note) VALUES ($1, $2)`, [event.id, (event.data as RevisionLandedV1).sha]);
        await handler(event, (event.data as RevisionLandedV1).sha);
      },
      { service: 'test', type: Events.RevisionLanded.type, dataSource: h.ds, logger: silentLogger, ...opts },
    );
    consumers.push(c);
    return c;
  }

  it('publishes what the outbox committed, and a consumer applies it once', async () => {
    await consume().start();
    h.relay.start();
    const data = landed();
    await h.ds.transaction((em) => h.outbox.enqueue(em, Events.RevisionLanded, data));
    const effects = await eventually(async () => ((await h.effects()).length === 1 ? h.effects() : null), { what: 'effect' });
    expect(effects[0].note).toBe(data.sha);
    expect(await h.relay.pending()).toBe(0);
  });

  it('applies an event published twice only once, even past the duplicate window (inbox)', async () => {
    await consume().start();
    const js = jetstream(h.nc);
    const e = envelope(landed());
    const subject = h.subjects.event(e.type, 'stable');
    // Different msgIDs defeat JetStream's dedupe, as a republish after the window would.
    await js.publish(subject, JSON.stringify(e), { msgID: 'a' });
    await js.publish(subject, JSON.stringify(e), { msgID: 'b' });
    const marker = envelope(landed());
    await js.publish(subject, JSON.stringify(marker), { msgID: 'c' });
    await eventually(async () => (await h.effects()).some((x) => x.event_id === marker.id), { what: 'marker applied' });
    expect((await h.effects()).filter((x) => x.event_id === e.id)).toHaveLength(1);
  });

  it('drops a duplicate publish within the window (Nats-Msg-Id = event id)', async () => {
    const js = jetstream(h.nc);
    const e = envelope(landed());
    const subject = h.subjects.event(e.type, 'stable');
    const first = await js.publish(subject, JSON.stringify(e), { msgID: e.id });
    const second = await js.publish(subject, JSON.stringify(e), { msgID: e.id });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
  });

  it('dead-letters an invalid event with its reason and keeps consuming', async () => {
    await consume().start();
    const js = jetstream(h.nc);
    const subject = h.subjects.event(Events.RevisionLanded.type, 'stable');
    await js.publish(subject, JSON.stringify(envelope({ branch: 'stable', sha: 'not-a-sha', landedAt: 'yesterday' })));
    await js.publish(subject, 'this is not json');
    await js.publish(subject, new Uint8Array([0xff, 0xfe, 0x7b]));
    const good = envelope(landed());
    await js.publish(subject, JSON.stringify(good));
    await eventually(async () => (await h.effects()).some((x) => x.event_id === good.id), { what: 'valid event after bad ones' });
    const dlq = await eventually(async () => {
      const d = await deadLetters(h.nc, h.subjects.deadLetterStream);
      return d.length === 3 ? d : null;
    }, { what: 'three dead letters' });
    expect(dlq[0].reason).toMatch(/data\.sha/);
    expect(dlq[0].reason).toMatch(/data\.landedAt/);
    expect(dlq[1].reason).toMatch(/not JSON/);
    expect(dlq[2].reason).toMatch(/UTF-8/);
    expect(dlq.every((d) => d.subject === subject)).toBe(true);
    expect(await h.effects()).toHaveLength(1);
    // Terminated, not left waiting: nats-server 2.9 ignored "+TERM <reason>", so the consumer
    // kept the dead-lettered messages unacknowledged until they ran out of deliveries.
    const jsm = await jetstreamManager(h.nc);
    const consumerName = durableName('test', Events.RevisionLanded.type);
    await eventually(async () => {
      const info = await jsm.consumers.info(h.subjects.eventStream, consumerName);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, { what: 'nothing left unacknowledged', timeoutMs: 8000 });
  });

  it("dead-letters an event published on another key's subject, naming both, and applies nothing", async () => {
    await consume().start();
    const js = jetstream(h.nc);
    const misdirected = envelope(landed());
    const elsewhere = h.subjects.event(Events.RevisionLanded.type, 'production-devel');
    await js.publish(elsewhere, JSON.stringify(misdirected));
    const good = envelope(landed());
    await js.publish(h.subjects.event(Events.RevisionLanded.type, 'stable'), JSON.stringify(good));
    await eventually(async () => (await h.effects()).some((x) => x.event_id === good.id), { what: 'the well-addressed event applied' });
    const [dead] = await eventually(async () => {
      const d = await deadLetters(h.nc, h.subjects.deadLetterStream);
      return d.length === 1 ? d : null;
    }, { what: 'one dead letter' });
    expect(dead.subject).toBe(elsewhere);
    expect(JSON.parse(dead.body).id).toBe(misdirected.id);
    expect(dead.reason).toBe(`subject: ${elsewhere} is not the subject of this event's key stable (${h.subjects.event(Events.RevisionLanded.type, 'stable')})`);
    expect((await h.effects()).map((x) => x.event_id)).toEqual([good.id]);
  });

  it('retries a failing handler with back-off, applying the effect once it succeeds', async () => {
    let calls = 0;
    await consume(async () => {
      calls++;
      if (calls < 3) throw new Error('transient');
    }).start();
    const js = jetstream(h.nc);
    const e = envelope(landed());
    await js.publish(h.subjects.event(e.type, 'stable'), JSON.stringify(e));
    await eventually(async () => (await h.effects()).length === 1, { what: 'applied after retries' });
    expect(calls).toBe(3);
    // The failed attempts rolled back with their transactions: one effect, one inbox row.
    const [{ n }] = await h.ds.query(`SELECT count(*)::int AS n FROM inbox`);
    expect(n).toBe(1);
  });

  it('dead-letters a poison event at once, and one that keeps failing after max deliveries', async () => {
    await consume(async (_e, sha) => {
      if (sha.startsWith('00')) throw Object.assign(new Error('revision belongs to no branch'), { retryable: false });
      if (sha.startsWith('ff')) throw new Error('always broken');
    }, { maxDeliveries: 2 }).start();
    const js = jetstream(h.nc);
    const poison = envelope(landed('00' + randomSha().slice(2)));
    const broken = envelope(landed('ff' + randomSha().slice(2)));
    await js.publish(h.subjects.event(poison.type, 'stable'), JSON.stringify(poison));
    await js.publish(h.subjects.event(broken.type, 'stable'), JSON.stringify(broken));
    const dlq = await eventually(async () => {
      const d = await deadLetters(h.nc, h.subjects.deadLetterStream);
      return d.length === 2 ? d : null;
    }, { what: 'two dead letters', timeoutMs: 15_000 });
    const reasons = dlq.map((d) => d.reason).join('\n');
    expect(reasons).toMatch(/handler rejected the event: revision belongs to no branch/);
    expect(reasons).toMatch(/gave up after 2 deliveries: always broken/);
    expect(await h.effects()).toHaveLength(0);
  });

  it('publishes events in the order their transactions committed', async () => {
    await consume().start();
    h.relay.start();
    const shas = Array.from({ length: 50 }, () => randomSha());
    for (const sha of shas) await h.ds.transaction((em) => h.outbox.enqueue(em, Events.RevisionLanded, landed(sha)));
    await eventually(async () => (await h.effects()).length === 50, { what: '50 effects' });
    expect((await h.effects()).map((e) => e.note)).toEqual(shas);
  });

  it('refuses to enqueue an event whose payload breaks its contract', async () => {
    await expect(
      h.ds.transaction((em) => h.outbox.enqueue(em, Events.RevisionLanded, { branch: 'stable', sha: 'xyz' } as RevisionLandedV1)),
    ).rejects.toThrow(/data\.sha/);
    expect(await h.relay.pending()).toBe(0);
  });
});
