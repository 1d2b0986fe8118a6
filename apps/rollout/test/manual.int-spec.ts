/**
 * Operators redeploy or roll back servers to a given revision, now. Real: Postgres, NATS
 * JetStream, the rollout service in-process, real agent processes (see rig.ts).
 */
import { apiClient, randomSha } from '@runway/testing';
import { deployOf, Rig } from './rig';

describe('rollout: redeploy and roll back by hand', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.start();
    await rig.addAgent('app1');
    await rig.addAgent('app2');
  }, 60_000);
  afterAll(() => rig.stop());

  it('rolls one server back to an older revision, and redeploys all of production', async () => {
    const older = randomSha();
    const newer = randomSha();
    await rig.waitForStatus((await rig.rolloutOf(await rig.promote(older))).id, 'succeeded');
    await rig.waitForStatus((await rig.rolloutOf(await rig.promote(newer))).id, 'succeeded');

    const back = await rig.admin.post('/rollouts', { revision: older, hosts: ['app1'], reason: 'search regression in newer' });
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({ cause: 'manual', toSha: older });
    const done = await rig.waitForStatus(back.body.id, 'succeeded');
    expect(deployOf(done, 'app1')).toMatchObject({ revision: older, previousRevision: newer, status: 'succeeded' });
    expect(done.deploys.map((d) => d.host)).toEqual(['app1']);
    const servers = await rig.servers();
    expect(servers.app1.runningRevision).toBe(older);
    expect(servers.app2.runningRevision).toBe(newer);

    const again = await rig.admin.post('/rollouts', { revision: newer, reason: 'put everything on newer again' });
    const all = await rig.waitForStatus(again.body.id, 'succeeded');
    expect(all.deploys.map((d) => d.host).sort()).toEqual(['app1', 'app2']);
    expect((await rig.servers()).app1.runningRevision).toBe(newer);
  });

  it('refuses unknown hosts by name, bad fields, and callers without the operator role', async () => {
    const unknown = await rig.admin.post('/rollouts', { revision: randomSha(), hosts: ['app9'], reason: 'typo' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.message).toMatch(/app9/);
    const bad = await rig.admin.post('/rollouts', { revision: 'HEAD', reason: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['reason', 'revision']);
    const viewer = apiClient(rig.svc.url, (await rig.admin.post('/tokens', { name: 'viewer', roles: ['viewer'] })).body.token);
    expect((await viewer.post('/rollouts', { revision: randomSha(), reason: 'not mine to do' })).status).toBe(403);
  });
});
