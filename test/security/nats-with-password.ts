/**
 * NATS servers of the test's own that want a user and password, so that the services and the
 * agents really send their NATS credentials (and a test can look for them where they must not
 * be): one with a single user, and one started from a config file of the test's (users with
 * permissions), whose log records every permissions violation.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, natsServerBinary } from '@runway/testing';

export interface PasswordNats {
  url: string;
  user: string;
  password: string;
  stop(): Promise<void>;
}

export interface ConfiguredNats {
  url: string;
  configFile: string;
  /** What the server logged so far (violations are logged at every level). */
  log(): string;
  stop(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function run(args: (port: number, dir: string) => string[], env: Record<string, string> = {}): Promise<{ port: number; dir: string; stop(): Promise<void> }> {
  const bin = natsServerBinary();
  if (!bin) throw new Error('this test needs nats-server on PATH (Debian: apt-get install nats-server)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'runway-nats-auth-'));
  const proc: ChildProcess = spawn(bin, args(port, dir), { stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  const deadline = Date.now() + 10_000;
  while (!(await answers(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      const log = existsSync(join(dir, 'nats.log')) ? readFileSync(join(dir, 'nats.log'), 'utf8').slice(-2000) : '';
      throw new Error(`nats-server with a password did not start${log ? `:\n${log}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, dir,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startNatsWithPassword(user: string, password: string): Promise<PasswordNats> {
  const s = await run((port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, '--user', user, '--pass', password]);
  return { url: `nats://127.0.0.1:${s.port}`, user, password, stop: s.stop };
}

/**
 * A JetStream server whose `authorization { users: [...] }` holds `users` (entries as nats-server
 * config text). `env` is the server's environment, where `$VARIABLE` passwords are read from.
 */
export async function startNatsWithUsers(users: string[], env: Record<string, string> = {}): Promise<ConfiguredNats> {
  let configFile = '';
  const s = await run((port, dir) => {
    configFile = join(dir, 'nats.conf');
    writeFileSync(
      configFile,
      [
        `listen: 127.0.0.1:${port}`,
        `jetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }`,
        `logfile: ${JSON.stringify(join(dir, 'nats.log'))}`,
        'authorization {',
        '  users: [',
        ...users,
        '  ]',
        '}',
      ].join('\n'),
    );
    return ['-c', configFile];
  }, env);
  const logFile = join(s.dir, 'nats.log');
  return {
    url: `nats://127.0.0.1:${s.port}`, configFile, stop: s.stop,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
}
