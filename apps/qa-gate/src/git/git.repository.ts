/**
 * qa-gate's read-only view of the code: a mirror of the configured repository (a path or a
 * URL), fetched when a landed commit is not there yet. It answers where a landed commit stands
 * on the branch's first-parent history, and reads many commits per `git` call. A mirror made
 * from another repository (the setting changed) is thrown away and made again. Credentials in
 * the URL never reach a log line or an error message.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface CommitInfo {
  sha: string;
  parents: string[];
  author: string;
  message: string;
  /** Paths changed against the first parent (all paths for a root commit). */
  files: string[];
  /** For a merge read as part of a span: the commits it brought, which its first parent lacks. */
  brought?: string[];
}

export class GitUnavailableError extends Error {
  readonly code = 'GIT_UNAVAILABLE';
}

/**
 * Where a landed commit stands against the branch's recorded tip, on the first-parent history:
 * - `first`: nothing recorded yet; the commit is where Runway starts, at its first-parent position;
 * - `descendant`: the first-parent commits after the tip up to it, oldest first;
 * - `contained`: the tip already has it (it is the tip, or an older commit);
 * - `rewritten`: the tip is not on its first-parent history (a force-push, a merge the wrong way round);
 * - `missing`: the repository does not have it, even after a fetch.
 */
export type FirstParentSpan =
  | { kind: 'first'; revno: number; commit: CommitInfo }
  | { kind: 'descendant'; commits: CommitInfo[] }
  | { kind: 'contained' }
  | { kind: 'rewritten' }
  | { kind: 'missing' };

/** The config key a mirror keeps its source in, to tell when the setting points elsewhere. */
const SOURCE_KEY = 'runway.source';

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
  /** Set once the mirror on disk is known to be of `source`. */
  private checked = false;
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

  /**
   * Where `sha` stands against `tip` (null: nothing recorded yet) on the first-parent history,
   * with every commit that would be new, read. Fetches once if either is missing.
   */
  async firstParentSpan(tip: string | null, sha: string): Promise<FirstParentSpan> {
    await this.ensureMirror();
    const wanted = tip ? [tip, sha] : [sha];
    if ((await this.missing(wanted)).length) {
      await this.fetch();
      const still = await this.missing(wanted);
      if (still.includes(sha)) return { kind: 'missing' };
      if (tip && still.includes(tip)) return { kind: 'rewritten' };
    }
    if (!tip) {
      const revno = Number((await git(['--git-dir', this.dir, 'rev-list', '--count', '--first-parent', sha])).trim());
      const commit = (await this.log([sha])).get(sha);
      return commit ? { kind: 'first', revno, commit } : { kind: 'missing' };
    }
    const fresh = (await git(['--git-dir', this.dir, 'rev-list', '--first-parent', '--reverse', `${tip}..${sha}`])).split('\n').filter(Boolean);
    if (fresh.length === 0) return { kind: 'contained' };
    const commits = await this.log(fresh);
    const first = commits.get(fresh[0]);
    // The walk stops at the first commit the tip has; that is the tip itself only when the tip is on the first-parent line.
    if (!first || !sameCommit(first.parents[0], tip)) return { kind: 'rewritten' };
    const span = fresh.map((s) => commits.get(s)!);
    for (const c of span.filter((x) => x.parents.length > 1)) c.brought = await this.brought(c);
    return { kind: 'descendant', commits: span };
  }

  /** The commits a merge brought: reachable from it, not from its first parent (itself left out). */
  private async brought(merge: CommitInfo): Promise<string[]> {
    const out = await git(['--git-dir', this.dir, 'rev-list', '--max-count=10001', merge.sha, `^${merge.parents[0]}`]);
    return out.split('\n').filter((s) => s && s !== merge.sha).slice(0, 10000);
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

  /** Clones the mirror on first use, and again when the one on disk was made from another source. */
  private ensureMirror(): Promise<void> {
    if (this.checked && existsSync(resolve(this.dir, 'HEAD'))) return Promise.resolve();
    this.mirrored ??= (async () => {
      if (existsSync(resolve(this.dir, 'HEAD')) && (await this.mirrorSource()) === this.source) {
        this.checked = true;
        return;
      }
      rmSync(this.dir, { recursive: true, force: true });
      mkdirSync(dirname(this.dir), { recursive: true });
      try {
        await git(['clone', '--mirror', '--quiet', this.source, this.dir]);
        await git(['--git-dir', this.dir, 'config', SOURCE_KEY, this.source]);
      } catch (e) {
        throw new GitUnavailableError(`cannot clone ${this.displayName}: ${redactUrl((e as Error).message)}`);
      }
      this.checked = true;
    })().finally(() => {
      this.mirrored = null;
    });
    return this.mirrored;
  }

  /** The source a mirror on disk was cloned from: the one Runway noted, else git's own origin. */
  private async mirrorSource(): Promise<string | null> {
    const read = (key: string) => git(['--git-dir', this.dir, 'config', '--get', key]).then((s) => s.trim(), () => null);
    return (await read(SOURCE_KEY)) ?? (await read('remote.origin.url'));
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
    // Revisions on stdin: a landing after a long outage can cover thousands of commits.
    const out = await git([
      '--git-dir', this.dir, 'log', '--stdin', '--no-walk=unsorted', '--first-parent', '-m', '--name-only', '--no-renames',
      '--format=%x1e%H%x1f%P%x1f%an <%ae>%x1f%B%x1d',
    ], { input: `${shas.join('\n')}\n` });
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

/** Two names of one commit, either possibly abbreviated. */
function sameCommit(a: string | undefined, b: string): boolean {
  return a !== undefined && (a.startsWith(b) || b.startsWith(a));
}
