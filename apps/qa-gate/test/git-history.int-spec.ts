/**
 * Landings follow git: qa-gate, in-process against real Postgres (own database) and NATS
 * JetStream (own namespace), reading a real repository made here with the git CLI. Landings
 * carry no message (buildbot never sends one), so markers and schema patches come from git.
 *
 * Every first-parent commit of `stable` after the recorded tip is recorded as a revision of its
 * own, numbered by its first-parent position, even when buildbot collapsed builds and reported
 * only the last one; a commit the branch has only through a merge is refused; a landing that
 * does not follow the recorded tip (rewritten history) is refused and blocks for an operator;
 * a landing git cannot place yet waits, and blocks meanwhile.
 */
import { startService } from '@runway/platform';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type CloudEvent, Events, type QaPassedV1, type RevisionLandedV1, Subjects } from '@runway/contracts';
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

/** The first-parent position of a commit on the repository's stable: its revno. */
function revnoOf(repo: string, sha: string): number {
  return Number(git(repo, 'rev-list', '--count', '--first-parent', sha));
}

/** The parts of buildbot's HttpStatusPush body that name the commit and the build. */
interface BuildbotBody {
  buildid: number;
  url: string;
  properties: Record<string, [unknown, string]>;
  buildset: { sourcestamps: { revision: string | null }[] };
}

async function startQaGate(repository: string, cacheDir: string) {
  const sut = await startServiceUnderTest(startService, qaGate, { QA_GIT_REPOSITORY: repository, QA_GIT_CACHE_DIR: cacheDir, QA_ENRICH_RETRY_SECONDS: '1' });
  return {
    svc: sut.svc, admin: sut.admin, namespace: sut.namespace, buildbot: await sut.clientWith(['buildbot']), qa: await sut.clientWith(['qa'], 'Diogo (QA)'),
    operator: await sut.clientWith(['operator'], 'Ops'), close: sut.close,
  };
}

/** GET /revisions/:sha once the revision is recorded. */
async function recorded(admin: ApiClient, sha: string, timeoutMs = 10_000) {
  return eventually(async () => {
    const r = await admin.get(`/revisions/${sha}`);
    return r.status === 200 ? r.body : null;
  }, { what: `${sha.slice(0, 10)} recorded`, timeoutMs });
}

/** The landing of a sha, once git has placed it (or refused it). */
async function placed(admin: ApiClient, sha: string, timeoutMs = 10_000) {
  return eventually(async () => {
    const items = (await admin.get('/landings?limit=1000')).body.items as { sha: string; state: string }[];
    return items.find((l) => l.sha === sha && l.state !== 'pending') ?? null;
  }, { what: `the landing of ${sha.slice(0, 10)} placed`, timeoutMs });
}

