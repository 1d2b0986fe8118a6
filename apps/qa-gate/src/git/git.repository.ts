/**
 * qa-gate's read-only view of the code: a mirror of the configured repository (a path or a
 * URL), fetched when a landed commit is not there yet. Reads many commits per `git` call.
 * Credentials in the URL never reach a log line or an error message.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface CommitInfo {
  sha: string;
  parents: string[];
  author: string;
  message: string;
  /** Paths changed against the first parent (all paths for a root commit). */
  files: string[];
}

export class GitUnavailableError extends Error {
  readonly code = 'GIT_UNAVAILABLE';
}

/** The repository address with any password or token taken out, for messages. */
export function redactUrl(source: string): string {
  return source.replace(/\/\/[^/@\s]*@/, '//[redacted]@');
}

function git(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'git',
      args,
      {
        maxBuffer: 256 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 120_000,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' },
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(new Error(String(stderr || err.message).trim().slice(0, 2000)), { exitCode: (err as { code?: unknown }).code }));
        else resolvePromise(stdout);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export class GitRepository {
  private readonly dir: string;
  private mirrored: Promise<void> | null = null;
  private fetching: Promise<void> | null = null;

  constructor(
    private readonly source: string,
    cacheDir: string,
  ) {
    this.dir = resolve(cacheDir);
  }

  get displayName(): string {
    return redactUrl(this.source);
  }

  /** Reads the given commits, fetching once if some are missing. Unknown shas are left out. */
  async read(shas: string[]): Promise<Map<string, CommitInfo>> {
    if (shas.length === 0) return new Map();
    await this.ensureMirror();
    let missing = await this.missing(shas);
    if (missing.length) {
      await this.fetch();
      missing = await this.missing(shas);
    }
    const present = shas.filter((s) => !missing.includes(s));
    return present.length ? this.log(present) : new Map();
  }

  private ensureMirror(): Promise<void> {
    if (existsSync(resolve(this.dir, 'HEAD'))) return Promise.resolve();
    this.mirrored ??= (async () => {
      mkdirSync(dirname(this.dir), { recursive: true });
      try {
        await git(['clone', '--mirror', '--quiet', this.source, this.dir]);
      } catch (e) {
        throw new GitUnavailableError(`cannot clone ${this.displayName}: ${redactUrl((e as Error).message)}`);
      }
    })().finally(() => {
      this.mirrored = null;
    });
    return this.mirrored;
  }

  /** One fetch at a time; callers that arrive meanwhile share it. */
  fetch(): Promise<void> {
    this.fetching ??= git(['--git-dir', this.dir, 'fetch', '--quiet', '--prune', '--force', 'origin'])
      .then(() => undefined)
      .catch((e) => {
        throw new GitUnavailableError(`cannot fetch ${this.displayName}: ${redactUrl((e as Error).message)}`);
      })
      .finally(() => {
        this.fetching = null;
      });
    return this.fetching;
  }

  private async missing(shas: string[]): Promise<string[]> {
    const out = await git(['--git-dir', this.dir, 'cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: `${shas.map((s) => `${s}^{commit}`).join('\n')}\n` });
    const lines = out.split('\n').filter(Boolean);
    return shas.filter((_, i) => !/ commit$/.test(lines[i] ?? ''));
  }

  private async log(shas: string[]): Promise<Map<string, CommitInfo>> {
    const out = await git([
      '--git-dir', this.dir, 'log', '--no-walk=unsorted', '--first-parent', '-m', '--name-only', '--no-renames',
      '--format=%x1e%H%x1f%P%x1f%an <%ae>%x1f%B%x1d', ...shas,
    ]);
    const commits = new Map<string, CommitInfo>();
    for (const record of out.split('\x1e').slice(1)) {
      const [sha, parents, author, rest] = record.split('\x1f');
      const [message, files = ''] = rest.split('\x1d');
      commits.set(sha, {
        sha, parents: parents ? parents.split(' ') : [], author, message: message.replace(/\n+$/, ''),
        files: files.split('\n').map((f) => f.trim()).filter(Boolean),
      });
    }
    // Abbreviated shas were asked for by their prefix.
    const out2 = new Map<string, CommitInfo>();
    for (const s of shas) {
      const c = commits.get(s) ?? [...commits.values()].find((x) => x.sha.startsWith(s));
      if (c) out2.set(s, c);
    }
    return out2;
  }
}
