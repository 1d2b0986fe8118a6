/**
 * qa-gate as a whole, in-process. Real: Postgres (own database), NATS JetStream (own
 * namespace), the HTTP stack with auth and validation, the outbox relay and the consumers.
 */
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Events, Subjects } from '@runway/contracts';
import { type RunningService, startService } from '@runway/platform';
import { apiClient, type ApiClient, eventually, randomSha, type ServiceUnderTest, startServiceUnderTest } from '@runway/testing';
import { qaGate } from '../src/definition';

describe('qa-gate', () => {
  let sut: ServiceUnderTest<RunningService>;
  let svc: RunningService;
  let ns: string;
  let nc: NatsConnection;
  let admin: ApiClient;

  beforeAll(async () => {
    sut = await startServiceUnderTest(startService, qaGate);
    ({ svc, admin, namespace: ns } = sut);
    nc = await connect({ servers: process.env.NATS_URL! });
  });
  afterAll(async () => {
    await nc?.close();
    await sut?.close();
  });

  const clientWith = (roles: string[]) => sut.clientWith(roles);

  it('refuses a landing without a token (401) and with a token of the wrong role (403)', async () => {
    const body = { branch: 'stable', sha: randomSha(), message: 'x' };
    const anon = await apiClient(svc.url).post('/revisions', body);
    expect(anon.status).toBe(401);
    expect(anon.body.error).toBe('UNAUTHENTICATED');
    const viewer = await clientWith(['viewer']);
    const res = await viewer.post('/revisions', body);
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/buildbot/);
  });

  it('answers an invalid body with a 400 that names each bad field', async () => {
    const res = await admin.post('/revisions', { branch: 'stable', sha: 'NOT-HEX', revno: -3, surprise: true });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_FAILED');
    expect(res.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['revno', 'sha', 'surprise']);
  });

  it('answers broken JSON with a 400, not a 500', async () => {
    const res = await admin.raw('POST', '/revisions', '{"branch": ');
    expect(res.status).toBe(400);
  });

  it('lands a [no-qa] revision once, makes it deployable and publishes qa-passed', async () => {
    const buildbot = await clientWith(['buildbot']);
    const sha = randomSha();
    const landing = { branch: 'stable', sha, message: 'Tidy the README [no-qa]', author: 'Ada' };
    const first = await buildbot.post('/revisions', landing);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ recorded: true, revno: 1, qaStatus: 'no-qa' });
    const again = await buildbot.post('/revisions', landing);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ recorded: false, revno: 1 });

    const rev = (await admin.get('/revisions?branch=stable')).body.items.find((r: { sha: string }) => r.sha === sha);
    expect(rev).toMatchObject({ revno: 1, qaStatus: 'no-qa', author: 'Ada', reportedBy: 'buildbot' });
    const dep = await eventually(async () => {
      const d = (await admin.get('/deployable')).body;
      return d.deployable ? d : null;
    }, { what: 'deployable' });
    expect(dep.deployable).toEqual({ revno: 1, sha });

    const subjects = new Subjects(ns);
    const stream = await jetstream(nc).streams.get(subjects.eventStream);
    const msg = await eventually(() => stream.getMessage({ last_by_subj: subjects.event(Events.QaPassed.type, 'stable') }).catch(() => null), {
      what: 'qa-passed on the stream',
    });
    const passed = JSON.parse(new TextDecoder().decode(msg.data));
    expect(passed.data).toMatchObject({ branch: 'stable', sha, revno: 1, containsDbRevision: false });
    expect(passed.correlationid).toBeTruthy();

    const all = (await admin.get('/revisions?branch=stable')).body.items;
    expect(all.filter((r: { sha: string }) => r.sha === sha)).toHaveLength(1);
  });

  it('accepts landings published on NATS, and dead-letters one whose revno clashes', async () => {
    const subjects = new Subjects(ns);
    const js = jetstream(nc);
    const event = (sha: string) => ({
      specversion: '1.0', id: randomUUID(), source: 'pqm', type: Events.RevisionLanded.type, time: new Date().toISOString(),
      datacontenttype: 'application/json', correlationid: randomUUID(), data: { branch: 'production-devel', sha, revno: 7, landedAt: new Date().toISOString() },
    });
    const first = event(randomSha());
    const clash = event(randomSha());
    await js.publish(subjects.event(Events.RevisionLanded.type, 'production-devel'), JSON.stringify(first));
    await js.publish(subjects.event(Events.RevisionLanded.type, 'production-devel'), JSON.stringify(clash));
    await eventually(async () => (await admin.get(`/revisions/${first.data.sha}`)).status === 200, { what: 'first landing recorded' });
    const dlq = await jetstream(nc).streams.get(subjects.deadLetterStream);
    const dead = await eventually(() => dlq.getMessage({ last_by_subj: subjects.deadLetter(subjects.event(Events.RevisionLanded.type, 'production-devel')) }).catch(() => null), {
      what: 'dead letter',
    });
    expect(dead.header.get('Runway-Dead-Letter-Reason')).toMatch(/handler rejected the event: r7 on production-devel is already/);
    expect(JSON.parse(new TextDecoder().decode(dead.data)).id).toBe(clash.id);
    expect((await admin.get(`/revisions/${clash.data.sha}`)).status).toBe(404);
  });

  it('answers health, readiness, metrics and the API docs without a token', async () => {
    const anon = apiClient(svc.url);
    expect((await anon.get('/health/live')).status).toBe(200);
    const ready = await anon.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.map((c: { name: string }) => c.name)).toEqual(['postgres', 'nats']);
    const metrics = (await anon.get('/metrics')).body as string;
    expect(metrics).toMatch(/runway_events_published_total\{type="runway.revision.landed.v1"\}/);
    expect(metrics).toMatch(/runway_event_handler_seconds_bucket/);
    expect((await anon.get('/docs/json')).status).toBe(200);
  });

  it('needs at least a viewer token to read', async () => {
    expect((await apiClient(svc.url).get('/revisions')).status).toBe(401);
  });
});
