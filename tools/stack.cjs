/**
 * Runs Runway's services and agents as real processes from their built `dist/`, for `npm
 * start`, the end-to-end tests and the benchmarks. CommonJS so plain Node scripts and Jest
 * test files can both require it.
 */
'use strict';
const { spawn } = require('node:child_process');
const { mkdirSync, openSync, closeSync, readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const SERVICES = { 'qa-gate': 3101, promotion: 3102, rollout: 3103, flags: 3104, trail: 3105 };

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitReady(url, proc, logFile, timeoutMs = 60_000, path = '/health/ready') {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${url} exited with ${proc.exitCode} before it was ready; see ${logFile}:\n${tail(logFile)}`);
    try {
      const res = await fetch(`${url}${path}`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms; see ${logFile}:\n${tail(logFile)}`);
}

function tail(file, bytes = 4000) {
  try {
    const s = readFileSync(file, 'utf8');
    return s.slice(-bytes);
  } catch {
    return '';
  }
}

function spawnLogged(args, env, logFile) {
  mkdirSync(resolve(logFile, '..'), { recursive: true });
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return proc;
}

function handle(name, proc, logFile, url) {
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  return {
    name, proc, url, logFile, exited,
    get pid() {
      return proc.pid;
    },
    kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
    log() {
      return tail(logFile, 1_000_000);
    },
  };
}

/**
 * Starts one service. `env` must hold DATABASE_URL, NATS_URL and RUNWAY_ADMIN_TOKEN; PORT
 * defaults to the service's usual one; `readyMs` is how long it may take to answer ready.
 */
async function startService(name, env, { logDir = join(ROOT, '.runway', 'logs'), port, readyMs = 60_000 } = {}) {
  if (!(name in SERVICES)) throw new Error(`unknown service ${name}`);
  const p = port ?? SERVICES[name];
  const logFile = join(logDir, `${name}-${p}.log`);
  const proc = spawnLogged([join(ROOT, 'apps', name, 'dist', 'main.js')], { PORT: String(p), HOST: '127.0.0.1', ...env }, logFile);
  const url = `http://127.0.0.1:${p}`;
  const h = handle(name, proc, logFile, url);
  try {
    await waitReady(url, proc, logFile, readyMs);
  } catch (e) {
    await h.kill();
    throw e;
  }
  return h;
}

/** Starts every service; returns their handles by name. `ports` overrides the usual ones. */
async function startStack(env, { logDir, ports = {} } = {}) {
  const settled = await Promise.allSettled(Object.keys(SERVICES).map(async (n) => [n, await startService(n, env, { logDir, port: ports[n] })]));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    // Stop the ones that did start: nothing is left running behind a failed start.
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value[1].stop() : undefined)));
    throw failed.reason;
  }
  const services = Object.fromEntries(settled.map((s) => s.value));
  return {
    services,
    url: (n) => services[n].url,
    async stop() {
      await Promise.all(Object.values(services).map((s) => s.stop()));
    },
  };
}

/** Starts an agent process; resolves once it reports ready in its log. */
async function startAgent(env, { logDir = join(ROOT, '.runway', 'logs'), waitReadyMs = 30_000 } = {}) {
  const logFile = join(logDir, `agent-${env.AGENT_HOST}.log`);
  const proc = spawnLogged([join(ROOT, 'apps', 'rollout-agent', 'dist', 'main.js')], env, logFile);
  const h = handle(`agent ${env.AGENT_HOST}`, proc, logFile, undefined);
  const deadline = Date.now() + waitReadyMs;
  const start = tail(logFile, 1_000_000).length;
  while (!tail(logFile, 1_000_000).slice(start).includes('"agent ready"')) {
    if (proc.exitCode !== null) throw new Error(`agent ${env.AGENT_HOST} exited with ${proc.exitCode}:\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      await h.kill();
      throw new Error(`agent ${env.AGENT_HOST} not ready within ${waitReadyMs} ms:\n${tail(logFile)}`);
    }
    await sleep(50);
  }
  return h;
}

/**
 * Starts the operator dashboard in front of the services at `serviceUrls` (by service name);
 * `env` carries NATS_URL and RUNWAY_NAMESPACE for its live updates.
 */
async function startDashboard(env, serviceUrls, { logDir = join(ROOT, '.runway', 'logs'), port = 3100 } = {}) {
  const logFile = join(logDir, `dashboard-${port}.log`);
  const proc = spawnLogged(
    [join(ROOT, 'apps', 'dashboard', 'dist', 'main.js')],
    {
      ...env, DASHBOARD_PORT: String(port), DASHBOARD_HOST: '127.0.0.1',
      DASHBOARD_QA_GATE_URL: serviceUrls['qa-gate'], DASHBOARD_PROMOTION_URL: serviceUrls.promotion,
      DASHBOARD_ROLLOUT_URL: serviceUrls.rollout, DASHBOARD_FLAGS_URL: serviceUrls.flags, DASHBOARD_TRAIL_URL: serviceUrls.trail,
    },
    logFile,
  );
  const url = `http://127.0.0.1:${port}`;
  const h = handle('dashboard', proc, logFile, url);
  try {
    await waitReady(url, proc, logFile, 60_000, '/auth/session');
  } catch (e) {
    await h.kill();
    throw e;
  }
  return h;
}

/** Issues an API token with the admin token; returns the secret. */
async function issueToken(serviceUrl, adminToken, body) {
  const res = await fetch(`${serviceUrl}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`issuing a token failed: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

module.exports = { ROOT, SERVICES, startService, startStack, startAgent, startDashboard, issueToken, sleep };
