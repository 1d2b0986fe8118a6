/**
 * Postgres and NATS that the chaos run owns, so it may kill and restart them without touching
 * anything else on the machine: a Postgres cluster made with the system's initdb in a
 * temporary directory, and nats-server processes (one, or a three-node JetStream cluster).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@runway/testing';

export interface OwnPostgres {
  url: string;
  /** Stops at once (no checkpoint, like a crash) and starts again on the same data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const v of readdirSync(root).sort().reverse()) {
      const p = join(root, v, 'bin', name);
      if (existsSync(p)) return p;
    }
  }
  return name; // on PATH
}

/** Runs a Postgres tool as the `postgres` user when we are root (initdb refuses root). */
function asPostgres(bin: string, args: string[]): void {
  if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' });
  else execFileSync(bin, args, { stdio: 'pipe' });
}

/** The same without blocking this process, so requests it has in flight go on meanwhile. */
function asPostgresAsync(bin: string, args: string[]): Promise<void> {
  const [cmd, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => execFile(cmd, argv, (err) => (err ? reject(err) : resolve())));
}

/**
 * fsync is off (a process crash keeps what the OS holds; only a machine crash would lose it) but
 * synchronous_commit stays on: with it off, a commit is acknowledged before its WAL is written,
 * and the immediate stop below loses it. The first chaos run lost two landings that way.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'runway-chaos-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
  const data = join(dir, 'data');
  asPostgres(pgBin('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const startArgs = [
    '-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off`,
    'start',
  ];
  const stopArgs = (mode: 'immediate' | 'fast') => ['-D', data, '-m', mode, '-w', 'stop'];
  asPostgres(pgBin('pg_ctl'), startArgs);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: async () => {
      await asPostgresAsync(pgBin('pg_ctl'), stopArgs('immediate'));
      await asPostgresAsync(pgBin('pg_ctl'), startArgs);
    },
    stop: async () => {
      try {
        asPostgres(pgBin('pg_ctl'), stopArgs('fast'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface OwnNats {
  /** Every node's URL, comma separated (what NATS_URL takes). */
  url: string;
  nodes: number;
  /** SIGKILLs node `i` (JetStream data kept) and starts it again after `downMs`. */
  restart(i: number, downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** One nats-server with JetStream, or a cluster of `nodes` (JetStream clustered, R3 streams possible). */
export async function startOwnNats(nodes = 1): Promise<OwnNats> {
  const dir = mkdtempSync(join(tmpdir(), 'runway-chaos-nats-'));
  const ports = await Promise.all(Array.from({ length: nodes }, () => freePort()));
  const clusterPorts = await Promise.all(Array.from({ length: nodes }, () => freePort()));
  const procs: (ChildProcess | null)[] = Array.from({ length: nodes }, () => null);
  const args = (i: number) => {
    const a = ['-a', '127.0.0.1', '-p', String(ports[i]), '-js', '-sd', join(dir, `n${i}`), '-n', `runway-chaos-${i}`];
    if (nodes > 1) {
      a.push('--cluster_name', 'runway-chaos', '--cluster', `nats://127.0.0.1:${clusterPorts[i]}`);
      a.push('--routes', clusterPorts.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p}`).join(','));
    }
    return a;
  };
  const start = async (i: number) => {
    procs[i] = spawn('nats-server', args(i), { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (!(await answers(ports[i]))) {
      if (Date.now() > deadline) throw new Error(`nats-server node ${i} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async (i: number) => {
    const p = procs[i];
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  await Promise.all(ports.map((_, i) => start(i)));
  if (nodes > 1) await new Promise((r) => setTimeout(r, 3000)); // let the JetStream meta group elect a leader
  return {
    url: ports.map((p) => `nats://127.0.0.1:${p}`).join(','),
    nodes,
    restart: async (i, downMs = 1000) => {
      await kill(i);
      await new Promise((r) => setTimeout(r, downMs));
      await start(i);
    },
    stop: async () => {
      await Promise.all(ports.map((_, i) => kill(i)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