describe('qa-gate: landings follow git', () => {
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

  /** Lands a commit as buildbot does: a finished SUCCESS build of it, with no commit message. Returns the build id. */
  async function landByBuildbot(sha: string): Promise<number> {
    const body = structuredClone(finished);
    body.buildid = nextBuildId++;
    body.url = `http://buildbot.example/#/builders/1/builds/${body.buildid}`;
    body.properties.got_revision = [sha, 'Git'];
    body.properties.revision = [sha, 'Build'];
    body.buildset.sourcestamps[0].revision = sha;
    const res = await qa.buildbot.post('/buildbot', body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ landed: true, revision: { sha, recorded: true, pending: true } });
    return body.buildid;
  }

  /** Lands a commit through the generic API, again with no message. */
  async function landByApi(sha: string, extra: Record<string, unknown> = {}) {
    const res = await qa.buildbot.post('/revisions', { branch: 'stable', sha, ...extra });
    expect(res.status).toBe(202);
    return res.body;
  }

  /** Passes every revision still waiting for QA, so a test starts from a frontier with nothing blocking. */
  async function passEverything() {
    const waiting = (await admin.get('/revisions?branch=stable&limit=1000')).body.items.filter((r: { qaStatus: string }) => !['ok', 'no-qa', 'untestable'].includes(r.qaStatus));
    for (const r of waiting) expect((await admin.patch(`/revisions/${r.id}/qa`, { status: 'ok' })).status).toBe(200);
    const tip = (await admin.get('/revisions?branch=stable&limit=1')).body.items[0];
    if (tip) await eventually(async () => (await admin.get('/deployable')).body.deployable?.revno === tip.revno, { what: 'frontier at the tip' });
    return tip as { revno: number; sha: string } | undefined;
  }

  it('starts at the first landing, numbered by its first-parent position, and reads [no-qa] from git', async () => {
    const sha = commit(repo, 'Fix a typo in the help text [no-qa]', append(repo, 'README.md', 'Now without typos.'));
    const parent = git(repo, 'rev-parse', 'HEAD^');
    await landByBuildbot(sha);

    const rev = await recorded(admin, sha);
    expect(rev).toMatchObject({
      revno: 2, qaStatus: 'no-qa', message: 'Fix a typo in the help text [no-qa]', parents: [parent], changedFiles: ['README.md'], db: false,
      // buildbot named the author (its `owners`); git's author does not replace it.
      author: 'Dev <dev@example.com>', landedWith: sha,
    });
    expect(rev.enrichedAt).not.toBeNull();
    // The commit before the first landing is where Runway started watching: it is not recorded.
    expect((await admin.get(`/revisions/${parent}`)).status).toBe(404);
  });

  // Issue 13, defect 1: buildbot collapses builds. C1 adds a schema patch, C2 touches code, and
  // only C2 is reported. Before, C1 was never recorded and C2 was read alone, as no DB change.
  it('records every first-parent commit a collapsed build covers, each with its own DB detection and QA', async () => {
    await passEverything();
    const c1 = commit(repo, 'Add a column for the bug heat', { 'database/schema/patch-2209-01-0.sql': 'ALTER TABLE bug ADD COLUMN heat integer;\n' });
    const c2 = commit(repo, 'Make foo faster', { 'lib/foo.py': 'def foo():\n    return 2\n' });
    const buildId = await landByBuildbot(c2);

    const r2 = await recorded(admin, c2);
    const r1 = await recorded(admin, c1);
    expect(r1).toMatchObject({ revno: revnoOf(repo, c1), db: true, changedFiles: ['database/schema/patch-2209-01-0.sql'], qaStatus: 'needs-testing', author: AUTHOR, landedWith: c2, buildId });
    expect(r2).toMatchObject({ revno: r1.revno + 1, db: false, changedFiles: ['lib/foo.py'], qaStatus: 'needs-testing', landedWith: c2, buildId });
    expect(await placed(admin, c2)).toMatchObject({ state: 'recorded', revnoFrom: r1.revno, revnoTo: r2.revno, buildId });

    // C1 needs QA like any other: passing C2 alone moves nothing.
    expect((await qa.qa.patch(`/revisions/${c2}/qa`, { status: 'ok' })).status).toBe(200);
    expect((await admin.get('/deployable')).body).toMatchObject({ deployable: { revno: r1.revno - 1 }, blocker: { revno: r1.revno, kind: 'needs-testing' } });
    expect((await qa.qa.patch(`/revisions/${c1}/qa`, { status: 'ok' })).status).toBe(200);
    expect((await admin.get('/deployable')).body.deployable).toEqual({ revno: r2.revno, sha: c2 });

    // The approval says the range holds a DB revision, so its promotion is a downtime one.
    const passed = await qaPassedFor(c2);
    expect(passed.data).toMatchObject({ containsDbRevision: true, range: [{ sha: c1, revno: r1.revno, db: true }, { sha: c2, revno: r2.revno, db: false }] });
    // Each revision is announced on its own, naming the landing that brought it.
    const landed = await landedEvents();
    expect(landed.find((e) => e.data.sha === c1)?.data).toMatchObject({ revno: r1.revno, landedWith: c2, buildId });
    expect(landed.find((e) => e.data.sha === c2)?.data.landedWith).toBeUndefined();
  });

  // Issue 13, defect 2: revno was arrival order. Now a landing's commits are numbered by git.
  it('numbers revisions by first-parent position whatever order landings arrive in, and whatever revno they claim', async () => {
    await passEverything();
    const a = commit(repo, 'Speed up the search page', { 'lib/search.py': 'def search():\n    return []\n' });
    const b = commit(repo, 'Show the bug heat', append(repo, 'lib/heat.py', 'SHOW = True'));
    const c = commit(repo, 'New PPA page', { 'lib/ppa.py': 'PPA = 1\n' });
    // c arrives first, claiming a revno that is not its position; then a, then b again.
    expect(await landByApi(c, { revno: 999 })).toMatchObject({ recorded: true, pending: true });
    await recorded(admin, c);
    expect(await landByApi(a)).toMatchObject({ recorded: false, revno: revnoOf(repo, a) });
    await landByBuildbot(git(repo, 'rev-parse', `${b}`).slice(0, 12));
    for (const sha of [a, b, c]) expect((await recorded(admin, sha)).revno).toBe(revnoOf(repo, sha));
    expect(await placed(admin, b.slice(0, 12))).toMatchObject({ state: 'known', revnoFrom: revnoOf(repo, b) });
  });

  it('judges a merge by what it brings to stable (its first parent), and does not record the branch commits', async () => {
    await passEverything();
    git(repo, 'checkout', '-q', '-b', 'bug-heat-index');
    const branchFirst = commit(repo, 'Index the bug heat', { 'database/schema/patch-2209-03-0.sql': 'CREATE INDEX bug__heat2 ON bug (heat);\n' });
    commit(repo, 'Use the index', append(repo, 'lib/heat.py', 'USE_INDEX = True'));
    git(repo, 'checkout', '-q', 'stable');
    const firstParent = commit(repo, 'Meanwhile on stable', append(repo, 'README.md', 'Meanwhile.'));
    git(repo, 'merge', '-q', '--no-ff', 'bug-heat-index', '-m', '[r=bob] Index the bug heat [no-qa]');
    const merge = git(repo, 'rev-parse', 'HEAD');
    const branchTip = git(repo, 'rev-parse', 'bug-heat-index');
    await landByBuildbot(merge);

    const rev = await recorded(admin, merge);
    expect(rev).toMatchObject({ revno: revnoOf(repo, merge), parents: [firstParent, branchTip], db: true, qaStatus: 'no-qa', message: '[r=bob] Index the bug heat [no-qa]' });
    expect([...rev.changedFiles].sort()).toEqual(['database/schema/patch-2209-03-0.sql', 'lib/heat.py']);
    expect(await recorded(admin, firstParent)).toMatchObject({ revno: rev.revno - 1, changedFiles: ['README.md'], db: false });
    expect((await admin.get(`/revisions/${branchTip}`)).status).toBe(404);
    // The merge is announced with the commits it brought, so a fix made on that branch is known to be in it.
    const announced = await eventually(async () => (await landedEvents()).find((e) => e.data.sha === merge) ?? null, { what: 'the merge announced' });
    expect([...(announced.data.brings ?? [])].sort()).toEqual([branchFirst, branchTip].sort());

    // A branch commit reported as if it landed is refused, and blocks nothing.
    await landByApi(branchFirst);
    expect(await placed(admin, branchFirst)).toMatchObject({ state: 'refused', refusal: 'not-first-parent' });
    expect((await admin.get(`/revisions/${branchFirst}`)).status).toBe(404);
    expect((await admin.get('/deployable')).body.landings.refused).toEqual([]);
  });

  it.each([
    ['revno', (bad: { revno: number; sha: string }) => String(bad.revno)],
    ['sha prefix', (bad: { revno: number; sha: string }) => bad.sha.slice(0, 12)],
  ])('links a fix whose message carries [rollback=<%s>] to the earlier revision', async (_how, ref) => {
    const badSha = commit(repo, 'Cache the bug listing', append(repo, 'lib/listing.py', 'CACHE = {}'));
    const bad = { sha: badSha, revno: revnoOf(repo, badSha) };
    commit(repo, 'Fix the spelling of Ubuntu', append(repo, 'lib/names.py', 'UBUNTU = "Ubuntu"'));
    const fix = commit(repo, `Revert the bug listing cache [rollback=${ref(bad)}]`, { 'lib/listing.py': '' });
    await landByBuildbot(fix);

    expect(await recorded(admin, fix)).toMatchObject({ fixesRevno: bad.revno, fixedByRevno: null });
    expect(await recorded(admin, bad.sha)).toMatchObject({ fixedByRevno: revnoOf(repo, fix), fixesRevno: null });
  });

  it('fetches commits made after it cloned its mirror', async () => {
    expect(existsSync(join(cacheDir, 'HEAD'))).toBe(true);
    // Made after the mirror was cloned (and after every earlier fetch): only a fetch can find it.
    const later = commit(repo, 'Speed up the bug page', { 'lib/bug.py': 'def bug():\n    return []\n' });
    expect(() => git(cacheDir, 'cat-file', '-e', `${later}^{commit}`)).toThrow();
    await landByApi(later);
    expect(await recorded(admin, later)).toMatchObject({ message: 'Speed up the bug page', changedFiles: ['lib/bug.py'] });
  });

  it('keeps a landing git does not have yet waiting, blocking the branch for Runway, and records it once pushed', async () => {
    const tipBefore = await passEverything();
    // A commit the repository does not hold yet (pushed from a developer's clone later).
    const clone = join(tmp, `clone-${Date.now()}`);
    git(tmp, 'clone', '-q', repo, clone);
    git(clone, 'config', 'user.name', 'Ada Lovelace');
    git(clone, 'config', 'user.email', 'ada@example.com');
    const sha = commit(clone, 'Add the bug heat index [no-qa]', { 'database/schema/patch-2209-02-0.sql': 'CREATE INDEX bug__heat ON bug (heat);\n' });
    await landByApi(sha);

    const waiting = await eventually(async () => {
      const d = (await admin.get('/deployable')).body;
      return d.blocker?.kind === 'landing-pending' && /not found/.test(d.blocker.reason) ? d : null;
    }, { what: 'a failed read of the unknown commit' });
    expect(waiting.deployable?.revno ?? null).toBe(tipBefore?.revno ?? null);
    expect(waiting.blocker).toMatchObject({ kind: 'landing-pending', actor: 'runway', sha, revno: null });
    expect(waiting.landings.pending).toBe(1);
    expect((await admin.get(`/revisions/${sha}`)).status).toBe(404);

    git(repo, 'pull', '-q', '--ff-only', clone, 'stable');
    const rev = await recorded(admin, sha, 20_000);
    expect(rev).toMatchObject({ revno: revnoOf(repo, sha), qaStatus: 'no-qa', db: true, changedFiles: ['database/schema/patch-2209-02-0.sql'] });
    const after = await eventually(async () => {
      const d = (await admin.get('/deployable')).body;
      return d.deployable?.revno === rev.revno ? d : null;
    }, { what: `r${rev.revno} deployable once read` });
    expect(after.blocker).toBeNull();
    expect(after.landings.pending).toBe(0);
  });

  it('refuses a landing that does not follow the recorded tip, as a blocker for an operator, until dismissed', async () => {
    await passEverything();
    // stable rewritten: a commit on an older stable commit, pushed to a ref the mirror fetches.
    git(repo, 'checkout', '-q', '-b', 'rewritten', 'HEAD~3');
    const rewritten = commit(repo, 'Force-pushed stable', { 'lib/other.py': 'OTHER = 1\n' });
    git(repo, 'checkout', '-q', 'stable');
    await landByBuildbot(rewritten);

    expect(await placed(admin, rewritten)).toMatchObject({ state: 'refused', refusal: 'rewritten' });
    expect((await admin.get(`/revisions/${rewritten}`)).status).toBe(404);
    const d = (await admin.get('/deployable')).body;
    expect(d.blocker).toMatchObject({ kind: 'landing-refused', actor: 'operator', sha: rewritten, revno: null });
    expect(d.blocker.reason).toMatch(/rewritten/);
    // Landing it again changes nothing, and says why.
    const again = await qa.buildbot.post('/revisions', { branch: 'stable', sha: rewritten });
    expect(again.status).toBe(409);

    // Only an operator may set it aside, with a reason; then it no longer blocks.
    const id = d.blocker.landingId;
    expect((await qa.qa.post(`/landings/${id}/dismiss`, { reason: 'stable was set right by hand' })).status).toBe(403);
    expect((await qa.operator.post(`/landings/${id}/dismiss`, {})).status).toBe(400);
    const dismissed = await qa.operator.post(`/landings/${id}/dismiss`, { reason: 'stable was set right by hand' });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toMatchObject({ state: 'dismissed', dismissedBy: 'Ops' });
    expect((await admin.get('/deployable')).body.blocker).toBeNull();
    expect((await qa.operator.post(`/landings/${id}/dismiss`, { reason: 'again' })).status).toBe(409);
  });

  async function streamEvents<T>(type: string): Promise<CloudEvent<T>[]> {
    const nc = await connect({ servers: process.env.NATS_URL! });
    try {
      const jsm = await jetstreamManager(nc);
      const subjects = new Subjects(qa.namespace);
      const out: CloudEvent<T>[] = [];
      const info = await jsm.streams.info(subjects.eventStream);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(subjects.eventStream, { seq }).catch(() => null);
        if (m && m.subject.includes(type)) out.push(m.json<CloudEvent<T>>());
      }
      return out;
    } finally {
      await nc.close();
    }
  }
  const landedEvents = () => eventually(async () => {
    const e = await streamEvents<RevisionLandedV1>(Events.RevisionLanded.type);
    return e.length ? e : null;
  }, { what: 'revision-landed on the stream' });
  const qaPassedFor = (sha: string) => eventually(async () => (await streamEvents<QaPassedV1>(Events.QaPassed.type)).find((e) => e.data.sha === sha) ?? null, {
    what: `qa-passed for ${sha.slice(0, 10)}`,
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

  it('keeps the landing, blocks on it, and places it once the repository appears', async () => {
    const elsewhere = join(tmp, 'elsewhere');
    initRepository(elsewhere);
    const sha = commit(elsewhere, 'Fix the bug heat cron job [no-qa]', { 'cronscripts/bug-heat.py': 'print("heat")\n' });

    const res = await qa.buildbot.post('/revisions', { branch: 'stable', sha });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ recorded: true, pending: true });

    const blocked = await eventually(async () => {
      const d = (await qa.admin.get('/deployable')).body;
      return d.blocker?.reason?.includes('cannot clone') ? d : null;
    }, { what: 'a failed read of the unreachable repository' });
    expect(blocked.deployable).toBeNull();
    expect(blocked.blocker).toMatchObject({ kind: 'landing-pending', actor: 'runway', sha });
    expect(JSON.stringify(blocked)).not.toContain('password');

    git(tmp, 'clone', '-q', elsewhere, expectedPath);
    const appeared = Date.now();
    const rev = await recorded(qa.admin, sha, 15_000);
    expect(Date.now() - appeared).toBeLessThan(10_000);
    expect(rev).toMatchObject({ revno: 2, message: 'Fix the bug heat cron job [no-qa]', author: AUTHOR, qaStatus: 'no-qa', changedFiles: ['cronscripts/bug-heat.py'] });
    const d = await eventually(async () => {
      const x = (await qa.admin.get('/deployable')).body;
      return x.deployable ? x : null;
    }, { what: 'r2 deployable once read' });
    expect(d.deployable).toEqual({ revno: 2, sha });
    expect(d.blocker).toBeNull();
  });
});
