/**
 * The trail service on real Postgres and NATS JetStream: every event recorded once whatever
 * JetStream redelivers or a producer republishes, bad input dead-lettered and the dead letter
 * recorded with its reason, the record append-only, and retention trimming whole stories.
 */
import { randomUUID } from 'node:crypto';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { type CloudEvent, Events, type EventDefinition, Subjects } from '@runway/contracts';
import { type RunningService, startService } from '@runway/platform';
import { eventually, type ServiceUnderTest, startServiceUnderTest } from '@runway/testing';
import { trail } from '../src/definition';
import { TrailRepository } from '../src/trail/trail.repository';

const sha = () => randomUUID().replace(/-/g, '').padEnd(40, '0');

describe('trail (real Postgres and NATS)', () => {
  let sut: ServiceUnderTest<RunningService>;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let subjects: Subjects;
  let pg: Client;

  beforeAll(async () => {
    sut = await startServiceUnderTest(startService, trail as never);
    subjects = new Subjects(sut.namespace);
    nc = await connect({ servers: process.env.NATS_URL });
    js = jetstream(nc);
    pg = new Client({ connectionString: sut.db.url });
    await pg.connect();
    await pg.query('SET search_path TO trail');
  });

  afterAll(async () => {
    await pg?.end();
    await nc?.drain();
    await sut?.close();
  });

  function event<T extends object>(def: EventDefinition<T>, data: T, over: Partial<CloudEvent<T>> = {}): CloudEvent<T> {
    return {
      specversion: '1.0', id: randomUUID(), source: 'runway/test', type: def.type, time: new Date().toISOString(), datacontenttype: 'application/json',
      correlationid: randomUUID(), data, ...over,
    };
  }

  async function publish<T extends object>(def: EventDefinition<T>, e: CloudEvent<T>, msgID = e.id): Promise<void> {
    await js.publish(subjects.event(def.type, def.key(e.data)), JSON.stringify(e), { msgID });
  }

  const count = async (where: string, params: unknown[]) => Number((await pg.query(`SELECT count(*) AS n FROM entries WHERE ${where}`, params)).rows[0].n);

  it('records an event once, with who acted and why, however often it arrives', async () => {
    const rev = sha();
    const e = event(Events.QaStatusChanged, { branch: 'stable', sha: rev, revno: 7, from: 'needs-testing', to: 'ok', by: 'Diogo', note: 'fine on qastaging' }, {
      actor: 'Diogo', actorkind: 'token', actorroles: 'qa', reason: 'fine on qastaging',
    });
    await publish(Events.QaStatusChanged, e);
    await publish(Events.QaStatusChanged, e, `${e.id}-republished`); // past JetStream's duplicate window: only the entry's unique id stops it
    const page = await eventually(async () => {
      const p = (await sut.admin.get(`/trail?revision=${rev}`)).body;
      return p.entries?.length ? p : null;
    }, { what: 'the mark in the trail' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await count('event_id = $1', [e.id])).toBe(1);
    expect(page.entries[0]).toMatchObject({
      id: e.id, actor: { name: 'Diogo', kind: 'token', roles: ['qa'] }, reason: 'fine on qastaging', summary: 'r7 marked ok by Diogo (was needs-testing): fine on qastaging',
    });
    expect((await sut.admin.get('/trail?actor=Diogo&type=qa-status-changed')).body.entries.map((x: { id: string }) => x.id)).toContain(e.id);
  });

  it('dead-letters what is not a valid event, with the reason, and records the dead letter', async () => {
    await js.publish(subjects.event(Events.QaStatusChanged.type, 'stable'), JSON.stringify({ specversion: '1.0', id: 'bad-1', type: Events.QaStatusChanged.type }));
    const dead = await eventually(async () => {
      const p = (await sut.admin.get('/trail?type=dead-letter')).body;
      return p.entries?.find((x: { summary: string }) => x.summary.startsWith('trail__events refused'));
    }, { what: 'the dead letter in the trail' });
    expect(dead.event).toMatchObject({ consumer: 'trail__events', reason: expect.stringMatching(/source/), body: { id: 'bad-1' } });
  });

  it('records a dead letter whose body holds NUL characters (found by the chaos run: it was retried for ever)', async () => {
    const h = headers();
    h.set('Runway-Dead-Letter-Reason', 'body: not JSON');
    h.set('Runway-Consumer', 'rollout__runway_deploy_reported_v1');
    h.set('Runway-Original-Subject', subjects.event(Events.DeployReported.type, 'app1'));
    h.set('Runway-Stream-Sequence', '987654');
    await js.publish(subjects.deadLetter(subjects.event(Events.DeployReported.type, 'app1')), '\u0000\uffff{"note":"\u0000"}', { headers: h });
    const dead = await eventually(async () => {
      const p = (await sut.admin.get('/trail?type=dead-letter&limit=100')).body;
      return p.entries?.find((x: { id: string }) => x.id === 'dlq:rollout__runway_deploy_reported_v1:987654');
    }, { what: 'the NUL dead letter in the trail' });
    expect(dead.event.body).toBe('\ufffd\uffff{"note":"\ufffd"}');
  });

  it('writes a burst in batches, and what trickles in as the last batch commits: 1,020 events, each once', async () => {
    const rev = sha();
    const burst = Array.from({ length: 1020 }, (_, i) => event(Events.DeployReported, {
      deployId: randomUUID(), rolloutId: randomUUID(), host: `app${i % 20}.lpnet`, revision: rev, status: 'succeeded',
    }, { source: `runway/agent/app${i % 20}.lpnet` }));
    await Promise.all(burst.slice(0, 1000).map((e) => publish(Events.DeployReported, e)));
    for (const e of burst.slice(1000)) {
      await publish(Events.DeployReported, e);
      await new Promise((r) => setTimeout(r, 5));
    }
    // Well inside the ack wait (30 s): a message left in the buffer behind the last commit (seen
    // once, in a loaded npm test) would wait for its redelivery and miss this.
    await eventually(async () => (await count('revisions @> ARRAY[$1]', [rev])) === 1020 || null, { what: '1,020 entries', timeoutMs: 10_000 });
    const page = (await sut.admin.get(`/trail?revision=${rev}&server=app3.lpnet&limit=20`)).body;
    expect(page.entries).toHaveLength(20);
    expect(page.entries.every((x: { actor: { name: string; kind: string } }) => x.actor.name === 'app3.lpnet' && x.actor.kind === 'agent')).toBe(true);
    const rest = (await sut.admin.get(`/trail?revision=${rev}&server=app3.lpnet&limit=1000&cursor=${page.next}`)).body;
    expect(rest.entries).toHaveLength(31);
    expect(new Set([...page.entries, ...rest.entries].map((x: { id: string }) => x.id)).size).toBe(51);
  });

  it('is append-only: an update or a delete is refused', async () => {
    await expect(pg.query(`UPDATE entries SET summary = 'rewritten'`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(pg.query(`DELETE FROM entries`)).rejects.toThrow(/append-only: DELETE refused/);
  });

  it('trims old entries a story at a time: a revision with a newer entry keeps its old ones', async () => {
    const kept = sha();
    const gone = sha();
    const old = new Date(Date.now() - 100 * 86_400_000).toISOString();
    const insert = (id: string, time: string, revisions: string[]) =>
      pg.query(
        `INSERT INTO entries (event_id, type, time, source, actor, actor_kind, summary, revisions, event) VALUES ($1, 'runway.test.v1', $2, 'test', 'runway', 'runway', 's', $3, '{}')`,
        [id, time, revisions],
      );
    await insert('old-kept', old, [kept]);
    await insert('new-kept', new Date().toISOString(), [kept]);
    await insert('old-gone', old, [gone]);
    await insert('old-plain', old, []);
    const trimmed = await sut.svc.app.get(TrailRepository).trim(new Date(Date.now() - 30 * 86_400_000));
    expect(trimmed).toBe(2);
    const left = (await pg.query(`SELECT event_id FROM entries WHERE event_id LIKE 'old-%' OR event_id LIKE 'new-%' ORDER BY event_id`)).rows.map((r) => r.event_id);
    expect(left).toEqual(['new-kept', 'old-kept']);
  });

  it('names what it cannot find and refuses what is not a revision', async () => {
    expect((await sut.admin.get('/story/r999999')).status).toBe(404);
    expect((await sut.admin.get('/story/not-a-sha')).body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^revision: /) });
    expect((await sut.admin.get('/trail?cursor=bm9wZQ')).body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^cursor: /) });
    expect((await sut.admin.get('/dora?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z')).body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^until: /) });
  });
});
