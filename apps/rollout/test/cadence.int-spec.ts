/**
 * No-downtime rollouts on a cadence, with an injected clock. Real: Postgres, NATS JetStream,
 * the rollout service in-process with its scheduler, real agent processes (see rig.ts).
 */
import { randomSha } from '@runway/testing';
import { Rig, sleep, tomorrowAt } from './rig';

describe('rollout: daily cadence', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.start({ ROLLOUT_CADENCE: 'daily 09:00' });
    await rig.addAgent('app1');
  }, 60_000);
  afterAll(() => rig.stop());

  it('holds a promotion until the daily slot, then deploys it', async () => {
    rig.clock.set(tomorrowAt(8, 0));
    const sha = randomSha();
    const waiting = await rig.waitForStatus((await rig.rolloutOf(await rig.promote(sha))).id, 'waiting-window');
    expect(new Date(waiting.scheduledFor!)).toEqual(tomorrowAt(9, 0));
    await sleep(500);
    expect(rig.linesFor('app1', sha)).toEqual([]);
    rig.clock.set(tomorrowAt(9, 1));
    await rig.waitForStatus(waiting.id, 'succeeded');
    expect(rig.linesFor('app1', sha).length).toBeGreaterThan(0);
  });
});

describe('rollout: at most every 30 minutes', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.start({ ROLLOUT_CADENCE: 'every 30m' });
    await rig.addAgent('app1');
  }, 60_000);
  afterAll(() => rig.stop());

  it('deploys the first at once, and only the newest of those that come within 30 minutes, at the slot', async () => {
    rig.clock.set(tomorrowAt(8, 0));
    const a = randomSha();
    await rig.waitForStatus((await rig.rolloutOf(await rig.promote(a))).id, 'succeeded');
    rig.clock.set(tomorrowAt(8, 10));
    const b = await rig.rolloutOf(await rig.promote(randomSha()));
    await rig.waitForStatus(b.id, 'waiting-window');
    rig.clock.set(tomorrowAt(8, 20));
    const cSha = randomSha();
    const c = await rig.waitForStatus((await rig.rolloutOf(await rig.promote(cSha))).id, 'waiting-window');
    expect(new Date(c.scheduledFor!)).toEqual(tomorrowAt(8, 30));
    expect((await rig.get(b.id)).status).toBe('superseded');
    rig.clock.set(tomorrowAt(8, 31));
    await rig.waitForStatus(c.id, 'succeeded');
    expect((await rig.servers()).app1.runningRevision).toBe(cSha);
  });
});
