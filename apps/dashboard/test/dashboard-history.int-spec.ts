/**
 * The dashboard in headless Chromium over a Runway that reads a real git repository (qa-gate
 * and promotion both on one bare remote, every service a real process): a security fix merged
 * back to stable by cherry-pick, revisions a collapsed build brought, and a landing refused
 * because stable's history was rewritten, dismissed by an operator from the page.
 */
import { apiClient, eventually, GitFixture, TEST_ADMIN_TOKEN, type ApiClient } from '@runway/testing';
import type { Page } from 'playwright-core';
import { type DashboardRun, logIn, startDashboard } from './dashboard-harness';

describe('operator dashboard on real git histories (browser, real processes)', () => {
  const repo = new GitFixture();
  let run: DashboardRun;
  let page: Page;
  let qaGate: ApiClient;
  let promotion: ApiClient;
  let viewerToken: string;
  const c: Record<string, string> = {};

  beforeAll(async () => {
    run = await startDashboard(repo.serviceEnv());
    qaGate = apiClient(run.rw.urls['qa-gate'], TEST_ADMIN_TOKEN);
    promotion = apiClient(run.rw.urls.promotion, TEST_ADMIN_TOKEN);
    const [operatorToken, viewer] = await Promise.all([run.token('ada', ['qa', 'operator']), run.token('wallboard', ['viewer'])]);
    viewerToken = viewer;
    ({ page } = await run.newPage());
    await logIn(page, operatorToken);
  }, 180_000);

  afterAll(async () => {
    await run?.stop();
    repo.remove();
  });

  /** Lands a commit as buildbot reports it: a finished, successful build of that commit, and nothing about the commits before it. */
  async function landByBuildbot(sha: string, buildId: number): Promise<void> {
    const res = await qaGate.post('/buildbot', {
      buildid: buildId, number: buildId, complete: true, results: 0, url: `http://buildbot.example/#/builders/1/builds/${buildId}`, builder: { name: 'lp-devel' },
      properties: { got_revision: [sha, 'Git'], branch: ['stable', 'Build'] }, buildset: { sourcestamps: [{ branch: 'stable', revision: sha }] },
    });
    expect(res.status).toBe(202);
  }

  async function recorded(sha: string): Promise<{ id: string; revno: number; sha: string; landedWith: string | null; buildId: number | null }> {
    return eventually(async () => {
      const r = await qaGate.get(`/revisions/${sha}`);
      return r.status === 200 ? r.body : null;
    }, { what: `${sha.slice(0, 10)} recorded`, timeoutMs: 20_000 });
  }

  it('shows a security fix merged back by cherry-pick, at the stable commit that carries it', async () => {
    // The fix goes to production from production-devel at once.
    repo.checkout('production-devel');
    c.fix = repo.commit('Escape the search box (security)', { 'lib/escape.py': 'def escape(s):\n    return s.replace("<", "&lt;")\n' });
    repo.push('production-devel');
    expect((await promotion.post('/security-fixes', { sha: c.fix })).status).toBe(201);
    await eventually(async () => repo.remoteRef('production-stable') === c.fix, { what: 'the fix on production-stable', timeoutMs: 20_000 });

    await page.getByRole('link', { name: 'Production' }).click();
    const row = page.locator(`tr[data-fix="${c.fix}"]`);
    await row.getByText('pending', { exact: true }).waitFor({ timeout: 15_000 });
    await expect(row.getByRole('button', { name: `Confirm ${c.fix.slice(0, 10)} merged back` }).isVisible()).resolves.toBe(true);

    // stable: the first landing, then the fix cherry-picked (another sha, the same patch) and a later commit, reported as one build.
    repo.checkout('stable');
    c.first = repo.commit('Faster bug search', { 'lib/search.py': 'FAST = True\n' });
    repo.push('stable');
    await landByBuildbot(c.first, 811);
    await recorded(c.first);
    repo.git('cherry-pick', c.fix);
    c.picked = repo.git('rev-parse', 'HEAD');
    c.later = repo.commit('Show the bug heat', { 'lib/heat.py': 'HEAT = 1\n' });
    repo.push('stable');
    await landByBuildbot(c.later, 812);
    expect(c.picked).not.toBe(c.fix);

    const fix = await eventually(async () => {
      const f = (await promotion.get(`/security-fixes/${c.fix}`)).body;
      return f.mergedBackAt ? f : null;
    }, { what: 'the merge-back seen by patch identity', timeoutMs: 20_000 });
    expect(fix).toMatchObject({ mergedBackHow: 'patch-id', mergedBackBy: c.picked });
    // No event announces a merge-back: the page finds it when it asks again (on the landing's events, or its poll).
    await row.getByTestId('merged-back').filter({ hasText: `merged back by cherry-pick (patch identity) at ${c.picked.slice(0, 10)}` }).waitFor({ timeout: 35_000 });
    await page.getByTestId('merge-back-pending').filter({ hasText: 'Stable holds every security fix.' }).waitFor();
    await expect(row.getByRole('button', { name: /Confirm/ }).count()).resolves.toBe(0);
    await run.screenshot(page, 'production-merge-back');
  });

  it('names the build that brought revisions buildbot never reported', async () => {
    const picked = await recorded(c.picked);
    const later = await recorded(c.later);
    expect(picked).toMatchObject({ revno: later.revno - 1, landedWith: c.later, buildId: 812 });

    await page.getByRole('link', { name: 'Pipeline' }).click();
    const pickedRow = page.locator(`li[data-revno="${picked.revno}"]`);
    await pickedRow.getByTestId('landed-with').filter({ hasText: `landed with ${c.later.slice(0, 10)} in build 812` }).waitFor();
    // The build's own commit, and the first landing, came as reported: nothing to say.
    await expect(page.locator(`li[data-revno="${later.revno}"]`).getByTestId('landed-with').count()).resolves.toBe(0);
    await pickedRow.getByRole('button').click();
    await page.getByRole('heading', { name: `r${picked.revno}`, exact: true }).waitFor();
    await page.getByRole('link', { name: 'build 812' }).waitFor();
  });

  it('shows a landing refused for rewritten history as the blocker, and lets an operator dismiss it with a reason', async () => {
    // Everything recorded passes, so nothing but the landing can block.
    for (const sha of [c.first, c.picked, c.later]) expect((await qaGate.patch(`/revisions/${sha}/qa`, { status: 'ok' })).status).toBe(200);
    await page.getByTestId('no-blocker').waitFor({ timeout: 15_000 });

    // Someone rewrote stable: a commit on the first one, not on the recorded tip, is built and reported.
    repo.git('checkout', '--quiet', '-b', 'rewritten', 'origin/stable~3');
    c.rewritten = repo.commit('Force-pushed stable', { 'lib/other.py': 'OTHER = 1\n' });
    repo.push('rewritten');
    await landByBuildbot(c.rewritten, 813);
    const refused = await eventually(async () => {
      const b = (await qaGate.get('/deployable')).body.blocker;
      return b?.kind === 'landing-refused' ? b : null;
    }, { what: 'the landing refused', timeoutMs: 20_000 });

    // No event says so: the page learns it on its next fetch (here: coming back to it).
    await page.getByRole('link', { name: 'Production' }).click();
    await page.getByRole('link', { name: 'Pipeline' }).click();
    const heading = page.getByRole('heading', { name: `Blocked by the landing of ${c.rewritten.slice(0, 10)}` });
    await heading.waitFor();
    await expect(page.getByTestId('blocker-reason').textContent()).resolves.toMatch(/^Refused: .*operator must set stable right/);
    await page.locator('section[aria-labelledby="blocker-heading"]').getByText('an operator', { exact: true }).waitFor();
    await page.getByTestId('fact-landings-refused').filter({ hasText: '1' }).waitFor();
    await run.screenshot(page, 'pipeline-landing-refused');

    // A token that may not act as operator sees why it waits, and no way to dismiss it.
    const { context: wall, page: p } = await run.newPage();
    await logIn(p, viewerToken);
    await p.getByRole('heading', { name: `Blocked by the landing of ${c.rewritten.slice(0, 10)}` }).waitFor();
    await p.getByText('Your token may not dismiss landings.').waitFor();
    await expect(p.getByRole('button', { name: 'Dismiss landing' }).count()).resolves.toBe(0);
    await wall.close();

    await page.getByLabel(`Reason to dismiss the landing of ${c.rewritten.slice(0, 10)}`).fill('stable was reset by hand to its recorded tip');
    await page.getByRole('button', { name: 'Dismiss landing' }).click();
    await page.getByTestId('no-blocker').waitFor();
    const landing = (await qaGate.get(`/landings/${refused.landingId}`)).body;
    expect(landing).toMatchObject({ state: 'dismissed', dismissedBy: 'ada', reason: expect.stringContaining('stable was reset by hand to its recorded tip') });
  });

  it('logged no console errors', () => {
    expect(run.consoleErrors).toEqual([]);
  });
});
