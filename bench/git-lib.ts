/**
 * Git helpers for the benchmarks: a real bare "remote" with a working clone (the same idea as
 * apps/promotion/test/git-fixture.ts, copied so benchmarks do not depend on an app's tests),
 * many commits made at once with `git fast-import`, a timed asynchronous git command run the
 * way promotion runs its own (execFile, same environment), and a cheap watch of a branch in a
 * bare repository that reads the ref file directly rather than starting a git process.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, type FSWatcher, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TimeoutError, wallMs } from './lib';

/** The environment promotion gives its git processes (ProductionRepository.git). */
export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C', ...extra };
}

/** Runs git synchronously (for setup); returns its trimmed stdout. */
export function gitSync(args: string[], opts: { input?: string; cwd?: string } = {}): string {
  return execFileSync('git', args, {
    encoding: 'utf8', input: opts.input, cwd: opts.cwd, env: gitEnv(), maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'],
  }).trim();
}

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
  /** From just before the spawn to the exit callback, in ms. */
  ms: number;
}

/** Runs git as promotion does (execFile, callback on exit); resolves whatever the exit code. */
export function gitTimed(args: string[], timeoutMs = 30_000): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile('git', args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 128 * 1024 * 1024, env: gitEnv() }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (err && typeof (err as { code?: unknown }).code !== 'number') {
        reject(new Error(`git ${args.join(' ')}: ${err.message}`));
        return;
      }
      const code = err ? (err as { code: number }).code : 0;
      resolve({ code, stdout, stderr, ms });
    });
  });
}

