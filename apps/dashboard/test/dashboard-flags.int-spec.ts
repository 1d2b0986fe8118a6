/**
 * The dashboard's flags page in real headless Chromium against the real flags service: a rule
 * the service refuses is shown at its line and nothing changes; a valid edit is saved and
 * appears in the changelog with its diff; "evaluate with explain" says why a value won.
 */
import { apiClient, TEST_ADMIN_TOKEN } from '@runway/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { type DashboardRun, logIn, startDashboard } from './dashboard-harness';

describe('dashboard flags page (browser, real processes)', () => {
  let run: DashboardRun;
  let context: BrowserContext;
  let page: Page;
  let token: string;

  beforeAll(async () => {
    run = await startDashboard();
    token = await run.token('grace', ['flag-editor']);
    ({ context, page } = await run.newPage());
    await logIn(page, token);
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await run?.stop();
  });

  it('shows a refused rule at its line and changes nothing', async () => {
    const flags = apiClient(run.rw.urls.flags, TEST_ADMIN_TOKEN);
    const before = (await flags.get('/rules')).body;
    await page.getByRole('link', { name: 'Flags' }).click();
    const editor = page.getByLabel('Rules text');
    await editor.waitFor();
    await editor.fill('search.enabled default 0 false\nsearch.enabled team:launchpad high true\n');
    await page.getByLabel('Why (goes in the changelog)').fill('Search for Launchpad staff');
    await page.getByRole('button', { name: 'Save rules' }).click();

    const refused = page.locator('#rules-errors li[data-line="2"]');
    await refused.waitFor();
    await expect(refused.textContent()).resolves.toContain('search.enabled team:launchpad high true');
    await expect(page.locator('#rules-errors li').count()).resolves.toBe(1);
    await expect(page.locator('.gutter div').nth(1).getAttribute('class')).resolves.toBe('gutter-error');
    await expect(page.locator('.gutter div').nth(0).getAttribute('class')).resolves.toBeNull();
    await expect(editor.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByTestId('rules-message').textContent()).resolves.toContain('Nothing changed');
    // Clicking the error selects the line in the editor.
    await refused.getByRole('button', { name: 'Line 2' }).click();
    await expect(page.evaluate("(() => { const t = document.getElementById('rules-text'); return t.value.slice(t.selectionStart, t.selectionEnd); })()")).resolves.toBe(
      'search.enabled team:launchpad high true',
    );
    expect((await flags.get('/rules')).body.version).toBe(before.version);
    // The browser logs the refused PUT (400) as a console error; that one was asked for.
    run.consoleErrors.splice(0, run.consoleErrors.length, ...run.consoleErrors.filter((e) => !/status of 400/.test(e)));
  });

  it('saves a valid edit, which appears in the changelog with its diff, live', async () => {
    const editor = page.getByLabel('Rules text');
    await editor.fill('search.enabled default 0 false\nsearch.enabled team:launchpad 10 true\n');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByTestId('rules-message').filter({ hasText: /Saved: version/ }).waitFor();
    await expect(page.locator('#rules-errors').count()).resolves.toBe(0);

    const entry = page.locator('.changelog li').filter({ hasText: 'Search for Launchpad staff' });
    await entry.waitFor();
    await expect(entry.textContent()).resolves.toContain('by grace');
    await expect(entry.locator('.diff .ins').allTextContents()).resolves.toEqual(
      expect.arrayContaining([expect.stringContaining('+search.enabled team:launchpad 10 true')]),
    );
    const rules = (await apiClient(run.rw.urls.flags, TEST_ADMIN_TOKEN).get('/rules')).body;
    expect(rules.rules).toEqual(expect.arrayContaining([expect.objectContaining({ flag: 'search.enabled', scope: 'team:launchpad', priority: 10 })]));
    await expect(editor.inputValue()).resolves.toContain('search.enabled team:launchpad 10 true');

    // An edit made elsewhere shows up without a reload.
    const res = await apiClient(run.rw.urls.flags, TEST_ADMIN_TOKEN).raw(
      'PUT', '/rules', JSON.stringify({ text: `${rules.text.trimEnd()}\nsearch.beta user:ada 5 true\n`, comment: 'Beta for Ada' }),
    );
    expect(res.status).toBe(200);
    await page.locator('.changelog li').filter({ hasText: 'Beta for Ada' }).waitFor();
    await expect(editor.inputValue()).resolves.toContain('search.beta user:ada 5 true');
  });

  it('evaluates a flag with its explanation', async () => {
    await page.getByLabel('Flag', { exact: true }).fill('search.enabled');
    await page.getByLabel('Context (JSON)').fill('{ "user": "ada", "teams": ["launchpad"] }');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    const result = page.getByTestId('evaluation');
    await result.waitFor();
    const direct = (await apiClient(run.rw.urls.flags, TEST_ADMIN_TOKEN).post('/evaluate/search.enabled', { context: { user: 'ada', teams: ['launchpad'] } })).body;
    expect(direct).toMatchObject({ reason: 'TARGETING_MATCH' });
    const text = await result.textContent();
    expect(text).toContain(`search.enabled = ${JSON.stringify(direct.value)} (TARGETING_MATCH; rule: search.enabled team:launchpad 10 true)`);
    expect(text).toContain('Active scopes: team:launchpad');
    await expect(result.locator('li.step-chosen').allTextContents()).resolves.toEqual([expect.stringMatching(/^search\.enabled team:launchpad 10 true: .*\(gave the value\)$/)]);
    await expect(result.locator('li').count()).resolves.toBe(direct.explain.steps.length);
    await run.screenshot(page, 'flags');
  });

  it('logged no console errors', () => {
    expect(run.consoleErrors).toEqual([]);
  });
});
