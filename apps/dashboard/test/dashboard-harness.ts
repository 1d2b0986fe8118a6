/**
 * For the dashboard's browser tests: a whole Runway as real processes (test/e2e/harness), the
 * dashboard server as one more process in front of it, and headless Chromium. Collects every
 * console error and page error, so a test can assert there were none.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { eventually, freePort, TEST_ADMIN_TOKEN } from '@runway/testing';
// The whole-Runway harness of the end-to-end tests: every service a real process.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { issueToken } from '../../../tools/stack.cjs';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { type E2eRunway, startRunway } from '../../../test/e2e/harness';

/** The Chromium `npm test` found or installed (RUNWAY_CHROMIUM), else Debian's. */
export function chromiumPath(): string {
  const path = process.env.RUNWAY_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`no Chromium at ${path}: run the tests with npm test (it finds or installs one), or set RUNWAY_CHROMIUM`);
  return path;
}

/** Headless, and quiet: no connections of Chromium's own, which a closed network refuses. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const ROOT = resolve(__dirname, '../../..');
export const SCREENSHOTS = join(ROOT, '.runway', 'screenshots');

export interface DashboardRun {
  rw: E2eRunway;
  url: string;
  logFile: string;
  /**
   * A fresh browser (its own Chromium with a new --user-data-dir, so its own cookies) and a
   * page in it; console errors of every page land in `consoleErrors`.
   */
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  consoleErrors: string[];
  /** Issues a token with these roles and waits until every service accepts it. */
  token(name: string, roles: string[]): Promise<string>;
  screenshot(page: Page, name: string): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

/** `envFor`: extra environment for some services (a git repository for qa-gate and promotion, say). */
export async function startDashboard(envFor: Parameters<typeof startRunway>[0] = {}): Promise<DashboardRun> {
  // The trail runs only for the tests that open its pages (pass `trail: {}`): CI time is counted.
  const rw = await startRunway(envFor);
  let proc: ChildProcess | undefined;
  const browsers: { context: BrowserContext; profile: string }[] = [];
  const closeBrowsers = async () => {
    for (const b of browsers.splice(0)) {
      await b.context.close().catch(() => undefined);
      rmSync(b.profile, { recursive: true, force: true });
    }
  };
  try {
    const port = await freePort();
    const logFile = join(rw.dir, 'logs', 'dashboard.log');
    mkdirSync(join(rw.dir, 'logs'), { recursive: true });
    const fd = openSync(logFile, 'a');
    proc = spawn(process.execPath, [join(ROOT, 'apps/dashboard/dist/main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        DASHBOARD_PORT: String(port),
        DASHBOARD_QA_GATE_URL: rw.urls['qa-gate'],
        DASHBOARD_PROMOTION_URL: rw.urls.promotion,
        DASHBOARD_ROLLOUT_URL: rw.urls.rollout,
        DASHBOARD_FLAGS_URL: rw.urls.flags,
        ...(rw.urls.trail ? { DASHBOARD_TRAIL_URL: rw.urls.trail } : {}),
        NATS_URL: rw.env.NATS_URL,
        RUNWAY_NAMESPACE: rw.namespace,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const url = `http://127.0.0.1:${port}`;
    const child = proc;
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the dashboard exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8')}`);
      return (await fetch(`${url}/auth/session`)).status === 200;
    }, { what: 'the dashboard listening', timeoutMs: 20_000 });
    // Live updates need the NATS subscription in place before the tests publish anything.
    await eventually(async () => readFileSync(logFile, 'utf8').includes('live updates subscribed'), { what: 'the dashboard subscribed to NATS', timeoutMs: 20_000 });

    const consoleErrors: string[] = [];
    const run: DashboardRun = {
      rw, url, logFile, consoleErrors,
      newPage: async () => {
        const profile = mkdtempSync(join(tmpdir(), 'runway-chromium-'));
        // Playwright passes the fresh profile to Chromium as --user-data-dir.
        const context = await chromium.launchPersistentContext(profile, {
          executablePath: chromiumPath(),
          headless: true,
          baseURL: url,
          viewport: { width: 1280, height: 900 },
          args: CHROMIUM_ARGS,
        });
        browsers.push({ context, profile });
        const page = context.pages()[0] ?? (await context.newPage());
        page.setDefaultTimeout(10_000);
        page.on('console', (m) => {
          if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
        return { context, page };
      },
      token: async (name, roles) => {
        const token = await issueToken(rw.urls['qa-gate'], TEST_ADMIN_TOKEN, { name, roles });
        await eventually(async () => {
          const answers = await Promise.all(
            (['qa-gate', 'promotion', 'rollout', 'flags', 'trail'] as const).filter((s) => rw.urls[s])
              .map((s) => fetch(`${rw.urls[s]}/tokens`, { headers: { authorization: `Bearer ${token}` } })),
          );
          // 403: the service knows the token (only admin may list tokens); 401 would mean it does not yet.
          return answers.every((r) => r.status === 403 || r.status === 200);
        }, { what: `token ${name} known everywhere` });
        return token;
      },
      screenshot: async (page, name) => {
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      },
      log: () => readFileSync(logFile, 'utf8'),
      stop: async () => {
        await closeBrowsers();
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(t);
        }
        await rw.stop();
      },
    };
    return run;
  } catch (e) {
    await closeBrowsers();
    proc?.kill('SIGKILL');
    await rw.stop();
    throw e;
  }
}

/** Logs in through the login page, with the keyboard only. */
export async function logIn(page: Page, token: string): Promise<void> {
  await page.goto('/');
  const field = page.getByLabel('API token');
  await field.waitFor();
  await field.focus();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: /^Pipeline/ }).waitFor();
}
