/**
 * The eight ways rollout used to break its promises (issue 14), each replayed against the real
 * service and real agent processes: cowboys judged by ancestry (a manual rollback, a fix inside
 * a merge, on production and on QA), holds decided at every batch, deadlines and cancel,
 * catch-up and drift, lead time with held servers and failed rollouts, cowboy hygiene, and the
 * preflight's environment. See rig.ts for what is real.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Events, type QaTipMovedV1, type RevisionLandedV1 } from '@runway/contracts';
import { eventually, randomSha, TEST_ADMIN_TOKEN } from '@runway/testing';
import { deployOf, Rig, type Rollout, sleep, tomorrowAt } from './rig';

/** A deploy command that logs as rig.ts's does, and fails for `broken`. */
const failingFor = (rig: Rig, host: string, broken: string) => {
  const f = rig.file(host);
  return `echo "$RUNWAY_REVISION $(date +%s%N) start" >> "${f}"; [ "$RUNWAY_REVISION" != "${broken}" ] || exit 1; sleep 0.2; echo "$RUNWAY_REVISION $(date +%s%N) end" >> "${f}"`;
};

const OPEN = ['queued', 'waiting-window', 'preflight', 'in-progress', 'paused', 'blocked'];

/** qa-gate's `revision-landed` for a first-parent commit of stable (a merge lists what it brought). */
function land(rig: Rig, sha: string, revno: number, brings: string[] = []) {
  const data: RevisionLandedV1 = { branch: 'stable', sha, revno, landedAt: new Date().toISOString(), ...(brings.length ? { brings } : {}) };
  return rig.publish(Events.RevisionLanded.type, 'stable', data, 'runway/qa-gate');
}

interface Cowboy { id: string; host: string; status: string; patchHash: string; retiredReason: string | null; retiredByRevision: string | null }

async function cowboy(rig: Rig, host: string, patchHash: string, policy: 'hold' | 'carry', fixedBy?: string): Promise<string> {
  const res = await rig.admin.post('/cowboys', { hosts: [host], patchHash, reason: `patched ${host} by hand`, policy, ...(fixedBy ? { fixedBy } : {}) });
  expect(res.status).toBe(201);
  return res.body[0].id;
}

async function cowboyById(rig: Rig, id: string): Promise<Cowboy> {
  return ((await rig.admin.get('/cowboys')).body as Cowboy[]).find((c) => c.id === id)!;
}

async function rollouts(rig: Rig): Promise<Rollout[]> {
  return (await rig.admin.get('/rollouts?limit=500')).body as Rollout[];
}

/** Waits until the rollout has ended, whatever the end. */
function ended(rig: Rig, id: string, timeoutMs?: number): Promise<Rollout> {
  return rig.waitFor(id, (r) => !OPEN.includes(r.status), 'rollout ended', timeoutMs);
}

/** Waits until `host` runs `sha`, by what the agent reports. */
function runs(rig: Rig, host: string, sha: string, timeoutMs = 20_000) {
  return eventually(async () => (await rig.servers())[host]?.runningRevision === sha, { what: `${host} runs ${sha.slice(0, 8)}`, timeoutMs });
}

