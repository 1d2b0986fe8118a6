/**
 * A deploy's output streams to rollout while it runs. Real: Postgres, NATS JetStream, the
 * rollout service in-process, a real agent process (see rig.ts).
 */
import { randomSha } from '@runway/testing';
import { deployOf, Rig } from './rig';

describe('rollout: deploy progress', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.start();
    await rig.addAgent('app1', { deployCommand: 'for i in 1 2 3 4 5 6; do echo "migrating step $i"; sleep 0.4; done' });
  }, 60_000);
  afterAll(() => rig.stop());

  it('shows what the deploy has printed so far while it runs, and the whole tail after', async () => {
    const r = await rig.rolloutOf(await rig.promote(randomSha()));
    const running = await rig.waitFor(r.id, (x) => deployOf(x, 'app1').status === 'started' && /migrating step [2-4]/.test(deployOf(x, 'app1').outputTail ?? ''), 'output while running');
    expect(deployOf(running, 'app1').outputTail).not.toMatch(/step 6/);
    const done = await rig.waitForStatus(r.id, 'succeeded');
    expect(deployOf(done, 'app1').outputTail).toMatch(/migrating step 1[\s\S]*migrating step 6/);
  });
});
