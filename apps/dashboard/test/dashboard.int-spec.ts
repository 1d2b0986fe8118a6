/**
 * The operator dashboard in real headless Chromium, in front of a whole Runway run as real
 * processes: logging in, a landing appearing live, QA marking it ok and production following,
 * a server's revision changing during a rollout, held servers and cowboys, lead time, a server
 * that drifted, a catch-up rollout for a new server with its deploy's deadline, cancelled from
 * the page and then failed by that deadline, a server deregistered from the page, an approval
 * QA withdraws, production running a bad revision, and a security fix promotion cannot check
 * without a repository, confirmed merged back by an operator.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, eventually, randomSha, TEST_ADMIN_TOKEN, type ApiClient } from '@runway/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { type DashboardRun, logIn, startDashboard } from './dashboard-harness';

describe('operator dashboard (browser, real processes)', () => {
  let run: DashboardRun;
  let operatorToken: string;
  let viewerToken: string;
  let context: BrowserContext;
  let page: Page;
  let qaGate: ApiClient;
  let rollout: ApiClient;
  let promotion: ApiClient;
  /** The Production page, open beside the pipeline from the withdrawal on. */
  let production: Page;
  const landed: { sha: string; revno: number }[] = [];

  /** Short, so a deploy no agent reports fails within the test; a healthy one here takes a second or two. */
  const DEPLOY_DEADLINE_S = 8;

  beforeAll(async () => {
    run = await startDashboard({ rollout: { ROLLOUT_DEPLOY_DEADLINE_SECONDS: String(DEPLOY_DEADLINE_S) } });
    [operatorToken, viewerToken] = await Promise.all([run.token('ada', ['qa', 'operator']), run.token('wallboard', ['viewer'])]);
    qaGate = apiClient(run.rw.urls['qa-gate'], TEST_ADMIN_TOKEN);
    rollout = apiClient(run.rw.urls.rollout, TEST_ADMIN_TOKEN);
    promotion = apiClient(run.rw.urls.promotion, TEST_ADMIN_TOKEN);
    ({ context, page } = await run.newPage());
  }, 180_000);

  afterAll(async () => {
    await run?.stop();
  });

  async function land(message: string): Promise<{ sha: string; revno: number }> {
    const sha = randomSha();
    const res = await qaGate.post('/revisions', { branch: 'stable', sha, message, author: 'Ada Lovelace <ada@example.com>' });
    expect(res.status).toBe(202);
    landed.push({ sha, revno: res.body.revno });
    return { sha, revno: res.body.revno };
  }

  it('refuses an unknown token, then logs in with the keyboard into a server-side session', async () => {
    const { context: other, page: p } = await run.newPage();
    await p.goto('/');
    await p.getByLabel('API token').fill('not-a-runway-token-at-all');
    await p.getByRole('button', { name: 'Log in' }).click();
    await expect(p.getByRole('alert').textContent()).resolves.toContain('does not know this token');
    await run.screenshot(p, 'login');
    await other.close();
    // The browser logs the refused login (401) as a console error; that one was asked for.
    run.consoleErrors.splice(0, run.consoleErrors.length, ...run.consoleErrors.filter((e) => !/status of 401/.test(e)));

    await page.goto('/');
    // The page paints (the figure is for the log: a timed assertion would only measure the CI machine's load).
    await page.waitForFunction("performance.getEntriesByName('first-contentful-paint').length > 0", undefined, { timeout: 10_000 });
    const firstPaint = Number(await page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime"));
    expect(firstPaint).toBeGreaterThan(0);
    process.stdout.write(`dashboard first contentful paint: ${firstPaint.toFixed(0)} ms\n`);
    await logIn(page, operatorToken);
    expect(new URL(page.url()).pathname).toBe('/pipeline');
    expect(page.url()).not.toContain(operatorToken);

    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'runway_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookies[0].value).not.toContain(operatorToken);
    expect(cookies[0].value.length).toBeGreaterThanOrEqual(40);
    await expect(page.evaluate('document.cookie')).resolves.toBe('');
    // What the page can read about its session holds no token, only what it may do.
    const session = JSON.parse((await page.evaluate("fetch('/auth/session').then((r) => r.text())")) as string);
    expect(session).toEqual({ authenticated: true, capabilities: { qa: true, operator: true, flagEditor: false }, live: true });
    await page.getByTestId('live-state').filter({ hasText: /^Live$/ }).waitFor();
    await expect(page.getByText('Can act as QA, operator').isVisible()).resolves.toBe(true);
  });

  it('proxies the APIs only for a session, and only writes that carry the dashboard header', async () => {
    const anonymous = await fetch(`${run.url}/api/qa-gate/deployable`);
    expect(anonymous.status).toBe(401);
    const [cookie] = await context.cookies();
    const withSession = await fetch(`${run.url}/api/qa-gate/deployable`, { headers: { cookie: `runway_session=${cookie.value}` } });
    expect(withSession.status).toBe(200);
    expect(await withSession.json()).toMatchObject({ branch: 'stable' });
    const forged = await fetch(`${run.url}/api/promotion/locks`, {
      method: 'POST', headers: { cookie: `runway_session=${cookie.value}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'from another site' }),
    });
    expect(forged.status).toBe(403);
    expect((await apiClient(run.rw.urls.promotion, TEST_ADMIN_TOKEN).get('/status')).body.locks).toEqual([]);
    const unknownService = await fetch(`${run.url}/api/tokens/x`, { headers: { cookie: `runway_session=${cookie.value}` } });
    expect(unknownService.status).toBe(404);
    const events = await fetch(`${run.url}/events`);
    expect(events.status).toBe(401);
  });

  it('shows a revision that lands while the page is open, without a reload, and what blocks', async () => {
    await page.getByText('Nothing has landed on stable yet.').waitFor();
    await page.evaluate('window.__sameDocument = true');
    const { revno } = await land('Add the search box');
    const row = page.locator(`li[data-revno="${revno}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expect(row.getAttribute('data-status')).resolves.toBe('needs-testing');
    await expect(row.textContent()).resolves.toContain('Add the search box');
    await expect(row.textContent()).resolves.toContain('tip');
    await page.getByRole('heading', { name: `Blocked at r${revno}` }).waitFor();
    await expect(page.getByTestId('blocker-reason').textContent()).resolves.toMatch(/needs testing/);
    await expect(page.getByRole('button', { name: `Mark r${revno} ok` }).isVisible()).resolves.toBe(true);
    await expect(page.evaluate('window.__sameDocument')).resolves.toBe(true);
  });

  it('hides the QA action from a token that may only read', async () => {
    const { context: wall, page: p } = await run.newPage();
    await logIn(p, viewerToken);
    const revno = landed[0].revno;
    await p.getByRole('heading', { name: `Blocked at r${revno}` }).waitFor();
    await p.getByText('Your token may not set QA status.').waitFor();
    await expect(p.getByRole('button', { name: `Mark r${revno} ok` }).count()).resolves.toBe(0);
    await expect(p.getByText('Read only').isVisible()).resolves.toBe(true);
    await wall.close();
  });

  it('marks the blocker ok: the deployable marker and production-stable move, live on both pages', async () => {
    const { revno, sha } = landed[0];
    const production = await context.newPage();
    production.on('console', (m) => m.type() === 'error' && run.consoleErrors.push(`${production.url()}: ${m.text()}`));
    await production.goto('/production');
    await production.getByTestId('production-stable').filter({ hasText: 'not promoted yet' }).waitFor();
    await production.getByText('Nothing has been promoted yet.').waitFor();

    await page.getByRole('button', { name: `Mark r${revno} ok` }).click();
    const row = page.locator(`li[data-revno="${revno}"]`);
    await row.and(page.locator('[data-status="ok"]')).waitFor();
    await row.getByText('deployable', { exact: true }).waitFor();
    await row.getByText('last promoted', { exact: true }).waitFor({ timeout: 15_000 });
    await expect(page.getByTestId('fact-deployable').textContent()).resolves.toContain(`r${revno} (${sha.slice(0, 10)})`);
    await page.getByTestId('no-blocker').waitFor();

    await production.getByTestId('production-stable').filter({ hasText: `r${revno} (${sha.slice(0, 10)})` }).waitFor({ timeout: 15_000 });
    await production.getByRole('cell', { name: 'qa-passed' }).waitFor();
    await expect(production.getByTestId('automatic-promotion').textContent()).resolves.toContain('on');
    await run.screenshot(production, 'production');
    await production.close();
    const rev = (await qaGate.get(`/revisions/${sha}`)).body;
    expect(rev.history).toEqual(expect.arrayContaining([expect.objectContaining({ toStatus: 'ok', by: 'ada', note: 'set from the dashboard' })]));
  });

  it("shows a server's revision change during a rollout, live", async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByText('No agent has registered yet.').waitFor();
    await run.rw.addAgent('app1.example', {
      deployCommand: `echo "unpacking $RUNWAY_REVISION"; sleep 1; echo "restarting"; echo "$RUNWAY_REVISION" >> "${run.rw.dir}/deployed-app1.example.log"`,
    });
    const runs = page.getByTestId('runs-app1.example');
    await runs.waitFor({ timeout: 15_000 });
    const before = (await runs.textContent())!.trim();
    await page.locator('tr[data-host="app1.example"]').getByText('reachable', { exact: true }).waitFor();

    const { sha, revno } = await land('Speed up the bug listing [no-qa]');
    await runs.filter({ hasText: sha.slice(0, 10) }).waitFor({ timeout: 30_000 });
    expect(before).not.toContain(sha.slice(0, 10));
    await page.getByTestId('rollout-summary').filter({ hasText: `r${revno}` }).filter({ hasText: 'succeeded' }).waitFor({ timeout: 15_000 });
    await page.getByRole('row', { name: /app1\.example/ }).getByText('restarting').first().waitFor();
    await expect(page.getByRole('heading', { name: 'Wave lpnet' }).isVisible()).resolves.toBe(true);
    const heartbeat = await page.locator('tr[data-host="app1.example"] td').nth(3).textContent();
    expect(heartbeat).toMatch(/^\d+(\.\d)? s ago$/);
    expect(run.rw.deployedLines('app1.example')).toContain(sha);
    await run.screenshot(page, 'servers');
  });

  it('holds a server from the servers page; the cowboys page shows it held, and a cowboy recorded meanwhile', async () => {
    await page.getByRole('button', { name: 'Hold app1.example' }).click();
    await page.getByLabel('Reason to hold app1.example').fill('Disk replacement tonight');
    await page.getByRole('button', { name: 'Hold', exact: true }).click();
    await page.locator('tr[data-host="app1.example"]').getByText('held: Disk replacement tonight').waitFor();
    expect((await rollout.get('/servers')).body[0].hold).toMatchObject({ reason: 'Disk replacement tonight', author: 'ada' });

    await page.getByRole('link', { name: 'Cowboys' }).click();
    const held = page.locator('li[data-held-host="app1.example"]');
    await held.waitFor();
    await expect(held.textContent()).resolves.toContain('held by ada: Disk replacement tonight');
    await page.getByText('No cowboy is applied anywhere: production is clean.').waitFor();
    const recorded = await rollout.post('/cowboys', { hosts: ['app1.example'], patchHash: 'abcdef1234567', reason: 'Stop the search OOM until the fix lands', policy: 'hold' });
    expect(recorded.status).toBe(201);
    await page.locator('tr[data-cowboy-host="app1.example"]').getByText('Stop the search OOM until the fix lands').first().waitFor({ timeout: 10_000 });
    await expect(held.textContent()).resolves.toContain('cowboy abcdef1234 (hold)');
    await run.screenshot(page, 'cowboys');
  });

  it('charts lead time per stage with chart.js', async () => {
    await page.getByRole('link', { name: 'Lead time' }).click();
    const total = page.locator('tr[data-stage="landedToDeployed"]');
    await total.waitFor();
    await eventually(async () => Number((await total.locator('td').first().textContent())!.trim()) >= 1, { what: 'a revision deployed, in the table' });
    const chart = page.getByTestId('lead-time-chart');
    await chart.waitFor();
    const box = await chart.boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(200);
    // chart.js drew on the canvas: axes and legend, and the line of the total in its colour (#15803d).
    const pixels = JSON.parse(
      (await page.evaluate(`(() => {
        const c = document.querySelector('[data-testid=lead-time-chart]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let drawn = 0, total = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] > 0) drawn++;
          if (Math.abs(d[i] - 21) < 12 && Math.abs(d[i + 1] - 128) < 12 && Math.abs(d[i + 2] - 61) < 12 && d[i + 3] > 200) total++;
        }
        return JSON.stringify({ drawn, total });
      })()`)) as string,
    );
    expect(pixels.drawn).toBeGreaterThan(2000);
    expect(pixels.total).toBeGreaterThan(20);
    await run.screenshot(page, 'lead-time');
  });

  it('shows drift, a catch-up with its deadline, a cancel and a deadline failure, and deregisters a server, from the servers page', async () => {
    // Someone deploys by hand on app1 (held): its agent comes back reporting a revision Runway did not put there.
    const handDeployed = randomSha();
    const restartApp1 = async () => {
      await run.rw.agents.find((a) => a.name === 'agent app1.example')!.stop();
      const stateFile = join(run.rw.dir, 'agents', 'app1.example', 'state.json');
      writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(readFileSync(stateFile, 'utf8')), runningRevision: handDeployed }));
      await run.rw.addAgent('app1.example');
    };
    // And a new server registers whose deploys run until the test lets them end.
    const go = join(run.rw.dir, 'app2-go');
    const [, app2] = await Promise.all([
      restartApp1(),
      run.rw.addAgent('app2.example', { deployCommand: `echo "fetching $RUNWAY_REVISION"; while [ ! -e "${go}" ]; do sleep 0.2; done; exit 1` }),
    ]);
    try {
      await page.getByRole('link', { name: 'Servers' }).click();
      const drift = page.getByTestId('drift-app1.example');
      await drift.waitFor({ timeout: 15_000 });
      await expect(drift.textContent()).resolves.toMatch(
        new RegExp(`^drifted runs ${handDeployed.slice(0, 10)}, Runway put [0-9a-f]{10} there.*\\. A catch-up rollout puts [0-9a-f]{10} back once its hold ends\\.$`),
      );

      // app2 gets a catch-up rollout of its own, its deploy in flight with a countdown to its deadline.
      const cause = page.getByTestId('rollout-cause');
      await cause.filter({ hasText: 'catch-up for app2.example' }).getByText('app2.example: newly registered').waitFor({ timeout: 15_000 });
      await page.getByTestId('deploying-app2.example').filter({ hasText: /(requested|started) deadline in \d/ }).waitFor();
      const first = (await rollout.get('/rollouts?limit=5')).body.find((r: { cause: string; hosts: string[] | null }) => r.cause === 'catch-up' && r.hosts?.includes('app2.example'));
      expect(first).toMatchObject({ status: 'in-progress', track: 'promoted', hosts: ['app2.example'] });

      // An operator cancels it, with a reason.
      await page.getByRole('button', { name: /^Cancel the rollout of / }).click();
      await page.getByLabel(/^Reason to cancel the rollout of /).fill('app2 is being replaced');
      await page.getByRole('button', { name: 'Cancel rollout', exact: true }).click();
      const cancelled = page.locator(`tr[data-rollout="${first.id}"]`);
      await cancelled.and(page.locator('[data-status="cancelled"]')).waitFor();
      await expect(cancelled.textContent()).resolves.toMatch(/catch-up.*app2\.example.*cancelled.*cancelled by ada: app2 is being replaced/);
      expect((await rollout.get(`/rollouts/${first.id}`)).body).toMatchObject({ status: 'cancelled', cancelledBy: 'ada' });

      // Runway catches app2 up again; no report comes, and rollout fails the deploy at its deadline.
      await page.locator('tr[data-cause="catch-up"][data-status="failed"]').waitFor({ timeout: (DEPLOY_DEADLINE_S + 15) * 1000 });
      await page.getByRole('heading', { name: 'Last rollout' }).waitFor();
      await page.getByRole('alert').filter({ hasText: `no report from app2.example within ${DEPLOY_DEADLINE_S} s: failed` }).waitFor();
      await run.screenshot(page, 'servers-convergence');

      // The server is gone for good: an operator deregisters it.
      await page.getByRole('button', { name: 'Deregister app2.example' }).click();
      await page.getByLabel('Reason to deregister app2.example').fill('Replaced by app3');
      await page.getByRole('button', { name: 'Deregister', exact: true }).click();
      await page.getByTestId('deregistered-app2.example').filter({ hasText: 'app2.example deregistered by ada: Replaced by app3.' }).waitFor();
      const row = page.locator('tr[data-host="app2.example"]');
      await eventually(async () => (await row.getByText('deregistered', { exact: true }).count()) === 1, { what: 'app2 marked deregistered' });
      expect((await rollout.get('/servers')).body.filter((s: { host: string; deregisteredAt?: string | null }) => s.host === 'app2.example' && !s.deregisteredAt)).toEqual([]);
    } finally {
      writeFileSync(go, '');
      await app2.stop();
    }
  });

  it('marks DB revisions, and explains the blocker of the next deployable revision', async () => {
    await page.getByRole('link', { name: 'Pipeline' }).click();
    const sha = randomSha();
    const res = await qaGate.post('/revisions', {
      branch: 'stable', sha, message: 'Index bug subscriptions by person', author: 'Grace Hopper <grace@example.com>',
      files: ['database/schema/patch-2211-01-0.sql', 'lib/lp/bugs/model/bug.py'],
    });
    expect(res.status).toBe(202);
    landed.push({ sha, revno: res.body.revno });
    const row = page.locator(`li[data-revno="${res.body.revno}"]`);
    await row.waitFor();
    await expect(row.getByText('DB', { exact: true }).getAttribute('title')).resolves.toContain('downtime deploy');
    await expect(row.getAttribute('data-status')).resolves.toBe('needs-testing');
    await page.getByRole('heading', { name: `Blocked at r${res.body.revno}` }).waitFor();
    await expect(page.locator('.next-action').textContent()).resolves.toContain(`r${res.body.revno}`);
    // Earlier revisions keep their colour: r2 passed without QA.
    await expect(page.locator(`li[data-revno="${landed[1].revno}"]`).getAttribute('data-status')).resolves.toBe('no-qa');
    await row.getByRole('button').click();
    await page.getByRole('heading', { name: `r${res.body.revno}`, exact: true }).waitFor();
    await expect(page.getByText('changes the schema (downtime deploy)').isVisible()).resolves.toBe(true);
    await run.screenshot(page, 'pipeline');
  });

  it('withdraws an approval QA takes back, live on the production page', async () => {
    const db = landed[2];
    expect((await promotion.post('/locks', { reason: 'Release meeting' })).status).toBe(201);
    production = await context.newPage();
    production.on('console', (m) => m.type() === 'error' && run.consoleErrors.push(`${production.url()}: ${m.text()}`));
    await production.goto('/production');
    await production.getByText('None: QA has not taken an approval back.').waitFor();

    // QA passes the DB revision from the pipeline; promotion is locked, so the approval waits.
    await page.getByRole('button', { name: `Mark r${db.revno} ok` }).click();
    const waiting = production.getByRole('row', { name: new RegExp(`^r${db.revno} `) });
    await waiting.waitFor({ timeout: 15_000 });

    // Then QA finds it bad after all, from the revision's form.
    const row = page.locator(`li[data-revno="${db.revno}"]`);
    if ((await row.getByRole('button').getAttribute('aria-pressed')) !== 'true') await row.getByRole('button').click();
    const form = page.getByRole('form', { name: `Set the QA status of r${db.revno}` });
    await form.getByLabel('QA status').selectOption('bad');
    await form.getByLabel('Note', { exact: true }).fill('The index build locks the bug table on qastaging');
    await form.getByRole('button', { name: 'Save' }).click();
    await row.and(page.locator('[data-status="bad"]')).waitFor();

    const withdrawn = production.getByTestId('withdrawn-approvals').locator(`tr[data-revno="${db.revno}"]`);
    await withdrawn.waitFor({ timeout: 15_000 });
    await expect(withdrawn.textContent()).resolves.toMatch(new RegExp(`QA withdrew it: r${db.revno} is bad \\(marked by ada\\)`));
    await production.getByText('No approved revision waits: production is as far as QA allows.').waitFor();
    expect((await promotion.get('/status')).body.withdrawnApprovals).toEqual([expect.objectContaining({ sha: db.sha, revno: db.revno })]);
  });

  it('says production runs a bad revision, and who must act, on both pages', async () => {
    const first = landed[0];
    expect((await qaGate.patch(`/revisions/${first.sha}/qa`, { status: 'bad', note: 'The search box shows private bugs' })).status).toBe(200);
    for (const p of [page, production]) {
      const alert = p.getByTestId('production-runs-bad');
      await alert.getByRole('heading', { name: 'Production runs a bad revision' }).waitFor({ timeout: 15_000 });
      const item = alert.locator(`li[data-revno="${first.revno}"]`);
      await expect(item.textContent()).resolves.toContain(`r${first.revno} ${first.sha.slice(0, 10)}: production runs r${first.revno}, which is bad: land a fix with [rollback=${first.revno}]`);
      await expect(item.textContent()).resolves.toContain('Who must act: a developer.');
    }
    await run.screenshot(page, 'pipeline-production-runs-bad');
  });

  it('holds an approval for a security fix no repository can check, until an operator confirms it merged back', async () => {
    const db = landed[2];
    const fix = randomSha();
    expect((await promotion.post('/security-fixes', { sha: fix })).status).toBe(201);
    const row = production.locator(`tr[data-fix="${fix}"]`);
    await row.getByText('pending', { exact: true }).waitFor({ timeout: 15_000 });
    await production.getByTestId('merge-back-pending').filter({ hasText: 'Without a repository, only a landing of this very commit on stable, or an operator, can tell.' }).waitFor();

    // The lock goes, and QA passes the revision again: promoting it could drop the fix, so it is held.
    await production.getByRole('button', { name: 'Release' }).click();
    await production.getByText('No lock and no freeze: approved revisions go at once.').waitFor();
    expect((await qaGate.patch(`/revisions/${db.sha}/qa`, { status: 'ok', note: 'the index is built concurrently now' })).status).toBe(200);
    await production.getByTestId('merge-back-unknown').waitFor({ timeout: 15_000 });
    await production.locator('section[aria-labelledby="held-heading"]').getByText('merge-back-unknown', { exact: true }).waitFor();
    await run.screenshot(production, 'production-merge-back-unknown');

    await row.getByRole('button', { name: `Confirm ${fix.slice(0, 10)} merged back` }).click();
    await row.getByLabel(`Where stable got ${fix.slice(0, 10)}`).fill('merged into stable by hand before the DB revision');
    await row.getByRole('button', { name: 'Confirm', exact: true }).click();
    await row.getByTestId('merged-back').filter({ hasText: 'confirmed by an operator: ada: merged into stable by hand before the DB revision' }).waitFor();
    await production.getByTestId('production-stable').filter({ hasText: `r${db.revno} (${db.sha.slice(0, 10)})` }).waitFor({ timeout: 15_000 });
    await expect(production.getByTestId('merge-back-unknown').count()).resolves.toBe(0);
    await run.screenshot(production, 'production-history');
    await production.close();
  });

  it('never logs or hands back the token, and the pages logged no console errors', async () => {
    await page.getByRole('link', { name: 'Pipeline' }).click();
    await page.getByRole('heading', { level: 1, name: /^Pipeline/ }).waitFor();
    const log = run.log();
    expect(log).toContain('logged in');
    expect(log).not.toContain(operatorToken);
    expect(log).not.toContain(viewerToken);
    expect(run.consoleErrors).toEqual([]);
  });

  it('logs out: the session is gone on the server too', async () => {
    const [cookie] = await context.cookies();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API token').waitFor();
    const res = await fetch(`${run.url}/api/qa-gate/deployable`, { headers: { cookie: `runway_session=${cookie.value}` } });
    expect(res.status).toBe(401);
    expect(await context.cookies()).toEqual([]);
  });
});
