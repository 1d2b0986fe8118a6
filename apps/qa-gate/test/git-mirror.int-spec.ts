/**
 * qa-gate's mirror follows its setting. Real git: two repositories made here. Issue 13, defect
 * 8: a mirror cloned from one repository was reused whatever `QA_GIT_REPOSITORY` said later,
 * so after the setting changed no landing was ever read.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitRepository } from '../src/git/git.repository';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } }).trim();
}

function repository(dir: string, file: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'stable');
  git(dir, 'config', 'user.name', 'Ada');
  git(dir, 'config', 'user.email', 'ada@example.com');
  writeFileSync(join(dir, file), `${file}\n`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', `Add ${file}`);
  return git(dir, 'rev-parse', 'HEAD');
}

describe('qa-gate: the git mirror', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'runway-qa-mirror-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is made again when the configured repository changes, so the new one is read', async () => {
    const first = repository(join(tmp, 'first'), 'a.py');
    const second = repository(join(tmp, 'second'), 'b.py');
    const mirror = join(tmp, 'cache', 'mirror');

    expect(await new GitRepository(join(tmp, 'first'), mirror).firstParentSpan(null, first)).toMatchObject({ kind: 'first', revno: 1 });
    // The same cache directory, another repository: as after editing QA_GIT_REPOSITORY and restarting.
    const span = await new GitRepository(join(tmp, 'second'), mirror).firstParentSpan(null, second);
    expect(span).toMatchObject({ kind: 'first', revno: 1, commit: { sha: second, files: ['b.py'] } });
    expect(git(tmp, '--git-dir', mirror, 'config', '--get', 'runway.source')).toBe(join(tmp, 'second'));
    // The first repository's commits are gone with its mirror.
    expect(await new GitRepository(join(tmp, 'second'), mirror).firstParentSpan(null, first)).toEqual({ kind: 'missing' });
  });

  it('keeps a mirror of the configured repository, and its fetches', async () => {
    const dir = join(tmp, 'kept');
    const base = repository(dir, 'c.py');
    const mirror = join(tmp, 'cache', 'kept');
    await new GitRepository(dir, mirror).firstParentSpan(null, base);
    writeFileSync(join(mirror, 'marker'), 'kept');
    writeFileSync(join(dir, 'd.py'), 'd\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'Add d');
    const next = git(dir, 'rev-parse', 'HEAD');
    expect(await new GitRepository(dir, mirror).firstParentSpan(base, next)).toMatchObject({ kind: 'descendant', commits: [{ sha: next }] });
    expect(execFileSync('cat', [join(mirror, 'marker')], { encoding: 'utf8' })).toBe('kept');
  });
});
