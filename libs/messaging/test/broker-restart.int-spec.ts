/**
 * The plumbing rides out a NATS crash. Real: a nats-server of this test's own (file storage),
 * SIGKILLed and restarted mid-stream; real Postgres; the outbox relay and a consumer.
 */
import { Events, type RevisionLandedV1 } from '@runway/contracts';
import { eventually, type OwnNatsServer, randomSha, startOwnNatsServer } from '@runway/testing';
import { EventConsumer, silentLogger } from '../src';
import { type Harness, startHarness } from './harness';

describe('NATS killed and restarted', () => {
  let nats: OwnNatsServer;
  let h: Harness;
  let consumer: EventConsumer;

  beforeAll(async () => {
    nats = await startOwnNatsServer();
    h = await startHarness(nats.url);
    consumer = new EventConsumer(
      h.nc,
      h.subjects,
      async (e, ctx) => {
        await ctx.tx!.query(`INSERT INTO effects (event_id, note) VALUES ($1, $2)`, [e.id, (e.data as RevisionLandedV1).sha]);
      },
      { service: 'test', type: Events.RevisionLanded.type, dataSource: h.ds, logger: silentLogger },
    );
    await consumer.start();
    h.relay.start();
  });
  afterAll(async () => {
    await consumer?.stop();
    await h?.close();
    await nats?.stop();
  });

  const land = (sha: string) =>
    h.ds.transaction((em) => h.outbox.enqueue(em, Events.RevisionLanded, { branch: 'stable', sha, landedAt: new Date().toISOString() }));

  it('publishes and consumes everything committed before, during and after the outage, once each', async () => {
    const before = Array.from({ length: 20 }, () => randomSha());
    for (const sha of before) await land(sha);
    await eventually(async () => (await h.effects()).length === 20, { what: 'first 20 applied' });

    await nats.kill();
    // Commits go on while the broker is away: they wait in the outbox.
    const during = Array.from({ length: 20 }, () => randomSha());
    for (const sha of during) await land(sha);
    expect(await h.relay.pending()).toBeGreaterThan(0);

    await nats.start();
    const after = Array.from({ length: 20 }, () => randomSha());
    for (const sha of after) await land(sha);

    await eventually(async () => (await h.effects()).length >= 60, { what: 'all 60 applied', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    const notes = (await h.effects()).map((e) => e.note);
    expect(notes).toHaveLength(60);
    expect(new Set(notes)).toEqual(new Set([...before, ...during, ...after]));
    expect(await h.relay.pending()).toBe(0);
  });
});
