/**
 * A newcomer's first minutes, as the README tells them: `npm start` (tools/start.mjs, a real
 * child process with its own state directory, ports, database and NATS namespace), then the
 * tour's first steps with `npx runway`: commit to stable in the demo repository, land it, mark
 * it ok. Within 60 s production-stable in the demo repository has moved and both lpnet agents
 * have the revision checked out; `npx runway deployable` names it; and the dashboard's Servers
 * page shows the three waves and the production rollout that went through them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createIsolatedDatabase, dropNamespace, eventually, uniqueNamespace } from '@runway/testing';
import { CHROMIUM_ARGS, chromiumPath, logIn } from '../apps/dashboard/test/dashboard-harness';

const ROOT = join(__dirname, '..');

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = net.createServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}

/** Five free ports in a row: the dashboard's, then qa-gate's, promotion's, rollout's and flags'. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 9_000);
    const free = await Promise.all([0, 1, 2, 3, 4].map((i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no five free ports in a row');
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe('npm start, then the tour', () => {
  jest.setTimeout(240_000);
  let state: string;
  let proc: ChildProcess;
  let out = '';
  let base: number;
  let cleanup: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    const db = await createIsolatedDatabase(process.env.DATABASE_URL!);
    const namespace = uniqueNamespace();
    cleanup = [() => db.drop(), () => dropNamespace(process.env.NATS_URL!, namespace)];
    state = mkdtempSync(join(tmpdir(), 'runway-demo-'));
    base = await freeBase();
    proc = spawn(process.execPath, [join(ROOT, 'tools', 'start.mjs')], {
      cwd: ROOT,
      env: {
        ...process.env, DATABASE_URL: db.url, RUNWAY_NAMESPACE: namespace, RUNWAY_STATE_DIR: state, RUNWAY_BASE_PORT: String(base), LOG_LEVEL: 'warn',
        RUNWAY_ADMIN_TOKEN: undefined, QA_GIT_REPOSITORY: undefined, PROMOTION_GIT_REMOTE: undefined,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    await eventually(async () => {
      if (proc.exitCode !== null) throw new Error(`npm start exited with ${proc.exitCode}:\n${out}`);
      return out.includes('Runway is running.');
    }, { what: 'npm start saying Runway is running', timeoutMs: 180_000 });
  });

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    for (const c of cleanup) await c().catch(() => undefined);
    rmSync(state, { recursive: true, force: true });
  });

  it('moves production-stable and checks the revision out on lpnet within 60 s of the ok mark, and shows three waves', async () => {
    const token = readFileSync(join(state, 'admin-token'), 'utf8').trim();
    const cliEnv = {
      ...process.env, RUNWAY_TOKEN: token, RUNWAY_QA_GATE_URL: `http://127.0.0.1:${base + 1}`, RUNWAY_PROMOTION_URL: `http://127.0.0.1:${base + 2}`,
      RUNWAY_ROLLOUT_URL: `http://127.0.0.1:${base + 3}`, RUNWAY_FLAGS_URL: `http://127.0.0.1:${base + 4}`,
    };
    // `npx runway`, as the README says, from the checkout.
    const runway = (...args: string[]) => execFileSync('npx', ['--no-install', 'runway', ...args], { cwd: ROOT, env: cliEnv, encoding: 'utf8' });
    // The tour, as printed.
    expect(out).toContain('npx runway land $(git -C $W rev-parse HEAD)');
    const work = join(state, 'demo', 'work');
    const remote = join(state, 'demo', 'origin.git');
    const before = git(remote, 'rev-parse', 'production-stable');

    execFileSync('sh', ['-c', "echo '# a change' >> lib/greeting.py && git commit -qam 'Change the greeting' && git push -q origin stable"], { cwd: work });
    const sha = git(work, 'rev-parse', 'HEAD');
    runway('land', sha);
    // QA can mark it once qa-gate has placed it on stable.
    await eventually(async () => (JSON.parse(runway('revisions', '--json')) as { items: { sha: string }[] }).items.some((r) => r.sha === sha), { what: `${sha} recorded` });
    const marked = Date.now();
    runway('qa', sha, 'ok');

    await eventually(async () => {
      const prod = git(remote, 'rev-parse', 'production-stable');
      if (prod === before) return false;
      execFileSync('git', ['merge-base', '--is-ancestor', sha, prod], { cwd: remote });
      return ['lpnet1', 'lpnet2'].every((h) => {
        try {
          return git(join(state, 'demo', 'servers', h, 'app'), 'rev-parse', 'HEAD') === prod;
        } catch {
          return false;
        }
      });
    }, { what: 'production-stable moved and checked out on lpnet1 and lpnet2', timeoutMs: 60_000, intervalMs: 250 });
    const seconds = (Date.now() - marked) / 1000;
    expect(seconds).toBeLessThan(60);
    process.stdout.write(`demo: ok mark → production-stable moved and lpnet1, lpnet2 checked out in ${seconds.toFixed(1)} s\n`);

    expect(runway('deployable')).toMatch(new RegExp(`deployable\\s+r2 ${sha.slice(0, 10)}`));

    const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ baseURL: `http://127.0.0.1:${base}` });
      page.setDefaultTimeout(15_000);
      await logIn(page, token);
      await page.goto('/servers');
      for (const wave of ['qastaging', 'edge', 'lpnet']) await page.getByRole('heading', { name: `Wave ${wave}` }).waitFor();
      // In the order rollouts reach them (ROLLOUT_WAVES), not by name.
      const waves = (await page.getByRole('heading', { name: /^Wave / }).allInnerTexts()).map((t) => t.trim());
      expect(waves).toEqual(['Wave qastaging', 'Wave edge', 'Wave lpnet']);
      // The production rollout went edge1, then lpnet1, then lpnet2: three batches, all done.
      const summary = page.getByTestId('rollout-summary');
      await eventually(async () => /\(promoted, no-downtime\): succeeded batch 3 of 3, 3 of 3 servers done/.test(await summary.innerText()), {
        what: 'the production rollout, done, on the Servers page', timeoutMs: 15_000,
      }).catch(async (e) => {
        throw new Error(`${(e as Error).message}\nthe page says:\n${await page.locator('main').innerText()}`);
      });
      const rows = await page.locator('table').first().locator('tbody tr').allInnerTexts();
      expect(rows.map((r) => r.split('\t').slice(0, 3).join(' '))).toEqual(['edge1 edge 1', 'lpnet1 lpnet 2', 'lpnet2 lpnet 3']);
    } finally {
      await browser.close();
    }
  });
});
