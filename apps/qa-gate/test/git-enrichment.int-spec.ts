/**
 * qa-gate reading landed commits from a real git repository, in-process against real Postgres
 * (own database) and NATS JetStream (own namespace). The repository is made here with the git
 * CLI; landings carry no message (buildbot never sends one), so `[no-qa]`, `[rollback=...]`
 * and schema patches can only come from git. Also: a repository that cannot be reached yet only
 * delays enrichment, and an unread revision blocks the deployable frontier meanwhile.
 */
import { startService } from '@runway/platform';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ApiClient, eventually, startServiceUnderTest } from '@runway/testing';
import { qaGate } from '../src/definition';

const AUTHOR = 'Ada Lovelace <ada@example.com>';

/** git, with no configuration from this machine's user or system that could change what it does. */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' },
  }).trim();
}

/** A repository on `stable` with a first commit, as Launchpad's tree would be before the test lands anything. */
function initRepository(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'stable');
  git(dir, 'config', 'user.name', 'Ada Lovelace');
  git(dir, 'config', 'user.email', 'ada@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  return commit(dir, 'Initial import', { 'README.md': 'Launchpad\n', 'lib/foo.py': 'def foo():\n    return 1\n' });
}

/** Writes the files, commits them with the message, and returns the new commit's sha. */
function commit(repo: string, message: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

function append(repo: string, path: string, line: string): Record<string, string> {
  const file = join(repo, path);
  return { [path]: `${existsSync(file) ? readFileSync(file, 'utf8') : ''}${line}\n` };
}

interface Landed {
  sha: string;
  revno: number;
}

/** The parts of buildbot's HttpStatusPush body that name the commit and the build. */
interface BuildbotBody {
  buildid: number;
  properties: Record<string, [unknown, string]>;
  buildset: { sourcestamps: { revision: string | null }[] };
}

async function startQaGate(repository: string, cacheDir: string) {
  const sut = await startServiceUnderTest(startService, qaGate, { QA_GIT_REPOSITORY: repository, QA_GIT_CACHE_DIR: cacheDir, QA_ENRICH_RETRY_SECONDS: '1' });
  return { svc: sut.svc, admin: sut.admin, buildbot: await sut.clientWith(['buildbot']), close: sut.close };
}

/** GET /revisions/:sha once git has been read for it. */
async function enriched(admin: ApiClient, sha: string, timeoutMs = 10_000) {
  return eventually(async () => {
    const r = await admin.get(`/revisions/${sha}`);
    return r.status === 200 && r.body.enrichedAt ? r.body : null;
  }, { what: `${sha} read from git`, timeoutMs });
}

describe('qa-gate: reading landed commits from git', () => {
  let tmp: string;
  let repo: string;
  let cacheDir: string;
  let qa: Awaited<ReturnType<typeof startQaGate>>;
  let admin: ApiClient;
  let nextBuildId = 5000;
  const finished = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'buildbot', 'build-finished-success.json'), 'utf8')) as BuildbotBody;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'runway-qa-git-'));
    repo = join(tmp, 'launchpad');
    cacheDir = join(tmp, 'cache', 'mirror');
    initRepository(repo);
    qa = await startQaGate(repo, cacheDir);
    admin = qa.admin;
  });
  afterAll(async () => {
    await qa?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Lands a commit as buildbot does: a finished SUCCESS build of it, with no commit message. */
  async function landByBuildbot(sha: string): Promise<Landed> {
    const body = structuredClone(finished);
    body.buildid = nextBuildId++;
    body.properties.got_revision = [sha, 'Git'];
    body.properties.revision = [sha, 'Build'];
    body.buildset.sourcestamps[0].revision = sha;
    const res = await qa.buildbot.post('/buildbot', body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ landed: true, revision: { sha, recorded: true, qaStatus: 'needs-testing' } });
    return { sha, revno: res.body.revision.revno };
  }

  /** Lands a commit through the generic API, again with no message. */
  async function landByApi(sha: string): Promise<Landed> {
    const res = await qa.buildbot.post('/revisions', { branch: 'stable', sha });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ recorded: true, qaStatus: 'needs-testing' });
    return { sha, revno: res.body.revno };
  }

  it('passes a commit whose message carries [no-qa], once it has read the message from git', async () => {
    const sha = commit(repo, 'Fix a typo in the help text [no-qa]', append(repo, 'README.md', 'Now without typos.'));
    const parent = git(repo, 'rev-parse', 'HEAD^');
    await landByBuildbot(sha);

    const rev = await enriched(admin, sha);
    expect(rev).toMatchObject({
      qaStatus: 'no-qa', message: 'Fix a typo in the help text [no-qa]', parents: [parent], changedFiles: ['README.md'], db: false, enrichError: null,
      // buildbot named the author (its `owners`); git's author does not replace it.
      author: 'Dev <dev@example.com>',
    });
    expect(rev.history).toEqual([expect.objectContaining({ fromStatus: 'needs-testing', toStatus: 'no-qa', by: 'commit message' })]);
  });

  it('makes a commit that adds a schema patch a DB revision, and one that changes code not', async () => {
    const dbSha = commit(repo, 'Add a column for the bug heat', {
      'database/schema/patch-2209-01-0.sql': 'ALTER TABLE bug ADD COLUMN heat integer;\n',
    });
    const codeSha = commit(repo, 'Make foo faster', { 'lib/foo.py': 'def foo():\n    return 2\n' });
    const dbRev = await landByApi(dbSha);
    const codeRev = await landByBuildbot(codeSha);
    expect(codeRev.revno).toBe(dbRev.revno + 1);

    expect(await enriched(admin, dbSha)).toMatchObject({
      db: true, changedFiles: ['database/schema/patch-2209-01-0.sql'], qaStatus: 'needs-testing', author: AUTHOR,
    });
    expect(await enriched(admin, codeSha)).toMatchObject({ db: false, changedFiles: ['lib/foo.py'], qaStatus: 'needs-testing' });
  });

  it('judges a merge landed by PQM by what it brings to stable (its first parent), branch commits included', async () => {
    git(repo, 'checkout', '-q', '-b', 'bug-heat-index');
    commit(repo, 'Index the bug heat', { 'database/schema/patch-2209-03-0.sql': 'CREATE INDEX bug__heat2 ON bug (heat);\n' });
    commit(repo, 'Use the index', append(repo, 'lib/heat.py', 'USE_INDEX = True'));
    git(repo, 'checkout', '-q', 'stable');
    const firstParent = commit(repo, 'Meanwhile on stable', append(repo, 'README.md', 'Meanwhile.'));
    git(repo, 'merge', '-q', '--no-ff', 'bug-heat-index', '-m', '[r=bob] Index the bug heat [no-qa]');
    const merge = git(repo, 'rev-parse', 'HEAD');
    const branchTip = git(repo, 'rev-parse', 'bug-heat-index');
    await landByApi(firstParent);
    await landByBuildbot(merge);

    const rev = await enriched(admin, merge);
    expect(rev).toMatchObject({ parents: [firstParent, branchTip], db: true, qaStatus: 'no-qa', message: '[r=bob] Index the bug heat [no-qa]' });
    expect([...rev.changedFiles].sort()).toEqual(['database/schema/patch-2209-03-0.sql', 'lib/heat.py']);
    expect(await enriched(admin, firstParent)).toMatchObject({ changedFiles: ['README.md'], db: false });
  });

  it.each([
    ['revno', (bad: Landed) => String(bad.revno)],
    ['sha prefix', (bad: Landed) => bad.sha.slice(0, 12)],
  ])('links a fix whose message carries [rollback=<%s>] to the earlier revision', async (_how, ref) => {
    const bad = await landByApi(commit(repo, 'Cache the bug listing', append(repo, 'lib/listing.py', 'CACHE = {}')));
    await landByBuildbot(commit(repo, 'Fix the spelling of Ubuntu', append(repo, 'lib/names.py', 'UBUNTU = "Ubuntu"')));
    const fix = await landByApi(commit(repo, `Revert the bug listing cache [rollback=${ref(bad)}]`, { 'lib/listing.py': '' }));

    const fixRev = await enriched(admin, fix.sha);
    expect(fixRev).toMatchObject({ fixesRevno: bad.revno, fixedByRevno: null });
    expect(await enriched(admin, bad.sha)).toMatchObject({ fixedByRevno: fix.revno, fixesRevno: null });
  });

  it('fetches commits made after it cloned its mirror', async () => {
    const first = commit(repo, 'Tidy the CSS [no-qa]', append(repo, 'lib/style.css', 'body { margin: 0 }'));
    await landByBuildbot(first);
    await enriched(admin, first);
    expect(existsSync(join(cacheDir, 'HEAD'))).toBe(true);

    // Made after the mirror was cloned (and after every earlier fetch): only a fetch can find it.
    const later = commit(repo, 'Speed up the search page', { 'lib/search.py': 'def search():\n    return []\n' });
    expect(() => git(cacheDir, 'cat-file', '-e', `${later}^{commit}`)).toThrow();
    await landByApi(later);
    expect(await enriched(admin, later)).toMatchObject({ message: 'Speed up the search page', changedFiles: ['lib/search.py'], enrichError: null });
  });

  it('blocks the deployable revision on a revision it has not read yet, even one whose message would pass it', async () => {
    // Start from a frontier with nothing blocking: QA passes whatever earlier tests left waiting.
    const waiting = (await admin.get('/revisions?branch=stable&limit=1000')).body.items
      .filter((r: { qaStatus: string }) => !['ok', 'no-qa', 'untestable'].includes(r.qaStatus));
    for (const r of waiting) expect((await admin.patch(`/revisions/${r.id}/qa`, { status: 'ok' })).status).toBe(200);
    const tipBefore = (await admin.get('/revisions?branch=stable&limit=1')).body.items[0];
    if (tipBefore) {
      await eventually(async () => (await admin.get('/deployable')).body.deployable?.revno === tipBefore.revno, { what: 'frontier at the tip' });
    }

    // A commit the repository does not hold yet (pushed from a developer's clone later).
    const clone = join(tmp, `clone-${Date.now()}`);
    git(tmp, 'clone', '-q', repo, clone);
    git(clone, 'config', 'user.name', 'Ada Lovelace');
    git(clone, 'config', 'user.email', 'ada@example.com');
    const sha = commit(clone, 'Add the bug heat index [no-qa]', { 'database/schema/patch-2209-02-0.sql': 'CREATE INDEX bug__heat ON bug (heat);\n' });
    const landed = await landByApi(sha);

    const unread = await eventually(async () => {
      const r = (await admin.get(`/revisions/${sha}`)).body;
      return r.enrichError ? r : null;
    }, { what: 'a failed read of the unknown commit' });
    expect(unread).toMatchObject({ enrichedAt: null, qaStatus: 'needs-testing', db: false });
    expect(unread.enrichError).toMatch(/not found/);
    const blocked = (await admin.get('/deployable')).body;
    expect(blocked.deployable?.revno ?? null).toBe(tipBefore?.revno ?? null);
    expect(blocked.blocker).toMatchObject({ revno: landed.revno, sha, kind: 'not-enriched', actor: 'runway' });
    expect(blocked.nextAction).toMatchObject({ actor: 'runway', revno: landed.revno });

    git(repo, 'pull', '-q', '--ff-only', clone, 'stable');
    const rev = await enriched(admin, sha, 20_000);
    expect(rev).toMatchObject({ qaStatus: 'no-qa', db: true, changedFiles: ['database/schema/patch-2209-02-0.sql'], enrichError: null });
    const after = await eventually(async () => {
      const d = (await admin.get('/deployable')).body;
      return d.deployable?.revno === landed.revno ? d : null;
    }, { what: `r${landed.revno} deployable once read` });
    expect(after.blocker).toBeNull();
  });
});