describe('defects 1 and 2: a cowboy retires only when its server runs a revision that contains its fix, by ancestry', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.start({ ROLLOUT_CATCH_UP_RETRY_SECONDS: '1' });
    await rig.addAgent('app1');
    await rig.addAgent('qa1', { environment: 'qastaging' });
    await eventually(async () => Object.keys(await rig.servers()).length === 2, { what: 'two agents registered' });
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('1: a manual rollback to a revision older than the fix keeps the hold cowboy, and the server held', async () => {
    const old = randomSha();
    const fix = randomSha();
    await land(rig, old, 10);
    await land(rig, fix, 20);
    await rig.waitForStatus((await rig.rolloutOf(await rig.promoteAt(old, 10))).id, 'succeeded');
    await rig.waitForStatus((await rig.rolloutOf(await rig.promoteAt(fix, 20))).id, 'succeeded');
    // The operator rolls app1 back by hand, patches it, and asks for the old revision again.
    const back = await rig.admin.post('/rollouts', { revision: old, hosts: ['app1'], reason: 'search regression' });
    expect(back.status).toBe(201);
    await rig.waitForStatus(back.body.id, 'succeeded');
    await runs(rig, 'app1', old);
    const id = await cowboy(rig, 'app1', 'ba5eba11', 'hold', fix);
    const ranBefore = rig.linesFor('app1', old).length;
    const again = await rig.admin.post('/rollouts', { revision: old, hosts: ['app1'], reason: 'redeploy the old revision' });
    expect(again.status).toBe(201);
    const r = await ended(rig, again.body.id);
    // The old revision does not contain the fix: app1 is held by its cowboy, and the cowboy stays.
    expect(r.skipped).toEqual([{ host: 'app1', reason: expect.stringMatching(/cowboy ba5eba11/) }]);
    expect(rig.linesFor('app1', old)).toHaveLength(ranBefore);
    expect(await cowboyById(rig, id)).toMatchObject({ status: 'applied', retiredReason: null });
  });

  it('2: a fix that reached stable inside a merge retires the cowboy on production, though no promotion lists it', async () => {
    const branchFix = randomSha();
    const merge = randomSha();
    const tip = randomSha();
    const id = await cowboy(rig, 'app1', 'feedface01', 'hold', branchFix);
    await land(rig, merge, 30, [randomSha(), branchFix]);
    await land(rig, tip, 31);
    const r = await rig.waitForStatus((await rig.rolloutOf(await rig.promote(tip, 'no-downtime', [{ sha: tip, db: false }], 31))).id, 'succeeded');
    expect(deployOf(r, 'app1').status).toBe('succeeded');
    const retired = await eventually(async () => {
      const c = await cowboyById(rig, id);
      return c.status === 'retired' ? c : null;
    }, { what: 'cowboy fixed inside a merge retired' });
    expect(retired.retiredReason).toMatch(/now runs on app1/);
  });

  it('2: on the QA track, a QA server whose cowboy is fixed inside a merge gets the tip, and the cowboy retires', async () => {
    const branchFix = randomSha();
    const merge = randomSha();
    const tip = randomSha();
    const id = await cowboy(rig, 'qa1', 'decaf0001', 'hold', branchFix);
    await land(rig, merge, 40, [branchFix]);
    await land(rig, tip, 41);
    const data: QaTipMovedV1 = { branch: 'stable', sha: tip, revno: 41, containsDbRevision: false };
    await rig.publish(Events.QaTipMoved.type, 'stable', data, 'runway/qa-gate');
    await runs(rig, 'qa1', tip);
    const retired = await eventually(async () => {
      const c = await cowboyById(rig, id);
      return c.status === 'retired' ? c : null;
    }, { what: 'QA cowboy retired' });
    expect(retired.retiredReason).toMatch(/now runs on qa1/);
  });
});

describe('defect 3: holds and hold cowboys are decided at every batch', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.start({ ROLLOUT_CATCH_UP_RETRY_SECONDS: '3600' });
    await rig.addAgent('canary1', { wave: 'canary', work: 'sleep 3' });
    await rig.addAgent('app2', { wave: 'lpnet' });
    await rig.addAgent('app3', { wave: 'lpnet' });
    await eventually(async () => Object.keys(await rig.servers()).length === 3, { what: 'three agents registered' });
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('skips a server held, and one given a hold cowboy, while the first batch deploys', async () => {
    const sha = randomSha();
    const r0 = await rig.rolloutOf(await rig.promote(sha));
    await eventually(async () => rig.linesFor('canary1', sha).length > 0, { what: 'the canary batch deploying' });
    expect((await rig.admin.put('/servers/app2/hold', { reason: 'disk check' })).status).toBe(200);
    await cowboy(rig, 'app3', 'abad1dea', 'hold');
    const r = await rig.waitForStatus(r0.id, 'succeeded');
    expect(deployOf(r, 'canary1').status).toBe('succeeded');
    expect(new Map(r.skipped.map((s) => [s.host, s.reason]))).toEqual(new Map([
      ['app2', expect.stringMatching(/held: disk check/)],
      ['app3', expect.stringMatching(/cowboy abad1dea/)],
    ]));
    expect(rig.linesFor('app2', sha)).toEqual([]);
    expect(rig.linesFor('app3', sha)).toEqual([]);
  });
});

