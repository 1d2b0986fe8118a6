/**
 * Promotion's hands on git: a bare mirror of the remote repository, fetched before each
 * decision (and made again if it was cloned from another remote); ancestry and patch-identity
 * checks; the paths a move changes; merges made without a work tree (`git merge-tree
 * --write-tree`); and a push that succeeds only if the remote branch is still exactly where we
 * saw it (`--force-with-lease=<ref>:<expected>`), so two replicas, or a person, can never be
 * overwritten. Credentials in the remote URL never reach a log line or an error message.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface GitIdentity {
  name: string;
  email: string;
}

export class GitCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stdout: string,
  ) {
    super(message);
  }
}

export function redactUrl(source: string): string {
  return source.replace(/\/\/[^/@\s]*@/, '//[redacted]@');
}

export type MergeResult = { ok: true; commit: string } | { ok: false; conflicts: string[] };

/** The config key a mirror keeps its remote in, to tell when the setting points elsewhere. */
const SOURCE_KEY = 'runway.source';

/** How a target commit stands to the current head: already in it, ahead of it, or beside it. */
export type Relation = 'contained' | 'fast-forward' | 'diverged' | 'missing';

export class ProductionRepository {
  private readonly dir: string;
  private ready: Promise<void> | null = null;
  /** Set once the mirror on disk is known to be of `remote`. */
  private checked = false;

  constructor(
    private readonly remote: string,
    workDir: string,
    private readonly identity: GitIdentity,
  ) {
    this.dir = resolve(workDir);
  }

  get displayName(): string {
    return redactUrl(this.remote);
  }

