/**
 * The trail in the dashboard, in headless Chromium over a whole Runway run as real processes:
 * buildbot lands a revision, QA marks it ok, Runway promotes it and rolls it out to a server.
 * Its Revision page, opened from the pipeline, tells the landing, QA's mark by QA's own token,
 * the promotion and the rollout, and links to the server's trail; an unknown revision says so;
 * the DORA page counts the deployment.
 */
import type { Dora, Story } from '@runway/contracts';
import { apiClient, eventually, randomSha, TEST_ADMIN_TOKEN, type ApiClient } from '@runway/testing';
import type { Page } from 'playwright-core';
import { type DashboardRun, logIn, startDashboard } from './dashboard-harness';

const HOST = 'app1.example';

describe('the trail in the dashboard (browser, real processes)', () => {
  let run: DashboardRun;
  let page: Page;
  let trail: ApiClient;
  let buildbot: ApiClient;
  let qa: ApiClient;
  let viewerToken: string;

  beforeAll(async () => {
    run = await startDashboard({ trail: {} });
    trail = apiClient(run.rw.urls.trail, TEST_ADMIN_TOKEN);
    const rollout = apiClient(run.rw.urls.rollout, TEST_ADMIN_TOKEN);
    const [buildbotToken, qaToken, viewer] = await Promise.all([
      run.token('buildbot', ['buildbot']), run.token('Quinn (QA)', ['qa']), run.token('wallboard', ['viewer']), run.rw.addAgent(HOST),
    ]);
    buildbot = apiClient(run.rw.urls['qa-gate'], buildbotToken);
    qa = apiClient(run.rw.urls['qa-gate'], qaToken);
    viewerToken = viewer;
    // The server is there before anything is promoted, so the promotion's rollout reaches it.
    await eventually(async () => ((await rollout.get('/servers')).body as unknown[]).length === 1 || null, { what: `${HOST} registered` });
    ({ page } = await run.newPage());
  }, 120_000);

  afterAll(async () => {
    await run?.stop();
  });

  it("opens a revision's story from the pipeline: landed, marked by QA's token, promoted, on every server", async () => {
    const sha = randomSha();
    const res = await buildbot.post('/revisions', { branch: 'stable', sha, message: 'Add the search box', author: 'Ada Lovelace <ada@example.com>' });
    expect(res.status).toBe(202);
    const revno: number = res.body.revno;
    await eventually(async () => (await qa.patch(`/revisions/${sha}/qa`, { status: 'ok', note: 'search works on qastaging' })).status === 200 || null, {
      what: `r${revno} marked ok by QA`,
    });
    // The page asks the trail once; let the trail have the whole story (and the rollout's end) first.
    await eventually(async () => {
      const s: Story = (await trail.get(`/story/${sha}`)).body;
      return s.times?.runningEverywhere ? s : null;
    }, { what: `the trail saw r${revno} run everywhere`, timeoutMs: 30_000 });
    await eventually(async () => ((await trail.get('/dora')).body as Dora).deploymentFrequency.deployments === 1 || null, { what: 'the rollout finished in the trail' });

    await logIn(page, viewerToken);
    await page.locator(`li[data-revno="${revno}"]`).getByRole('link', { name: `The story of r${revno}` }).click();
    await page.getByRole('heading', { level: 1, name: `Revision r${revno} (${sha.slice(0, 10)})` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/revisions/${sha}`);
    const step = (stage: string) => page.getByTestId('story').locator(`tr[data-stage="${stage}"]`);
    // Who: the third cell (a landing names buildbot's token, which qa-gate keeps without its roles).
    await expect(step('landed').first().locator('td').nth(2).textContent()).resolves.toBe('buildbot');
    // QA's mark, by QA's own token, with its note (the QA tip moving is a QA step too, by runway).
    await expect(step('qa').filter({ hasText: 'Quinn (QA) (qa)' }).textContent()).resolves.toContain('search works on qastaging');
    await expect(step('qa-passed').first().textContent()).resolves.toContain('runway');
    await expect(step('promoted').first().textContent()).resolves.toContain('runway');
    await step('everywhere').first().waitFor();
    await expect(page.getByTestId('revision-lead-time').locator('tr[data-stage="total"] td').first().textContent()).resolves.toMatch(/^\d+(\.\d)? (s|min)$/);
    await run.screenshot(page, 'revision');

    // The server it went to: its own trail, newest first.
    await page.getByRole('link', { name: HOST, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Trail of ${HOST}` }).waitFor();
    await page.getByTestId('server-trail').locator('tr[data-type="runway.deploy.reported.v1"]').getByText(`${HOST} (agent)`).first().waitFor();
  });

  it('says when the trail knows no such revision', async () => {
    await page.goto('/revisions/r999');
    await page.getByTestId('revision-unknown').filter({ hasText: 'The trail knows no revision r999.' }).waitFor();
    // The browser logs the trail's 404 as a console error; that one was asked for.
    run.consoleErrors.splice(0, run.consoleErrors.length, ...run.consoleErrors.filter((e) => !/status of 404/.test(e)));
  });

  it('counts the deployment on the DORA page, with the revision it brought', async () => {
    await page.getByRole('link', { name: 'DORA' }).click();
    await page.getByTestId('dora-deployment-frequency').filter({ hasText: '1 deployment,' }).waitFor();
    await expect(page.getByTestId('dora-change-failure-rate').textContent()).resolves.toContain('0 of 1 changes');
    await page.getByTestId('dora-deployments').getByRole('link', { name: /^r\d+ \([0-9a-f]{10}\)$/ }).waitFor();
    const box = await page.getByTestId('dora-chart').boundingBox();
    expect(box!.height).toBeGreaterThan(100);
    await run.screenshot(page, 'dora');
  });

  it('logged no console errors', () => {
    expect(run.consoleErrors).toEqual([]);
  });
});