describe('defect 4: a deploy with no report within its deadline fails; operators cancel and deregister', () => {
  const rig = new Rig();
  const dying = randomSha();
  const slow = randomSha();
  beforeAll(async () => {
    await rig.start({ ROLLOUT_DEPLOY_DEADLINE_SECONDS: '5', ROLLOUT_CATCH_UP_RETRY_SECONDS: '3600' });
    await rig.addAgent('app1', { work: `if [ "$RUNWAY_REVISION" = "${dying}" ]; then sleep 60; else sleep 0.2; fi` });
    await rig.addAgent('app2', { work: `if [ "$RUNWAY_REVISION" = "${slow}" ]; then sleep 4; else sleep 0.2; fi` });
    await eventually(async () => Object.keys(await rig.servers()).length === 2, { what: 'two agents registered' });
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('fails the rollout of a server that died mid-deploy, and frees its track', async () => {
    const r0 = await rig.rolloutOf(await rig.promote(dying));
    await eventually(async () => rig.linesFor('app1', dying).length > 0, { what: 'app1 deploying' });
    rig.agents.get('app1')!.kill('SIGKILL');
    const failed = await rig.waitForStatus(r0.id, 'failed', 20_000);
    expect(deployOf(failed, 'app1')).toMatchObject({ status: 'failed', outputTail: expect.stringMatching(/no report from app1 within 5 s/) });
    // app1 is gone for good: deregistered, it is in no rollout any more.
    const gone = await rig.admin.post('/servers/app1/deregister', { reason: 'host decommissioned' });
    expect(gone.status).toBe(200);
    expect(Object.keys(await rig.servers())).toEqual(['app2']);
    const listed = (await rig.admin.get('/servers?deregistered=include')).body.find((x: { host: string }) => x.host === 'app1');
    expect(listed).toMatchObject({ deregisteredBy: expect.any(String), deregisteredAt: expect.any(String), desiredRevision: null });
    const next = randomSha();
    const r1 = await rig.waitForStatus((await rig.rolloutOf(await rig.promote(next))).id, 'succeeded');
    expect(r1.deploys.map((d) => d.host)).toEqual(['app2']);
  }, 60_000);

  it('cancels a rollout with a reason, and the next promotion deploys', async () => {
    const r0 = await rig.rolloutOf(await rig.promote(slow));
    await eventually(async () => rig.linesFor('app2', slow).length > 0, { what: 'app2 deploying' });
    const noReason = await rig.admin.post(`/rollouts/${r0.id}/cancel`, {});
    expect(noReason.status).toBe(400);
    const cancelled = await rig.admin.post(`/rollouts/${r0.id}/cancel`, { reason: 'wrong build' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelledBy: expect.any(String), failure: expect.stringMatching(/wrong build/) });
    const next = randomSha();
    const r1 = await rig.rolloutOf(await rig.promote(next));
    await rig.waitForStatus(r1.id, 'succeeded', 20_000);
    expect((await rig.get(r0.id)).status).toBe('cancelled');
    expect((await rig.admin.post(`/rollouts/${r0.id}/cancel`, { reason: 'again' })).status).toBe(409);
  }, 60_000);
});

describe('defect 5: released, new and drifted servers are caught up', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.start({ ROLLOUT_CATCH_UP_RETRY_SECONDS: '1' });
    await rig.addAgent('app1');
    await eventually(async () => Object.keys(await rig.servers()).length === 1, { what: 'one agent registered' });
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('gives a newly registered server production-stable in a catch-up rollout', async () => {
    const sha = randomSha();
    await rig.waitForStatus((await rig.rolloutOf(await rig.promote(sha))).id, 'succeeded');
    await rig.addAgent('app2');
    await runs(rig, 'app2', sha);
    const catchUp = (await rollouts(rig)).find((r) => r.cause === 'catch-up' && r.hosts?.includes('app2'));
    expect(catchUp).toMatchObject({ toSha: sha, status: 'succeeded' });
  });

  it('shows a server running what Runway did not put there as drifted, and heals it', async () => {
    const sha = (await rig.servers()).app1.runningRevision!;
    // Someone puts another revision on app2 by hand while it is held.
    expect((await rig.admin.put('/servers/app2/hold', { reason: 'hand work' })).status).toBe(200);
    const other = randomSha();
    await rig.agents.get('app2')!.stop();
    mkdirSync(rig.stateDir('app2'), { recursive: true });
    const state = JSON.parse(readFileSync(join(rig.stateDir('app2'), 'state.json'), 'utf8'));
    writeFileSync(join(rig.stateDir('app2'), 'state.json'), JSON.stringify({ ...state, runningRevision: other }));
    await rig.restartAgent('app2');
    const drifted = await eventually(async () => {
      const s = (await rig.admin.get('/servers')).body.find((x: { host: string }) => x.host === 'app2');
      return s.drift ? s : null;
    }, { what: 'app2 shown drifted' });
    expect(drifted.drift).toMatchObject({ expected: sha, running: other });
    expect(drifted.desiredRevision).toBe(sha);
    expect((await rig.admin.delete('/servers/app2/hold')).status).toBe(204);
    await runs(rig, 'app2', sha);
    await eventually(async () => (await rig.admin.get('/servers')).body.find((x: { host: string }) => x.host === 'app2').drift === null, {
      what: 'drift healed',
    });
  });
});

describe('defect 6: lead time waits for unreachable servers, and carries the revisions of a failed rollout', () => {
  const rig = new Rig();
  const broken = randomSha();
  beforeAll(async () => {
    await rig.start({ ROLLOUT_CATCH_UP_RETRY_SECONDS: '1', AGENT_HEARTBEAT_TIMEOUT_SECONDS: '2' });
    await rig.addAgent('app1', { deployCommand: failingFor(rig, 'app1', broken) });
    await rig.addAgent('app2');
    await eventually(async () => Object.keys(await rig.servers()).length === 2, { what: 'two agents registered' });
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  interface LeadRow { sha: string; deployedAt: string | null; pendingOn?: { host: string; why: string }[] }
  const row = async (sha: string): Promise<LeadRow | undefined> => ((await rig.admin.get('/lead-time')).body.revisions as LeadRow[]).find((r) => r.sha === sha);
  const lastEnd = (sha: string, hosts = ['app1', 'app2']) =>
    Math.max(...hosts.flatMap((h) => rig.linesFor(h, sha).filter((l) => l.phase === 'end').map((l) => Number(l.ns / 1_000_000n))));

  it('is not running everywhere while an unreachable server lacks it; it is once the server is back and caught up', async () => {
    const sha = randomSha();
    await land(rig, sha, 10);
    await rig.agents.get('app2')!.stop();
    await eventually(async () => (await rig.servers()).app2.reachable === false, { what: 'app2 unreachable' });
    const r = await rig.waitForStatus((await rig.rolloutOf(await rig.promoteAt(sha, 10))).id, 'succeeded');
    expect(r.skipped.map((s) => s.host)).toEqual(['app2']);
    await sleep(500);
    expect(await row(sha)).toMatchObject({ deployedAt: null, pendingOn: [{ host: 'app2', why: 'unreachable' }] });
    await rig.restartAgent('app2');
    const done = await eventually(async () => {
      const x = await row(sha);
      return x?.deployedAt ? x : null;
    }, { what: 'running everywhere after the catch-up' });
    expect(Date.parse(done.deployedAt!)).toBeGreaterThanOrEqual(lastEnd(sha) - 5);
  });

  it('stamps the revisions of a failed rollout once a later one runs everywhere', async () => {
    const later = randomSha();
    await land(rig, broken, 20);
    await land(rig, later, 30);
    await rig.waitForStatus((await rig.rolloutOf(await rig.promoteAt(broken, 20))).id, 'failed');
    expect((await row(broken))?.deployedAt ?? null).toBeNull();
    await rig.waitForStatus((await rig.rolloutOf(await rig.promoteAt(later, 30))).id, 'succeeded');
    const carried = await eventually(async () => {
      const x = await row(broken);
      return x?.deployedAt ? x : null;
    }, { what: 'the failed rollout\'s revision running everywhere' });
    // app2 already ran it; the moment app1 ran a revision containing it made it true.
    expect(Date.parse(carried.deployedAt!)).toBeGreaterThanOrEqual(lastEnd(later, ['app1']) - 5);
  });
});

describe('defect 7: carried cowboys survive a rollback; a cowboy the scan no longer finds is retired', () => {
  const rig = new Rig();
  const broken = randomSha();
  let reapplied: string;
  let scanned: string;
  beforeAll(async () => {
    await rig.start({ ROLLOUT_CATCH_UP_RETRY_SECONDS: '3600' });
    reapplied = join(rig.dir, 'reapplied.log');
    scanned = join(rig.dir, 'scan.txt');
    writeFileSync(scanned, 'facade1234 tuned the search cache by hand\n');
    await rig.addAgent('app1', {
      deployCommand: failingFor(rig, 'app1', broken),
      extraEnv: {
        AGENT_COWBOY_REAPPLY_COMMAND: `echo "$RUNWAY_COWBOY_HASH $RUNWAY_REVISION" >> "${reapplied}"`,
        AGENT_ROLLBACK_COMMAND: 'true',
      },
    });
    await rig.addAgent('app2', { extraEnv: { AGENT_COWBOY_SCAN_COMMAND: `cat "${scanned}"` } });
    await eventually(async () => Object.keys(await rig.servers()).length === 2, { what: 'two agents registered' });
  }, 60_000);
  afterAll(() => rig.stop(), 30_000);

  it('re-applies a carried cowboy on the revision a failed deploy rolled back to', async () => {
    await cowboy(rig, 'app1', 'ca77ed01', 'carry');
    const good = randomSha();
    await rig.waitForStatus((await rig.rolloutOf(await rig.promote(good))).id, 'succeeded');
    await rig.waitForStatus((await rig.rolloutOf(await rig.promote(broken))).id, 'failed');
    const lines = () => (existsSync(reapplied) ? readFileSync(reapplied, 'utf8').split('\n').filter(Boolean) : []);
    // Once after the good deploy, and once more after the rollback to it.
    await eventually(async () => lines().filter((l) => l === `ca77ed01 ${good}`).length === 2, { what: 'cowboy re-applied after the rollback' });
    expect(lines()).not.toContain(`ca77ed01 ${broken}`);
  });

  it("retires a cowboy the agent's scan found once the scan no longer finds it", async () => {
    const found = await eventually(async () => ((await rig.admin.get('/cowboys')).body as Cowboy[]).find((c) => c.host === 'app2' && c.status === 'applied'), {
      what: 'scanned cowboy recorded',
    });
    writeFileSync(scanned, '');
    const gone = await eventually(async () => {
      const c = await cowboyById(rig, found.id);
      return c.status === 'retired' ? c : null;
    }, { what: 'scanned cowboy retired' });
    expect(gone.retiredReason).toMatch(/scan on app2 no longer finds it/);
  });
});

describe('defect 8: the preflight sees only the variables named for it', () => {
  const rig = new Rig();
  let envFile: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    process.env.RUNWAY_PREFLIGHT_PROBE = 'passed-through';
    process.env.RUNWAY_ADMIN_TOKEN = TEST_ADMIN_TOKEN;
    process.env.DATABASE_URL ??= 'postgres://root@127.0.0.1:5432/test';
    await rig.start((dir) => {
      envFile = join(dir, 'preflight.env');
      return {
        ROLLOUT_DOWNTIME_WINDOW: 'daily 10:00/60',
        ROLLOUT_PREFLIGHT_COMMAND: `env > "${envFile}"`,
        // Credentials are never passed, even when listed.
        ROLLOUT_PREFLIGHT_ENV: 'RUNWAY_PREFLIGHT_PROBE, RUNWAY_ADMIN_TOKEN, DATABASE_URL',
      };
    });
    await rig.addAgent('app1');
  }, 60_000);
  afterAll(async () => {
    rig.clock.set(null);
    process.env = saved;
    await rig.stop();
  }, 30_000);

  it('runs without the database URL, tokens or NATS settings', async () => {
    rig.clock.set(tomorrowAt(10, 5));
    const sha = randomSha();
    await rig.waitForStatus((await rig.rolloutOf(await rig.promote(sha, 'downtime'))).id, 'succeeded');
    const env = Object.fromEntries(readFileSync(envFile, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env).toMatchObject({ RUNWAY_REVISION: sha, RUNWAY_DEPLOY_KIND: 'downtime', RUNWAY_PREFLIGHT_PROBE: 'passed-through' });
    expect(Object.keys(env).filter((k) => /DATABASE|TOKEN|NATS|^PG/.test(k))).toEqual([]);
    expect(readFileSync(envFile, 'utf8')).not.toContain(TEST_ADMIN_TOKEN);
  });
});