  private git(args: string[], opts: { input?: string; okCodes?: number[]; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; code: number }> {
    return new Promise((done, fail) => {
      const child = execFile(
        'git',
        ['--git-dir', this.dir, ...args],
        {
          maxBuffer: 128 * 1024 * 1024,
          timeout: 120_000,
          encoding: 'utf8',
          env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C', ...opts.env },
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
          if (err && !(code !== null && opts.okCodes?.includes(code))) {
            fail(new GitCommandError(`git ${args[0]}: ${redactUrl(String(stderr || err.message).trim()).slice(0, 2000)}`, code, stdout));
          } else done({ stdout, code: code ?? 0 });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  }

  /** Clones the bare mirror on first use, and again when the one on disk was cloned from another remote. */
  ensure(): Promise<void> {
    if (this.checked && existsSync(resolve(this.dir, 'HEAD'))) return Promise.resolve();
    this.ready ??= (async () => {
      if (existsSync(resolve(this.dir, 'HEAD'))) {
        const read = (key: string) => this.git(['config', '--get', key]).then((r) => r.stdout.trim(), () => null);
        if (((await read(SOURCE_KEY)) ?? (await read('remote.origin.url'))) === this.remote) {
          this.checked = true;
          return;
        }
        rmSync(this.dir, { recursive: true, force: true });
      }
      mkdirSync(dirname(this.dir), { recursive: true });
      await new Promise<void>((done, fail) =>
        execFile('git', ['clone', '--bare', '--quiet', this.remote, this.dir], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (err, _o, stderr) =>
          err ? fail(new GitCommandError(`cannot clone ${this.displayName}: ${redactUrl(String(stderr)).trim()}`, null, '')) : done(),
        ),
      );
      await this.git(['config', 'remote.origin.fetch', '+refs/heads/*:refs/heads/*']);
      await this.git(['config', SOURCE_KEY, this.remote]);
      this.checked = true;
    })().finally(() => {
      this.ready = null;
    });
    return this.ready;
  }

  /** Fetches every branch from the remote; returns where the asked branches point (null: absent). */
  async sync(branches: string[]): Promise<Record<string, string | null>> {
    await this.ensure();
    await this.git(['fetch', '--quiet', '--prune', '--force', '--no-auto-maintenance', 'origin']);
    this.lastFetch = Date.now();
    const out: Record<string, string | null> = {};
    for (const b of branches) out[b] = this.head(b);
    return out;
  }

  lastFetch = 0;

  /**
   * Where a branch points in the mirror, read from its ref files: no process to start. The
   * mirror is as fresh as the last fetch or push; a stale view is caught by the push's lease.
   */
  head(branch: string): string | null {
    try {
      return readFileSync(resolve(this.dir, 'refs/heads', branch), 'utf8').trim();
    } catch {
      try {
        const packed = readFileSync(resolve(this.dir, 'packed-refs'), 'utf8');
        const line = packed.split('\n').find((l) => l.endsWith(` refs/heads/${branch}`));
        return line ? line.split(' ')[0] : null;
      } catch {
        return null;
      }
    }
  }

  /** One `git merge-base` tells whether `target` is in `current`, ahead of it, or beside it. */
  async relation(current: string, target: string): Promise<Relation> {
    const { stdout, code } = await this.git(['merge-base', current, target], { okCodes: [1, 128] });
    if (code === 128) return 'missing';
    const base = stdout.trim();
    if (code === 1 || !base) return 'diverged';
    if (target.startsWith(base) || base === target) return 'contained';
    if (base === current) return 'fast-forward';
    return 'diverged';
  }

  async resolve(ref: string): Promise<string | null> {
    const { stdout, code } = await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { okCodes: [1] });
    return code === 0 ? stdout.trim() : null;
  }

  async hasCommit(sha: string): Promise<boolean> {
    return (await this.resolve(sha)) !== null;
  }

  /** True when `ancestor` is reachable from `descendant` (a commit is its own ancestor). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const { code } = await this.git(['merge-base', '--is-ancestor', ancestor, descendant], { okCodes: [1] });
    return code === 0;
  }

  /** Commits reachable from `to` but not from `from`, oldest first (first-parent only when asked). */
  async between(from: string | null, to: string, firstParent = false): Promise<string[]> {
    const range = from ? [`${from}..${to}`] : [to];
    const { stdout } = await this.git(['rev-list', '--reverse', ...(firstParent ? ['--first-parent'] : []), ...range]);
    return stdout.split('\n').filter(Boolean);
  }

  /** The paths that differ between two commits (`from` null: everything in `to`). */
  async changedPaths(from: string | null, to: string): Promise<string[]> {
    const base = from ?? (await this.git(['hash-object', '-t', 'tree', '--stdin'], { input: '' })).stdout.trim();
    const { stdout } = await this.git(['diff', '--name-only', '--no-renames', '-z', base, to]);
    return stdout.split('\0').filter(Boolean);
  }

  /** A commit's patch identity: the same change made again (a cherry-pick) has the same one. */
  async patchId(sha: string): Promise<string | null> {
    const { stdout } = await this.git(['diff-tree', '-p', '--no-commit-id', sha]);
    if (!stdout.trim()) return null;
    const ids = await this.git(['patch-id', '--stable'], { input: stdout });
    return ids.stdout.trim().split(' ')[0] || null;
  }

  /** The commit in `head` not in `fix`'s history that makes the same change as `fix` (a cherry-pick), if any. */
  async equivalentIn(fix: string, fixPatchId: string, head: string): Promise<string | null> {
    const { stdout } = await this.git(['log', '-p', '--no-merges', '--format=commit %H', `${fix}..${head}`]);
    if (!stdout.trim()) return null;
    const ids = await this.git(['patch-id', '--stable'], { input: stdout });
    for (const line of ids.stdout.split('\n')) {
      const [patchId, commit] = line.trim().split(' ');
      if (patchId === fixPatchId && commit) return commit;
    }
    return null;
  }

  /**
   * The oldest commit on `head`'s first-parent line that contains `commit` (which `head`
   * contains): where the branch gained it, directly or through a merge. Containment only grows
   * along the line, so a binary search over the commits `commit` lacks finds it.
   */
  async firstContaining(head: string, commit: string): Promise<string> {
    const { stdout } = await this.git(['rev-list', '--first-parent', head, `^${commit}`]);
    const line = stdout.split('\n').filter(Boolean); // newest first
    if (line.length === 0) return (await this.resolve(commit)) ?? commit;
    let lo = 0;
    let hi = line.length - 1; // line[lo] contains it; find the last (oldest) index that does
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (await this.isAncestor(commit, line[mid])) lo = mid;
      else hi = mid - 1;
    }
    const oldest = line[lo];
    // On the first-parent line itself, the commit is where the branch gained it.
    const parents = (await this.git(['rev-list', '--parents', '-n', '1', oldest])).stdout.trim().split(' ').slice(1);
    const full = (await this.resolve(commit)) ?? commit;
    return parents[0] === full ? full : oldest;
  }

  /**
   * The first-parent position on `branch` of the newest commit of that branch which `head`
   * contains (its revno), or null when it contains none. Older commits of the line are
   * contained whenever a newer one is, so a binary search finds it.
   */
  async positionIn(branch: string, head: string): Promise<number | null> {
    const tip = this.head(branch);
    if (!tip) return null;
    const { stdout } = await this.git(['rev-list', '--first-parent', tip]);
    const line = stdout.split('\n').filter(Boolean); // newest first
    let lo = 0;
    let hi = line.length; // the first index whose commit head contains, or line.length for none
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.isAncestor(line[mid], head)) hi = mid;
      else lo = mid + 1;
    }
    return lo < line.length ? line.length - lo : null;
  }

  /** Merges `theirs` into `ours` without a work tree; a conflict returns the conflicting paths. */
  async merge(ours: string, theirs: string, message: string): Promise<MergeResult> {
    const { stdout, code } = await this.git(['merge-tree', '--write-tree', '--name-only', '--no-messages', ours, theirs], { okCodes: [1] });
    const [tree, ...rest] = stdout.split('\n');
    if (code === 1) return { ok: false, conflicts: rest.filter(Boolean) };
    const env = {
      GIT_AUTHOR_NAME: this.identity.name, GIT_AUTHOR_EMAIL: this.identity.email,
      GIT_COMMITTER_NAME: this.identity.name, GIT_COMMITTER_EMAIL: this.identity.email,
    };
    const commit = await this.git(['commit-tree', tree.trim(), '-p', ours, '-p', theirs, '-F', '-'], { input: message, env });
    return { ok: true, commit: commit.stdout.trim() };
  }

  /**
   * Moves the remote branch to `sha`, only if it is still at `expected` (null: must not exist).
   * Returns false when the remote moved meanwhile: nothing was changed.
   */
  async push(branch: string, sha: string, expected: string | null): Promise<boolean> {
    const lease = `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`;
    try {
      await this.git(['push', '--quiet', '--porcelain', lease, 'origin', `${sha}:refs/heads/${branch}`]);
    } catch (e) {
      if (e instanceof GitCommandError && /stale info|rejected|fetch first|non-fast-forward/.test(e.message + e.stdout)) return false;
      throw e;
    }
    // The mirror's refspec maps refs/heads/* onto itself, so the push has updated our ref too.
    return true;
  }
}
