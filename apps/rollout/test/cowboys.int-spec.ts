/**
 * Cowboys against real agents: a `hold` cowboy keeps its server out until a promotion that
 * contains its fix, and is then retired by itself; a `carry` cowboy is re-applied by the agent.
 * Real: Postgres, NATS JetStream, the rollout service in-process, real agent processes (see rig.ts).
 */
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { Events } from '@runway/contracts';
import { apiClient, eventually, randomSha } from '@runway/testing';
import { deployOf, Rig } from './rig';

describe('rollout: cowboys', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.start();
    await rig.addAgent('app1');
    await rig.addAgent('app2');
    await rig.addAgent('app3', { extraEnv: { AGENT_COWBOY_REAPPLY_COMMAND: `echo "reapply $RUNWAY_COWBOY_HASH $RUNWAY_REVISION" >> "${join(rig.dir, 'reapplied.log')}"` } });
    await eventually(async () => Object.keys(await rig.servers()).length === 3, { what: 'three agents registered' });
  }, 60_000);
  afterAll(() => rig.stop());

  it('keeps a server with a hold cowboy out until its fix is promoted, then retires the cowboy', async () => {
    const recorded = await rig.admin.post('/cowboys', { hosts: ['app1'], patchHash: 'c0ffee0123', reason: 'stop the search OOM', policy: 'hold' });
    expect(recorded.status).toBe(201);
    const cowboyId = recorded.body[0].id;
    expect((await rig.admin.get('/preflight/cowboys')).body).toMatchObject({ clean: false, count: 1, hosts: ['app1'] });

    const first = randomSha();
    const r1 = await rig.waitForStatus((await rig.rolloutOf(await rig.promote(first))).id, 'succeeded');
    expect(r1.skipped).toEqual([{ host: 'app1', reason: expect.stringMatching(/held: cowboy c0ffee0123: stop the search OOM \(no fix known yet\)/) }]);
    expect(deployOf(r1, 'app2').status).toBe('succeeded');
    expect(rig.linesFor('app1', first)).toEqual([]);

    const fix = randomSha();
    expect((await rig.admin.patch(`/cowboys/${cowboyId}`, { fixedBy: fix })).body).toMatchObject({ fixedBy: fix, status: 'applied' });
    const r2 = await rig.waitForStatus((await rig.rolloutOf(await rig.promote(fix))).id, 'succeeded');
    expect(r2.skipped).toEqual([]);
    expect(deployOf(r2, 'app1').status).toBe('succeeded');
    const retired = await eventually(async () => (await rig.admin.get('/cowboys?status=retired')).body.find((c: { id: string }) => c.id === cowboyId), {
      what: 'cowboy retired',
    });
    expect(retired).toMatchObject({ host: 'app1', retiredByRevision: fix, retiredReason: expect.stringMatching(/its fix .* now runs on app1/) });
    expect((await rig.admin.get('/preflight/cowboys')).body).toMatchObject({ clean: true, count: 0 });
    const stream = await jetstream(rig.nc).streams.get(rig.subjects.eventStream);
    const removed = await eventually(() => stream.getMessage({ last_by_subj: rig.subjects.event(Events.CowboyRemoved.type, 'app1') }).catch(() => null), {
      what: 'cowboy-removed on the stream',
    });
    expect(JSON.parse(new TextDecoder().decode(removed.data)).data).toMatchObject({ host: 'app1', patchHash: 'c0ffee0123', retiredByRevision: fix });
  });

  it('deploys over a carry cowboy and has the agent re-apply it', async () => {
    expect((await rig.admin.post('/cowboys', { hosts: ['app3'], patchHash: 'beef000123', reason: 'log more', policy: 'carry' })).status).toBe(201);
    const sha = randomSha();
    const r = await rig.waitForStatus((await rig.rolloutOf(await rig.promote(sha))).id, 'succeeded');
    expect(deployOf(r, 'app3').status).toBe('succeeded');
    const file = join(rig.dir, 'reapplied.log');
    await eventually(async () => existsSync(file) && readFileSync(file, 'utf8').includes(`reapply beef000123 ${sha}`), { what: 'cowboy re-applied' });
    const live = (await rig.admin.get('/cowboys?status=applied')).body.filter((c: { host: string }) => c.host === 'app3');
    expect(live).toEqual([expect.objectContaining({ patchHash: 'beef000123', policy: 'carry', status: 'applied' })]);
  });

  it('records a cowboy an agent found on its server', async () => {
    await rig.publish(Events.CowboyApplied.type, 'app2', { host: 'app2', patchHash: 'da7a5e7123', appliedBy: 'agent app2', detected: true }, 'runway/agent/app2');
    const found = await eventually(async () => (await rig.admin.get('/cowboys')).body.find((c: { patchHash: string }) => c.patchHash === 'da7a5e7123'), {
      what: 'detected cowboy recorded',
    });
    expect(found).toMatchObject({ host: 'app2', detected: true, policy: 'hold', status: 'applied' });
  });

  it("records a patch the agent's scan finds on its server, though nobody told Runway", async () => {
    await rig.addAgent('app4', { extraEnv: { AGENT_COWBOY_SCAN_COMMAND: 'echo "facade1234 tuned the search cache by hand"' } });
    const found = await eventually(async () => (await rig.admin.get('/cowboys')).body.find((c: { host: string }) => c.host === 'app4'), {
      what: 'scanned cowboy recorded',
    });
    expect(found).toMatchObject({ patchHash: 'facade1234', reason: 'tuned the search cache by hand', detected: true, status: 'applied' });
    expect((await rig.admin.get('/preflight/cowboys')).body.hosts).toContain('app4');
  });

  it('names bad fields, and needs the operator role', async () => {
    const bad = await rig.admin.post('/cowboys', { hosts: ['not a host'], patchHash: 'xyz', reason: 'r' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['hosts', 'patchHash', 'reason']);
    const viewer = apiClient(rig.svc.url, (await rig.admin.post('/tokens', { name: 'viewer', roles: ['viewer'] })).body.token);
    expect((await viewer.post('/cowboys', { hosts: ['app1'], patchHash: 'c0ffee9999', reason: 'nope' })).status).toBe(403);
    expect((await viewer.get('/preflight/cowboys')).status).toBe(200);
  });
});