/** Like gitTimed, but a non-zero exit is an error. */
export async function gitOk(args: string[], timeoutMs = 30_000): Promise<GitRun> {
  const r = await gitTimed(args, timeoutMs);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} exited with ${r.code}: ${r.stderr.trim().slice(0, 2000)}`);
  return r;
}

/**
 * A bare remote and a working clone in a temporary directory, with the branches Runway knows
 * (stable, production-stable, production-devel) at one base commit.
 */
export class BenchGitRepo {
  readonly root: string;
  readonly remote: string;
  readonly work: string;
  readonly base: string;

  constructor(prefix = 'runway-bench-git-') {
    this.root = mkdtempSync(join(tmpdir(), prefix));
    this.remote = join(this.root, 'remote.git');
    this.work = join(this.root, 'work');
    gitSync(['init', '--quiet', '--bare', '-b', 'stable', this.remote]);
    gitSync(['clone', '--quiet', this.remote, this.work]);
    this.git('config', 'user.name', 'Dev');
    this.git('config', 'user.email', 'dev@example.com');
    this.git('checkout', '--quiet', '-b', 'stable');
    this.base = this.commit('base', { README: 'Runway bench\n', 'lib/app.py': 'VERSION = 1\n' });
    this.git('push', '--quiet', 'origin', 'stable');
    this.git('push', '--quiet', 'origin', 'stable:production-stable', 'stable:production-devel');
  }

  git(...args: string[]): string {
    return gitSync(['-C', this.work, ...args]);
  }

  /** Commits files on the current branch of the working clone; returns the sha. */
  commit(message: string, files: Record<string, string>): string {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.work, path)), { recursive: true });
      writeFileSync(join(this.work, path), content);
    }
    this.git('add', '-A');
    this.git('commit', '--quiet', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /**
   * Appends `count` successive commits to `branch` of the working clone with one `git
   * fast-import` (each changes lib/bench.py); returns their shas, oldest first. The work tree
   * is reset to the new tip when `branch` is checked out.
   */
  appendCommits(branch: string, count: number): string[] {
    const parent = this.git('rev-parse', `refs/heads/${branch}`);
    const marks = join(this.root, `marks-${branch}-${Date.now()}`);
    const parts: string[] = [];
    const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
    const start = Math.floor(Date.now() / 1000);
    for (let i = 1; i <= count; i++) {
      parts.push(
        `commit refs/heads/${branch}\n`,
        `mark :${i}\n`,
        `author Dev <dev@example.com> ${start + i} +0000\n`,
        `committer Dev <dev@example.com> ${start + i} +0000\n`,
        data(`Bench revision ${i}\n`),
        `from ${i === 1 ? parent : `:${i - 1}`}\n`,
        `M 100644 inline lib/bench.py\n`,
        data(`REVISION = ${i}\n`),
      );
    }
    gitSync(['-C', this.work, 'fast-import', '--quiet', `--export-marks=${marks}`], { input: parts.join('') });
    const byMark = new Map<number, string>();
    for (const line of readFileSync(marks, 'utf8').split('\n')) {
      const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line.trim());
      if (m) byMark.set(Number(m[1]), m[2]);
    }
    rmSync(marks, { force: true });
    const shas = Array.from({ length: count }, (_, i) => {
      const sha = byMark.get(i + 1);
      if (!sha) throw new Error(`git fast-import exported no sha for commit ${i + 1}`);
      return sha;
    });
    if (this.git('symbolic-ref', '--short', 'HEAD') === branch) this.git('reset', '--quiet', '--hard', branch);
    return shas;
  }

  push(branch: string): void {
    this.git('push', '--quiet', 'origin', `${branch}:${branch}`);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Where `branch` points in the repository at `gitDir`, read from the files (loose ref first,
 * then packed-refs), without starting git. Null when it does not exist.
 */
export function readRef(gitDir: string, branch: string): string | null {
  const ref = `refs/heads/${branch}`;
  try {
    const v = readFileSync(join(gitDir, ref), 'utf8').trim();
    if (/^[0-9a-f]{40,64}$/.test(v)) return v;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    for (const line of readFileSync(join(gitDir, 'packed-refs'), 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha) return sha;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return null;
}

/**
 * Watches one branch of a bare repository: inotify (fs.watch) on refs/heads and on the
 * repository directory (packed-refs) wakes it as soon as git renames the new ref into place,
 * and a 1 ms poll catches anything the watch does not report. Either way it reads the ref
 * file itself, never through a git process.
 */
export class RefWatcher {
  private readonly watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | null = null;
  private waiter: { sha: string; resolve: (at: number) => void } | null = null;

  constructor(
    private readonly gitDir: string,
    private readonly branch: string,
  ) {
    const headsDir = join(gitDir, 'refs', 'heads');
    if (!existsSync(headsDir)) mkdirSync(headsDir, { recursive: true });
    for (const dir of [headsDir, gitDir]) {
      const w = watch(dir, { persistent: false }, () => this.check());
      w.on('error', () => undefined);
      this.watchers.push(w);
    }
  }

  current(): string | null {
    return readRef(this.gitDir, this.branch);
  }

  /**
   * Resolves with the wall-clock time (ms) at which the branch was seen at `sha`: now, if it
   * already is. Rejects after `timeoutMs`, or as soon as `alive()` returns an error message.
   */
  async waitFor(sha: string, timeoutMs: number, alive: () => string | null = () => null): Promise<number> {
    if (this.current() === sha) return wallMs();
    if (this.waiter) throw new Error('RefWatcher: one wait at a time');
    let timer: NodeJS.Timeout | undefined;
    let health: NodeJS.Timeout | undefined;
    try {
      return await new Promise<number>((resolve, reject) => {
        this.waiter = { sha, resolve };
        this.poll = setInterval(() => this.check(), 1);
        timer = setTimeout(() => reject(new TimeoutError(`${this.branch} did not reach ${sha.slice(0, 10)} within ${timeoutMs} ms (it is at ${this.current()?.slice(0, 10) ?? 'nothing'})`)), timeoutMs);
        health = setInterval(() => {
          const problem = alive();
          if (problem) reject(new Error(problem));
        }, 100);
        this.check();
      });
    } finally {
      clearTimeout(timer);
      clearInterval(health);
      if (this.poll) clearInterval(this.poll);
      this.poll = null;
      this.waiter = null;
    }
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    if (this.poll) clearInterval(this.poll);
  }

  private check(): void {
    const w = this.waiter;
    if (!w) return;
    let now: string | null;
    try {
      now = this.current();
    } catch {
      return; // a ref being rewritten; look again at the next wake-up
    }
    if (now === w.sha) {
      const at = wallMs();
      this.waiter = null;
      w.resolve(at);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GIT_TRACE2_EVENT: what git processes ran, and when

export interface GitProcessTrace {
  sid: string;
  /** 0 for a process started by something other than git; 1 for a child of one; ... */
  depth: number;
  /** The git command (`fetch`, `rev-parse`, `upload-pack`), from the cmd_name event. */
  name: string;
  argv: string[];
  /** Wall-clock ms of its first and last events (the first is git's main(); spawn time is before it). */
  start: number;
  end: number;
  /** Processes it started (child_start events), git or not (`sh` for a local transport). */
  children: string[];
}

/** "2026-11-22T04:02:51.691395Z" → wall-clock ms, keeping the microseconds. */
function traceTime(s: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(s);
  if (!m) return Number.NaN;
  return Date.parse(`${m[1]}Z`) + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

/** Reads a GIT_TRACE2_EVENT file (from byte `fromByte`): one entry per git process, by first event. */
export function readTrace2(file: string, fromByte = 0): GitProcessTrace[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file).subarray(fromByte).toString('utf8');
  const byId = new Map<string, GitProcessTrace>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof e !== 'object' || e === null) continue;
    const ev = e as { event?: unknown; sid?: unknown; time?: unknown; argv?: unknown; name?: unknown };
    if (typeof ev.sid !== 'string' || typeof ev.time !== 'string') continue;
    const at = traceTime(ev.time);
    let p = byId.get(ev.sid);
    if (!p) {
      p = { sid: ev.sid, depth: ev.sid.split('/').length - 1, name: '?', argv: [], start: at, end: at, children: [] };
      byId.set(ev.sid, p);
    }
    p.start = Math.min(p.start, at);
    p.end = Math.max(p.end, at);
    const argv = Array.isArray(ev.argv) ? ev.argv.filter((a): a is string => typeof a === 'string') : [];
    if (ev.event === 'start') p.argv = argv;
    else if (ev.event === 'cmd_name' && typeof ev.name === 'string') p.name = ev.name;
    else if (ev.event === 'child_start') {
      const words = argv.join(' ').split(' ').filter(Boolean);
      p.children.push(words[0] === 'git' ? `git ${words.find((w, i) => i > 0 && !w.startsWith('-')) ?? ''}`.trim() : (words[0] ?? '?'));
    }
  }
  return [...byId.values()].sort((a, b) => a.start - b.start);
}
