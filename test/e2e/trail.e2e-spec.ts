/**
 * The trail, end to end through the real services, agents and git: Launchpad's example lands
 * (one build covering four commits), QA marks it, promotion moves production-stable, rollout
 * goes out in two waves, one server fails and rolls back, a cowboy is applied and retired, a
 * flag changes and a server is held while it rolls out, and an operator redeploys the failed
 * server. `GET /story/r6` then tells all of it in order, each step by the one who acted, and
 * `runway story r6` prints it.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dora, Story, StoryStep, TrailPage } from '@runway/contracts';
import { apiClient, type ApiClient, eventually, GitFixture, TEST_ADMIN_TOKEN } from '@runway/testing';
import { issueToken, ROOT } from '../../tools/stack.cjs';
import { type E2eRunway, startRunway } from './harness';

const QA1 = 'qastaging1.example';
const APP1 = 'app1.lpnet.example';
const APP2 = 'app2.lpnet.example';
const APP3 = 'app3.lpnet.example';

describe('the trail: the story of r6 from landing to every server (real processes)', () => {
  let repo: GitFixture;
  let rw: E2eRunway;
  let buildbot: ApiClient;
  let qa: ApiClient;
  let ops: ApiClient;
  let flagEditor: ApiClient;
  let trail: ApiClient;
  let rollout: ApiClient;
  let broken: string;

  beforeAll(async () => {
    repo = new GitFixture();
    rw = await startRunway({ ...repo.serviceEnv(), rollout: { ROLLOUT_WAVES: 'qastaging,edge,canary,lpnet', ROLLOUT_TICK_MS: '250' }, trail: {} });
    broken = join(rw.dir, 'app3-disk-is-broken');
    const token = (service: 'qa-gate' | 'rollout' | 'flags', name: string, roles: string[]) => issueToken(rw.urls[service], TEST_ADMIN_TOKEN, { name, roles });
    buildbot = apiClient(rw.urls['qa-gate'], await token('qa-gate', 'buildbot', ['buildbot']));
    qa = apiClient(rw.urls['qa-gate'], await token('qa-gate', 'Diogo (QA)', ['qa']));
    ops = apiClient(rw.urls.rollout, await token('rollout', 'Ada (ops)', ['operator']));
    flagEditor = apiClient(rw.urls.flags, await token('flags', 'Fay (flags)', ['flag-editor']));
    trail = apiClient(rw.urls.trail, TEST_ADMIN_TOKEN);
    rollout = apiClient(rw.urls.rollout, TEST_ADMIN_TOKEN);
    const log = (host: string) => join(rw.dir, `deployed-${host}.log`);
    const rollback = { AGENT_ROLLBACK_COMMAND: 'echo "back on $RUNWAY_REVISION"' };
    await Promise.all([
      rw.addAgent(QA1, { environment: 'qastaging' }),
      rw.addAgent(APP1, { environment: 'lpnet', extraEnv: { AGENT_WAVE: 'canary', ...rollback } }),
      rw.addAgent(APP2, { environment: 'lpnet', extraEnv: rollback }),
      rw.addAgent(APP3, {
        environment: 'lpnet', extraEnv: rollback,
        deployCommand: `if [ -f "${broken}" ]; then echo "disk full on ${APP3}" >&2; exit 1; fi; echo "$RUNWAY_REVISION" >> "${log(APP3)}"`,
      }),
    ]);
    await eventually(async () => ((await rollout.get('/servers')).body as unknown[]).length === 4 || null, { what: 'four agents registered', timeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await rw?.stop();
    repo?.remove();
  });

  const runningEverywhere = (sha: string) =>
    eventually(async () => {
      const servers: { host: string; runningRevision: string | null }[] = (await rollout.get('/servers')).body;
      return servers.length === 4 && servers.every((s) => s.runningRevision === sha) ? servers : null;
    }, { what: `every server running ${sha.slice(0, 10)}`, timeoutMs: 45_000 });

  it('tells every step of r6 in order, each by the one who acted, and the CLI prints it', async () => {
    repo.checkout('stable');
    const commit = (message: string, file: string) => {
      const sha = repo.commit(message, { [file]: `${message}\n` });
      return { sha, revno: Number(repo.git('rev-list', '--count', '--first-parent', sha)) };
    };
    // r2 goes out first, so production has something to roll back to.
    const r2 = commit('Faster bug search', 'lib/search.py');
    repo.push('stable');
    expect((await buildbot.post('/revisions', { branch: 'stable', sha: r2.sha })).status).toBe(202);
    await eventually(async () => (await qa.patch(`/revisions/${r2.sha}/qa`, { status: 'ok' })).status === 200 || null, { what: 'r2 recorded and marked ok' });
    await runningEverywhere(r2.sha);

    // Launchpad's example: r3 bad, fixed by r6; r4 ok; r5 needs testing; r6 ok. One build covers all four.
    const r3 = commit('Show the bug heat', 'lib/heat.py');
    const r4 = commit('New PPA page', 'lib/ppa.py');
    const r5 = commit('Archive old builds', 'lib/archive.py');
    const r6 = commit('Fix the bug heat [rollback=3]', 'lib/heat.py');
    repo.push('stable');
    expect([r3.revno, r4.revno, r5.revno, r6.revno]).toEqual([3, 4, 5, 6]);
    expect((await buildbot.post('/revisions', { branch: 'stable', sha: r6.sha, buildUrl: 'https://buildbot.example/builders/stable/builds/77' })).status).toBe(202);
    await eventually(async () => (await qa.get(`/revisions/${r3.sha}`)).status === 200 || null, { what: 'r3..r6 read from git' });
    expect((await qa.patch(`/revisions/${r3.sha}/qa`, { status: 'bad', note: 'heat map shows every bug as hot' })).status).toBe(200);
    expect((await qa.patch(`/revisions/${r4.sha}/qa`, { status: 'ok' })).status).toBe(200);
    expect((await qa.patch(`/revisions/${r6.sha}/qa`, { status: 'ok', note: 'heat map right on qastaging' })).status).toBe(200);

    // Before r6 goes out: a cowboy on app2 that r6 fixes, and app3's disk fills.
    const cowboy = await ops.post('/cowboys', { hosts: [APP2], patchHash: 'c0ffee0123', reason: 'hot fix for the heat map', fixedBy: r6.sha, policy: 'hold' });
    expect(cowboy.status).toBe(201);
    writeFileSync(broken, 'yes');

    // The last mark: r6 is deployable, promoted, and rolled out; app3 fails and rolls back.
    expect((await qa.patch(`/revisions/${r5.sha}/qa`, { status: 'ok' })).status).toBe(200);
    const failed = await eventually(async () => {
      const list: { id: string; toSha: string; status: string; cause: string }[] = (await rollout.get('/rollouts')).body;
      return list.find((r) => r.toSha === r6.sha && r.cause === 'promoted' && r.status === 'failed');
    }, { what: 'the production rollout of r6 failed on app3', timeoutMs: 45_000 });

    // While it is half out: a flag changes, app3 is held and released, and an operator redeploys it.
    expect((await flagEditor.put('/rules', { text: 'bugs.heatmap server.lpnet 10 true\n', comment: 'heat map on for lpnet' })).status).toBe(200);
    expect((await ops.put(`/servers/${APP3}/hold`, { reason: 'disk being replaced' })).status).toBe(200);
    rmSync(broken);
    expect((await ops.delete(`/servers/${APP3}/hold`)).status).toBe(204);
    expect((await ops.post('/rollouts', { revision: r6.sha, hosts: [APP3], reason: 'app3 has a new disk' })).status).toBe(201);
    await runningEverywhere(r6.sha);

    const story: Story = await eventually(async () => {
      const s: Story = (await trail.get('/story/r6')).body;
      return s.times?.runningEverywhere ? s : null;
    }, { what: 'the trail saw r6 run everywhere', timeoutMs: 30_000 });

    expect(story.revision).toMatchObject({ sha: r6.sha, revno: 6, branch: 'stable', landedWith: null, buildUrl: 'https://buildbot.example/builders/stable/builds/77' });
    const times = story.steps.map((s) => Date.parse(s.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const find = (pred: (s: StoryStep) => boolean, what: string) => {
      const i = story.steps.findIndex(pred);
      if (i < 0) throw new Error(`the story lacks ${what}:\n${story.steps.map((s) => `${s.stage} ${s.actor.name}: ${s.summary}`).join('\n')}`);
      return i;
    };
    const data = (s: StoryStep) => (s.event as { data: Record<string, unknown> }).data;
    const by = (name: string) => (s: StoryStep) => s.actor.name === name;
    const steps = {
      landed: find((s) => s.stage === 'landed' && by('buildbot')(s), 'the landing, by buildbot'),
      cowboy: find((s) => s.type.includes('cowboy.applied') && by('Ada (ops)')(s) && s.reason === 'hot fix for the heat map', 'the cowboy, by Ada'),
      marked: find((s) => s.stage === 'qa' && by('Diogo (QA)')(s) && s.actor.roles.includes('qa') && s.reason === 'heat map right on qastaging', 'r6 marked ok by Diogo'),
      passed: find((s) => s.stage === 'qa-passed' && by('runway')(s), 'qa-passed, by runway'),
      promoted: find((s) => s.stage === 'promoted' && by('runway')(s) && /fast-forward, no-downtime/.test(s.summary), 'promoted (fast-forward, no-downtime)'),
      qaRollout: find((s) => s.stage === 'rollout' && data(s).track === 'qa-tip', 'the QA rollout'),
      canary: find((s) => s.type.includes('deploy.reported') && by(APP1)(s) && s.actor.kind === 'agent' && data(s).status === 'succeeded', 'app1 (wave canary) succeeded'),
      app2: find((s) => s.type.includes('deploy.reported') && by(APP2)(s) && data(s).status === 'succeeded', 'app2 succeeded'),
      retired: find((s) => s.type.includes('cowboy.removed') && by('runway')(s) && s.hosts.includes(APP2), 'the cowboy retired, by runway'),
      app3Failed: find((s) => s.type.includes('deploy.reported') && by(APP3)(s) && data(s).status === 'rolled-back' && /disk full/.test(String(data(s).outputTail)), 'app3 rolled back, with its output'),
      rolloutFailed: find((s) => s.stage === 'rollout' && data(s).rolloutId === failed.id && data(s).status === 'failed', 'the rollout failed'),
      flag: find((s) => s.stage === 'flag' && by('Fay (flags)')(s) && s.reason === 'heat map on for lpnet', 'the flag change, by Fay'),
      held: find((s) => s.stage === 'server' && by('Ada (ops)')(s) && data(s).change === 'held' && s.reason === 'disk being replaced', 'app3 held by Ada'),
      released: find((s) => s.stage === 'server' && data(s).change === 'released', 'app3 released'),
      redeploy: find((s) => s.stage === 'rollout' && data(s).cause === 'manual' && by('Ada (ops)')(s) && s.reason === 'app3 has a new disk', 'the redeploy, by Ada'),
      app3Ok: find((s) => s.type.includes('deploy.reported') && by(APP3)(s) && data(s).status === 'succeeded', 'app3 succeeded'),
      everywhere: find((s) => s.stage === 'everywhere' && by('runway')(s), 'running everywhere'),
    };
    const order = Object.entries(steps).sort(([, a], [, b]) => a - b).map(([k]) => k);
    // Causes come before what they cause (the cowboy and the QA rollout may fall anywhere before the production rollout).
    const before = (a: keyof typeof steps, b: keyof typeof steps) => expect([a, steps[a] < steps[b]]).toEqual([a, true]);
    before('landed', 'marked');
    before('marked', 'passed');
    before('passed', 'promoted');
    before('cowboy', 'promoted');
    before('landed', 'qaRollout');
    before('promoted', 'canary');
    before('canary', 'app2');
    before('app2', 'retired');
    before('app3Failed', 'rolloutFailed');
    before('rolloutFailed', 'flag');
    before('flag', 'held');
    before('held', 'released');
    before('released', 'redeploy');
    before('redeploy', 'app3Ok');
    before('app3Ok', 'everywhere');
    expect(order[order.length - 1]).toBe('everywhere');
    // r6 went out with r3, r4 and r5, and lead time ends when app3 got it.
    expect(story.leadTime.total).toBeGreaterThan(0);
    expect(Date.parse(story.times.runningEverywhere!)).toBeGreaterThanOrEqual(Date.parse(story.steps[steps.app3Ok].time));
    // r3's story is carried by the same rollouts, and its landing names the build that covered it.
    const r3Story: Story = (await trail.get(`/story/${r3.sha.slice(0, 9)}`)).body;
    expect(r3Story.revision).toMatchObject({ revno: 3, landedWith: r6.sha });
    expect(r3Story.steps.some((s) => s.stage === 'qa' && s.actor.name === 'Diogo (QA)' && data(s).to === 'bad')).toBe(true);

    // Who did what: Ada's acts, newest first (her redeploy went out within her request: queued, started, app3 asked).
    const ada: TrailPage = (await trail.get(`/trail?actor=${encodeURIComponent('Ada (ops)')}`)).body;
    expect(ada.entries.map((e) => e.summary.replace(/[0-9a-f]{10}/g, '<sha>'))).toEqual([
      `deploy of <sha> to ${APP3} requested (lpnet, batch 1, no-downtime)`,
      'manual rollout of <sha> (manual, no-downtime) in-progress, batch 1 of 1',
      'manual rollout of <sha> (manual, no-downtime) queued',
      `${APP3} released by Ada (ops)`,
      `${APP3} held by Ada (ops): disk being replaced`,
      `cowboy <sha> applied on ${APP2} by Ada (ops) (hold, fixed by <sha>): hot fix for the heat map`,
    ]);

    // DORA from the same trail: three production changes (r2, r6, the redeploy); r2's was patched by
    // the cowboy before the next deployment, r6's failed; r2..r6 ran everywhere.
    // (The redeploy's end may reach the trail a moment after its running everywhere.)
    const dora: Dora = await eventually(async () => {
      const d: Dora = (await trail.get('/dora')).body;
      return d.changeFailureRate?.changes === 3 ? d : null;
    }, { what: 'the redeploy finished in the trail' });
    expect(dora.changeFailureRate).toMatchObject({ changes: 3, failed: 2 });
    expect(dora.changeFailureRate.failures.map((f) => [f.revno, f.why])).toEqual([[2, 'cowboy'], [6, 'failed']]);
    expect(dora.deploymentFrequency.deployments).toBe(2);
    expect(dora.leadTimeForChanges.revisions.map((r) => r.revno)).toEqual([2, 3, 4, 5, 6]);
    expect(dora.timeToRestore.restorations.every((r) => r.restoredBy === r3.sha || r.restoredBy === r6.sha || r.restoredBy === null)).toBe(true);
    const metrics = await (await fetch(`${rw.urls.trail}/metrics`)).text();
    expect(metrics).toMatch(/^runway_dora_change_failure_rate 0\.666/m);
    expect(metrics).toMatch(/^runway_dora_lead_time_seconds\{quantile="0\.9"\} \d/m);

    // The CLI prints the same story.
    const cli = spawnSync(process.execPath, [join(ROOT, 'apps', 'cli', 'dist', 'main.js'), 'story', 'r6'], {
      encoding: 'utf8', env: { ...process.env, RUNWAY_TRAIL_URL: rw.urls.trail, RUNWAY_TOKEN: TEST_ADMIN_TOKEN },
    });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain('r6 ');
    expect(cli.stdout).toMatch(/r6 marked ok by Diogo \(QA\)/);
    expect(cli.stdout).toMatch(new RegExp(`${APP3.replace(/\./g, '\\.')}: deploy of \\w+ rolled-back`));
    expect(cli.stdout).toMatch(/run on every production server/);
    expect(cli.stdout).toMatch(/Ada \(ops\) \(operator\)/);
  }, 240_000);
});
