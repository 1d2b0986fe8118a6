/**
 * A real git repository for tests: a bare "remote" that qa-gate and promotion both use
 * (QA_GIT_REPOSITORY, PROMOTION_GIT_REMOTE), with stable, production-stable and production-devel
 * at one first commit, and a working clone to commit and push from. git runs with no
 * configuration from this machine's user or system that could change what it does.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };

export class GitFixture {
  readonly root = mkdtempSync(join(tmpdir(), 'runway-git-'));
  readonly remote = join(this.root, 'remote.git');
  readonly work = join(this.root, 'work');
  /** A work directory for promotion's mirror, when a test wants one beside the repository. */
  readonly cache = join(this.root, 'promotion-mirror');

  constructor() {
    execFileSync('git', ['init', '--quiet', '--bare', '-b', 'stable', this.remote], { env: GIT_ENV });
    execFileSync('git', ['clone', '--quiet', this.remote, this.work], { env: GIT_ENV, stdio: 'ignore' });
    this.git('config', 'user.name', 'Dev');
    this.git('config', 'user.email', 'dev@example.com');
    this.git('config', 'commit.gpgsign', 'false');
    this.git('checkout', '--quiet', '-b', 'stable');
    this.commit('Initial import', { README: 'Launchpad\n', 'lib/app.py': 'VERSION = 1\n' });
    this.git('push', '--quiet', 'origin', 'stable', 'stable:production-stable', 'stable:production-devel');
  }

  /** Where qa-gate and promotion keep their own copies, under this repository's directory. */
  serviceEnv(): { 'qa-gate': Record<string, string>; promotion: Record<string, string> } {
    return {
      'qa-gate': { QA_GIT_REPOSITORY: this.remote, QA_GIT_CACHE_DIR: join(this.root, 'qa-gate-mirror'), QA_ENRICH_RETRY_SECONDS: '1' },
      promotion: { PROMOTION_GIT_REMOTE: this.remote, PROMOTION_GIT_WORKDIR: join(this.root, 'promotion-work'), PROMOTION_RETRY_SECONDS: '1' },
    };
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.work, ...args], { encoding: 'utf8', env: GIT_ENV }).trim();
  }

  /** Commits files on the working clone's current branch; returns the sha. */
  commit(message: string, files: Record<string, string>): string {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.work, path)), { recursive: true });
      writeFileSync(join(this.work, path), content);
    }
    this.git('add', '-A');
    this.git('commit', '--quiet', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /** Checks out the remote's `branch` as it is now. */
  checkout(branch: string): void {
    this.git('fetch', '--quiet', 'origin');
    this.git('checkout', '--quiet', '-B', branch, `origin/${branch}`);
  }

  push(branch: string): void {
    this.git('push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
  }

  /** Where a branch points in the remote. */
  remoteRef(branch: string): string {
    return execFileSync('git', ['--git-dir', this.remote, 'rev-parse', `refs/heads/${branch}`], { encoding: 'utf8', env: GIT_ENV }).trim();
  }

  isAncestor(a: string, b: string): boolean {
    try {
      execFileSync('git', ['--git-dir', this.remote, 'merge-base', '--is-ancestor', a, b], { env: GIT_ENV });
      return true;
    } catch {
      return false;
    }
  }

  parents(sha: string): string[] {
    return execFileSync('git', ['--git-dir', this.remote, 'rev-list', '--parents', '-n', '1', sha], { encoding: 'utf8', env: GIT_ENV }).trim().split(' ').slice(1);
  }

  /** Deletes the repositories (KEEP_TEST_DIRS=1 keeps them for a look). */
  remove(): void {
    if (!process.env.KEEP_TEST_DIRS) rmSync(this.root, { recursive: true, force: true });
  }
}
