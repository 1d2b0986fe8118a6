/**
 * One rollout at a time per track (production follows promotions, the QA environments follow
 * the QA tip): what arrives while a rollout deploys waits queued, the newest arrival takes the
 * place of what has not started, and the queued rollout starts when the track is free. Real:
 * Postgres, NATS JetStream, the rollout service in-process with its consumers and scheduler,
 * and real agent processes (see rig.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Events, type QaTipMovedV1 } from '@runway/contracts';
import { eventually, randomSha } from '@runway/testing';
import { deployOf, maxOf, minOf, Rig, sleep, span } from './rig';

describe('rollout: promotions that arrive while a rollout deploys', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start({ ROLLOUT_BATCH_SIZE: '1' });
    // Long enough deploys that twenty promotions land while the first rollout runs, even on a busy machine.
    await Promise.all(['app1', 'app2'].map((h) => rig.addAgent(h, { work: 'sleep 2' })));
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('queue behind it; the newest of a burst goes next with every range, and no server runs the ones in between', async () => {
    const first = randomSha();
    const r1 = await rig.rolloutOf(await rig.promote(first));
    expect(r1.status).toBe('in-progress');

    // Twenty promotions land while the first deploys (app1, then app2: about 4 s).
    const burst = Array.from({ length: 20 }, () => randomSha());
    const ids: string[] = [];
    for (const sha of burst) ids.push(await rig.promote(sha));
    const last = burst[burst.length - 1];
    const done = await rig.waitForStatus((await rig.rolloutOf(ids[ids.length - 1])).id, 'succeeded', 30_000);
    const finished = await rig.get(r1.id);
    expect(finished.status).toBe('succeeded');
    // It waited, queued, for the first to finish; and it carries every promotion's range, for lead time and downtime.
    expect(new Date(done.startedAt!).getTime()).toBeGreaterThanOrEqual(new Date(finished.finishedAt!).getTime());
    expect(done.revisions).toEqual(burst);
    // Each was replaced by the next to arrive, handing its range on.
    for (const [i, id] of ids.slice(0, -1).entries()) {
      const r = await rig.rolloutOf(id);
      expect([r.status, r.deploys.length, r.failure]).toEqual(['superseded', 0, `superseded by ${burst[i + 1].slice(0, 10)}`]);
    }
    for (const host of ['app1', 'app2']) {
      // Two deploys on each server, the first and the last; nothing in between.
      expect([host, rig.lines(host).filter((l) => l.phase === 'start').map((l) => l.sha)]).toEqual([host, [first, last]]);
      // Planned when it started, so it knows what the server ran then.
      expect(deployOf(done, host).previousRevision).toBe(first);
    }
    // The first rollout had reached every server before the next one touched any.
    const firstEnd = maxOf(['app1', 'app2'].map((h) => span(rig.linesFor(h, first)).end));
    const lastStart = minOf(['app1', 'app2'].map((h) => span(rig.linesFor(h, last)).start));
    expect(firstEnd < lastStart).toBe(true);
    expect((await rig.servers()).app2.runningRevision).toBe(last);
  }, 60_000);

  it('a paused rollout holds its track until resumed; then the queued one goes', async () => {
    const a = randomSha();
    const rA = await rig.rolloutOf(await rig.promote(a));
    await eventually(async () => rig.linesFor('app1', a).length > 0, { what: 'the first batch started' });
    expect((await rig.admin.post(`/rollouts/${rA.id}/pause`)).body).toMatchObject({ status: 'paused', pausedFrom: 'in-progress' });

    const b = randomSha();
    const rB = await rig.rolloutOf(await rig.promote(b));
    expect(rB.status).toBe('queued');
    await rig.waitFor(rA.id, (r) => deployOf(r, 'app1').status === 'succeeded', 'the paused rollout finished its batch');
    await sleep(1500); // the scheduler ticks every 100 ms: give a wrong start every chance
    expect({ a: (await rig.get(rA.id)).status, b: (await rig.get(rB.id)).status, ranB: rig.linesFor('app1', b).length }).toEqual({
      a: 'paused', b: 'queued', ranB: 0,
    });

    // An operator can pause the queued one too: it then stays out of the way when the track frees.
    expect((await rig.admin.post(`/rollouts/${rB.id}/pause`)).body).toMatchObject({ status: 'paused', pausedFrom: 'queued' });
    expect((await rig.admin.post(`/rollouts/${rA.id}/resume`)).status).toBe(200);
    await rig.waitForStatus(rA.id, 'succeeded');
    await sleep(800);
    expect((await rig.get(rB.id)).status).toBe('paused');
    expect((await rig.admin.post(`/rollouts/${rB.id}/resume`)).status).toBe(200);
    const doneB = await rig.waitForStatus(rB.id, 'succeeded', 20_000);
    expect(doneB.deploys.map((d) => [d.host, d.previousRevision])).toEqual([['app1', a], ['app2', a]]);
  }, 60_000);
});

describe('rollout: a failed rollout frees its track', () => {
  const rig = new Rig();

  beforeAll(async () => {
    await rig.start();
    // A deploy fails where the test has left a file named after the revision.
    await rig.addAgent('app1', {
      deployCommand: `echo "$RUNWAY_REVISION $(date +%s%N) start" >> "${rig.file('app1')}"; sleep 0.5; test ! -e "${rig.dir}/fail-$RUNWAY_REVISION"`,
    });
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('the promotion queued behind a failed rollout deploys', async () => {
    const bad = randomSha();
    writeFileSync(join(rig.dir, `fail-${bad}`), '');
    const rBad = await rig.rolloutOf(await rig.promote(bad));
    const good = randomSha();
    const rGood = await rig.rolloutOf(await rig.promote(good));
    expect(rGood.status).toBe('queued');
    expect((await rig.waitForStatus(rBad.id, 'failed')).failure).toMatch(/^app1: failed/);
    await rig.waitForStatus(rGood.id, 'succeeded');
    expect((await rig.servers()).app1.runningRevision).toBe(good);
  }, 30_000);
});

describe('rollout: the QA environments are a track of their own', () => {
  const rig = new Rig();
  let revno = 100;
  const tip = (sha: string) => {
    const data: QaTipMovedV1 = { branch: 'stable', sha, revno: ++revno, containsDbRevision: false };
    return rig.publish(Events.QaTipMoved.type, 'stable', data, 'runway/qa-gate');
  };

  beforeAll(async () => {
    await rig.start();
    await rig.addAgent('qa1', { environment: 'qastaging', work: 'sleep 0.8' });
    await rig.addAgent('app1', { work: 'sleep 0.8' });
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('follows the tip one rollout at a time, whatever production does meanwhile', async () => {
    const t1 = randomSha();
    const r1 = await rig.rolloutOf((await tip(t1)).id);
    expect(r1.deploys.map((d) => d.host)).toEqual(['qa1']);
    // Production is not held by the QA track.
    const prod = await rig.rolloutOf(await rig.promote(randomSha()));
    expect(prod.status).toBe('in-progress');

    const tips = [randomSha(), randomSha(), randomSha()];
    const sent = [];
    for (const t of tips) sent.push(await tip(t));
    const r4 = await rig.rolloutOf(sent[2].id);
    await rig.waitForStatus(r4.id, 'succeeded', 20_000);
    expect((await rig.rolloutOf(sent[0].id)).status).toBe('superseded');
    expect((await rig.rolloutOf(sent[1].id)).status).toBe('superseded');
    expect(rig.lines('qa1').filter((l) => l.phase === 'start').map((l) => l.sha)).toEqual([t1, tips[2]]);
    await rig.waitForStatus(prod.id, 'succeeded');
  }, 30_000);
});