describe('qa-gate: a git repository that cannot be reached yet', () => {
  let tmp: string;
  let qa: Awaited<ReturnType<typeof startQaGate>>;
  let expectedPath: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'runway-qa-git-later-'));
    expectedPath = join(tmp, 'not-yet', 'launchpad');
    qa = await startQaGate(expectedPath, join(tmp, 'cache', 'mirror'));
  });
  afterAll(async () => {
    await qa?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('records the landing, blocks on it as not read, and reads it once the repository appears', async () => {
    const elsewhere = join(tmp, 'elsewhere');
    initRepository(elsewhere);
    const sha = commit(elsewhere, 'Fix the bug heat cron job [no-qa]', { 'cronscripts/bug-heat.py': 'print("heat")\n' });

    const res = await qa.buildbot.post('/revisions', { branch: 'stable', sha });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ recorded: true, revno: 1, qaStatus: 'needs-testing' });

    const unread = await eventually(async () => {
      const r = (await qa.admin.get(`/revisions/${sha}`)).body;
      return r.enrichError ? r : null;
    }, { what: 'a failed read of the unreachable repository' });
    expect(unread).toMatchObject({ branch: 'stable', sha, revno: 1, enrichedAt: null, qaStatus: 'needs-testing', message: null });
    expect(unread.enrichError).toMatch(/cannot clone/);
    const blocked = (await qa.admin.get('/deployable')).body;
    expect(blocked.deployable).toBeNull();
    expect(blocked.blocker).toMatchObject({ revno: 1, sha, kind: 'not-enriched', actor: 'runway' });
    expect(blocked.nextAction).toMatchObject({ actor: 'runway', revno: 1 });

    git(tmp, 'clone', '-q', elsewhere, expectedPath);
    const appeared = Date.now();
    const rev = await enriched(qa.admin, sha, 15_000);
    expect(Date.now() - appeared).toBeLessThan(10_000);
    expect(rev).toMatchObject({
      message: 'Fix the bug heat cron job [no-qa]', author: AUTHOR, qaStatus: 'no-qa', changedFiles: ['cronscripts/bug-heat.py'], enrichError: null,
    });
    const d = await eventually(async () => {
      const x = (await qa.admin.get('/deployable')).body;
      return x.deployable ? x : null;
    }, { what: 'r1 deployable once read' });
    expect(d.deployable).toEqual({ revno: 1, sha });
    expect(d.blocker).toBeNull();
  });
});
