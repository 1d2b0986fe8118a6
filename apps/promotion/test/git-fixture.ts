/**
 * A real git "remote" (bare) with a working clone, for promotion tests: the branches Runway
 * knows (stable, production-stable, production-devel), commits made with the git CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export class GitFixture {
  readonly root = mkdtempSync(join(tmpdir(), 'runway-promo-git-'));
  readonly remote = join(this.root, 'remote.git');
  readonly work = join(this.root, 'work');
  readonly cache = join(this.root, 'promotion-mirror');

  constructor() {
    execFileSync('git', ['init', '--quiet', '--bare', '-b', 'stable', this.remote]);
    execFileSync('git', ['clone', '--quiet', this.remote, this.work], { stdio: 'ignore' });
    this.git('config', 'user.name', 'Dev');
    this.git('config', 'user.email', 'dev@example.com');
    this.git('checkout', '--quiet', '-b', 'stable');
    this.commit('base', { 'README': 'Runway test\n', 'lib/app.py': 'VERSION = 1\n' });
    this.git('push', '--quiet', 'origin', 'stable');
    this.git('push', '--quiet', 'origin', 'stable:production-stable', 'stable:production-devel');
  }

  /** Deletes the repositories (KEEP_TEST_DIRS=1 keeps them for a look). */
  remove(): void {
    if (!process.env.KEEP_TEST_DIRS) rmSync(this.root, { recursive: true, force: true });
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.work, ...args], { encoding: 'utf8' }).trim();
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

  checkout(branch: string): void {
    this.git('fetch', '--quiet', 'origin');
    this.git('checkout', '--quiet', '-B', branch, `origin/${branch}`);
  }

  push(branch: string): void {
    this.git('push', '--quiet', 'origin', `HEAD:${branch}`);
  }

  /** Where a branch points in the remote. */
  remoteRef(branch: string): string {
    return execFileSync('git', ['--git-dir', this.remote, 'rev-parse', `refs/heads/${branch}`], { encoding: 'utf8' }).trim();
  }

  isAncestor(a: string, b: string): boolean {
    try {
      execFileSync('git', ['--git-dir', this.remote, 'merge-base', '--is-ancestor', a, b]);
      return true;
    } catch {
      return false;
    }
  }

  parents(sha: string): string[] {
    return execFileSync('git', ['--git-dir', this.remote, 'rev-list', '--parents', '-n', '1', sha], { encoding: 'utf8' }).trim().split(' ').slice(1);
  }
}
