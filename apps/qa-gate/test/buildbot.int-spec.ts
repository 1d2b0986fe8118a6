/**
 * buildbot's HttpStatusPush into qa-gate (`POST /buildbot`), in-process against real Postgres
 * (own database) and NATS JetStream (own namespace), with the bodies buildbot 3.7 really sends:
 * the samples in test/fixtures/buildbot/ (copied from the shared fixtures, and checked to still
 * match them when those are around). Every test varies the sample's sha and build id, so the
 * tests neither see nor depend on each other's builds.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { type RunningService, startService } from '@runway/platform';
import { apiClient, type ApiClient, eventually, randomSha, type ServiceUnderTest, startServiceUnderTest } from '@runway/testing';
import { qaGate } from '../src/definition';

const FIXTURES = join(__dirname, 'fixtures', 'buildbot');
const SHARED_FIXTURES = join(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'buildbot');

/** The parts of a HttpStatusPush body these tests change; the rest travels untouched. */
interface BuildbotBody {
  buildid: number;
  number: number;
  complete: boolean;
  results: number | null;
  state_string: string;
  url: string;
  started_at: number;
  complete_at: number | null;
  properties: Record<string, [unknown, string]>;
  buildset: { sourcestamps: { branch: string | null; revision: string | null; [k: string]: unknown }[]; [k: string]: unknown };
  builder: { name: string; [k: string]: unknown };
  [k: string]: unknown;
}

function sample(file: string): BuildbotBody {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as BuildbotBody;
}

const started = sample('build-started.json');
const finished = sample('build-finished-success.json');

let nextBuildId = 1000;

/** A copy of a sample about another commit and another build: what buildbot posts for the next landing. */
function variant(
  base: BuildbotBody,
  opts: { sha?: string; buildid?: number; results?: number; branch?: string; stateString?: string } = {},
): BuildbotBody {
  const b = structuredClone(base);
  const sha = opts.sha ?? randomSha();
  const buildid = opts.buildid ?? nextBuildId++;
  b.buildid = buildid;
  b.number = buildid;
  b.url = `http://127.0.0.1:8010/#builders/1/builds/${buildid}`;
  for (const p of ['revision', 'got_revision', 'got_head']) if (b.properties[p]) b.properties[p] = [sha, b.properties[p][1]];
  b.buildset.sourcestamps[0].revision = sha;
  if (opts.branch !== undefined) {
    b.buildset.sourcestamps[0].branch = opts.branch;
    b.properties.branch = [opts.branch, 'Build'];
  }
  if (opts.results !== undefined) b.results = opts.results;
  if (opts.stateString !== undefined) b.state_string = opts.stateString;
  return b;
}

describe('qa-gate: buildbot HttpStatusPush (POST /buildbot)', () => {
  let sut: ServiceUnderTest<RunningService>;
  let svc: RunningService;
  let admin: ApiClient;
  let buildbot: ApiClient;

  beforeAll(async () => {
    sut = await startServiceUnderTest(startService, qaGate);
    ({ svc, admin } = sut);
    buildbot = await clientWith(['buildbot']);
  });
  afterAll(() => sut?.close());

  const clientWith = (roles: string[]) => sut.clientWith(roles);

  async function expectNotLanded(sha: string): Promise<void> {
    expect((await admin.get(`/revisions/${sha}`)).status).toBe(404);
    const stable = (await admin.get('/revisions?branch=stable&limit=1000')).body.items;
    expect(stable.filter((r: { sha: string }) => r.sha === sha)).toEqual([]);
  }

  (existsSync(SHARED_FIXTURES) ? it : it.skip)('keeps its copy of the buildbot samples equal to the shared fixtures', () => {
    const shared = readdirSync(SHARED_FIXTURES).filter((f) => f.endsWith('.json')).sort();
    expect(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()).toEqual(shared);
    for (const f of shared) {
      const copy: unknown = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'));
      const original: unknown = JSON.parse(readFileSync(join(SHARED_FIXTURES, f), 'utf8'));
      expect({ file: f, body: copy }).toEqual({ file: f, body: original });
    }
  });

  it('lands the revision of a finished SUCCESS build on stable, with its build URL and build', async () => {
    const sha = randomSha();
    const body = variant(finished, { sha });
    const res = await buildbot.post('/buildbot', body);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      build: { id: body.buildid, complete: true, duplicate: false },
      landed: true,
      reason: null,
      revision: { branch: 'stable', sha, recorded: true, revno: expect.any(Number), qaStatus: 'needs-testing' },
    });

    const got = await admin.get(`/revisions/${sha}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      branch: 'stable', sha, revno: res.body.revision.revno, qaStatus: 'needs-testing', buildUrl: body.url, buildId: body.buildid,
      author: 'Dev <dev@example.com>', reportedBy: 'buildbot', landedAt: new Date(body.complete_at! * 1000).toISOString(),
    });
    expect(got.body.builds).toEqual([
      expect.objectContaining({
        buildId: body.buildid, buildNumber: body.number, builder: 'runtests', branch: 'stable', revision: sha, results: 0, complete: true,
        stateString: 'build successful', url: body.url, landed: true, reason: null, reportedBy: 'buildbot',
      }),
    ]);
  });

  it('lands the revision the build checked out (got_revision) when the source stamp names none', async () => {
    const sha = randomSha();
    const body = variant(finished, { sha });
    body.buildset.sourcestamps[0].revision = null;
    delete body.properties.revision;
    const res = await buildbot.post('/buildbot', body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ landed: true, revision: { sha, recorded: true } });
    expect((await admin.get(`/revisions/${sha}`)).body).toMatchObject({ branch: 'stable', sha });
  });

  it('records a started build as a build event and lands nothing until it finishes', async () => {
    const sha = randomSha();
    const start = variant(started, { sha });
    const res = await buildbot.post('/buildbot', start);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      build: { id: start.buildid, complete: false, duplicate: false }, landed: false, reason: 'build started, not finished', revision: null,
    });
    await expectNotLanded(sha);
    // buildbot re-sends on a retry: the start was kept, so it is a duplicate.
    expect((await buildbot.post('/buildbot', start)).body.build).toEqual({ id: start.buildid, complete: false, duplicate: true });

    const finish = variant(finished, { sha, buildid: start.buildid });
    const done = await buildbot.post('/buildbot', finish);
    expect(done.status).toBe(202);
    expect(done.body).toMatchObject({ build: { id: start.buildid, complete: true, duplicate: false }, landed: true, revision: { sha, recorded: true } });
    const builds = (await admin.get(`/revisions/${sha}`)).body.builds;
    expect(builds).toEqual([
      expect.objectContaining({ buildId: start.buildid, complete: false, results: null, stateString: 'starting', landed: false, reason: 'build started, not finished', completeAt: null }),
      expect.objectContaining({ buildId: start.buildid, complete: true, results: 0, landed: true, reason: null }),
    ]);
  });

  it.each([
    [2, 'FAILURE'],
    [4, 'EXCEPTION'],
    [6, 'CANCELLED'],
  ])('lands nothing for a finished build with results %i (%s), and says why', async (results, name) => {
    const sha = randomSha();
    const failed = variant(finished, { sha, results, stateString: `build ${name.toLowerCase()}` });
    const res = await buildbot.post('/buildbot', failed);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      build: { id: failed.buildid, complete: true, duplicate: false }, landed: false, reason: `build result ${name}`, revision: null,
    });
    await expectNotLanded(sha);

    // A forced rebuild of the same commit that passes lands it; the failed build stays on record.
    const rebuilt = variant(finished, { sha });
    expect((await buildbot.post('/buildbot', rebuilt)).body).toMatchObject({ landed: true, revision: { sha, recorded: true } });
    expect((await admin.get(`/revisions/${sha}`)).body.builds).toEqual([
      expect.objectContaining({ buildId: failed.buildid, complete: true, results, landed: false, reason: `build result ${name}` }),
      expect.objectContaining({ buildId: rebuilt.buildid, complete: true, results: 0, landed: true }),
    ]);
  });

  it('lands the revision of a finished build with WARNINGS (results 1)', async () => {
    const sha = randomSha();
    const body = variant(finished, { sha, results: 1, stateString: 'build successful (warnings)' });
    const res = await buildbot.post('/buildbot', body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ landed: true, reason: null, revision: { branch: 'stable', sha, recorded: true, qaStatus: 'needs-testing' } });
    const got = (await admin.get(`/revisions/${sha}`)).body;
    expect(got).toMatchObject({ branch: 'stable', sha, buildUrl: body.url });
    expect(got.builds).toEqual([expect.objectContaining({ buildId: body.buildid, results: 1, landed: true })]);
  });

  it('lands a finished build posted twice once, and calls the second post a duplicate', async () => {
    const sha = randomSha();
    const body = variant(finished, { sha });
    const first = await buildbot.post('/buildbot', body);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ build: { duplicate: false }, landed: true, revision: { sha, recorded: true } });

    const second = await buildbot.post('/buildbot', body);
    expect(second.status).toBe(202);
    expect(second.body).toEqual({
      build: { id: body.buildid, complete: true, duplicate: true },
      landed: true,
      reason: null,
      revision: { branch: 'stable', sha, recorded: false, revno: first.body.revision.revno },
    });
    const stable = (await admin.get('/revisions?branch=stable&limit=1000')).body.items;
    expect(stable.filter((r: { sha: string }) => r.sha === sha)).toHaveLength(1);
    expect((await admin.get(`/revisions/${sha}`)).body.builds).toHaveLength(1);
  });

  it('lands nothing for a build on a branch it does not watch', async () => {
    const sha = randomSha();
    const body = variant(finished, { sha, branch: 'feature/faster-search' });
    const res = await buildbot.post('/buildbot', body);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      build: { id: body.buildid, complete: true, duplicate: false }, landed: false, reason: 'branch feature/faster-search is not watched', revision: null,
    });
    await expectNotLanded(sha);
    expect((await admin.get(`/revisions?branch=${encodeURIComponent('feature/faster-search')}`)).body.items).toEqual([]);
  });

  it('lands a build on production-devel, the other branch it watches, on that branch', async () => {
    const sha = randomSha();
    const res = await buildbot.post('/buildbot', variant(finished, { sha, branch: 'production-devel' }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ landed: true, revision: { branch: 'production-devel', sha, recorded: true } });
    expect((await admin.get(`/revisions/${sha}`)).body).toMatchObject({ branch: 'production-devel', sha });
  });

  it('answers a malformed body with a 400 that names each bad field, and records nothing', async () => {
    const sha = randomSha();
    const { complete: _complete, ...body } = variant(finished, { sha });
    const res = await buildbot.post('/buildbot', { ...body, buildid: 'forty-two' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_FAILED');
    expect([...new Set(res.body.fields.map((f: { field: string }) => f.field))].sort()).toEqual(['buildid', 'complete']);
    expect(res.body.message).toMatch(/buildid/);
    expect(res.body.message).toMatch(/complete/);
    await expectNotLanded(sha);

    const notAnObject = await buildbot.raw('POST', '/buildbot', JSON.stringify([variant(finished)]));
    expect(notAnObject.status).toBe(400);
    expect(notAnObject.body.error).toBe('VALIDATION_FAILED');
  });

  it('refuses a push without a token (401) and with a viewer token (403)', async () => {
    const sha = randomSha();
    const body = variant(finished, { sha });
    const anon = await apiClient(svc.url).post('/buildbot', body);
    expect(anon.status).toBe(401);
    expect(anon.body.error).toBe('UNAUTHENTICATED');
    const viewer = await clientWith(['viewer']);
    const res = await viewer.post('/buildbot', body);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('FORBIDDEN');
    expect(res.body.message).toMatch(/buildbot/);
    await expectNotLanded(sha);
    // The refused pushes were not kept either: buildbot's own post of the same build is not a duplicate.
    expect((await buildbot.post('/buildbot', body)).body).toMatchObject({ build: { duplicate: false }, landed: true });
  });

  /**
   * Holds stable's branch lock while an unrelated landing's transaction waits on it, so the
   * requests `send` makes queue behind it and go into the next transaction together, as they
   * would under load. Resolves with their answers once the lock is released.
   */
  async function batchedTogether<T>(send: () => Promise<T>[]): Promise<T[]> {
    const pg = new Client({ connectionString: sut.db.url });
    await pg.connect();
    try {
      await pg.query('BEGIN');
      await pg.query(`SELECT pg_advisory_xact_lock(hashtext('qa-gate.branch.stable'))`);
      const unrelated = buildbot.post('/buildbot', variant(finished));
      await eventually(async () => {
        const { rows } = await pg.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
        return rows[0].n > 0;
      }, { what: 'the unrelated landing waiting for the branch lock' });
      const pending = send();
      await new Promise((r) => setTimeout(r, 300));
      await pg.query('COMMIT');
      expect((await unrelated).status).toBe(202);
      return await Promise.all(pending);
    } finally {
      await pg.end();
    }
  }

  // Posts of one build that share a batch: only one of them may say it was the first.
  it('calls all but one of several concurrent posts of the same finished build a duplicate', async () => {
    const sha = randomSha();
    const body = variant(finished, { sha });
    const answers = await batchedTogether(() => Array.from({ length: 8 }, () => buildbot.post('/buildbot', body)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    expect(answers.filter((a) => a.body.revision.recorded)).toHaveLength(1);
    expect((await admin.get(`/revisions/${sha}`)).body.builds).toHaveLength(1);
    expect(answers.filter((a) => !a.body.build.duplicate)).toHaveLength(1);
  });

  // Numbers beyond Postgres' `int` are refused by validation, so they never poison a batch.
  it('lands the landings batched with one whose revno is beyond an int, and answers that one with a 400', async () => {
    const good = [randomSha(), randomSha()];
    const [first, bad, second] = await batchedTogether(() => [
      buildbot.post('/revisions', { branch: 'stable', sha: good[0] }),
      buildbot.post('/revisions', { branch: 'stable', sha: randomSha(), revno: 3_000_000_000 }),
      buildbot.post('/revisions', { branch: 'stable', sha: good[1] }),
    ]);
    expect([first.status, second.status]).toEqual([202, 202]);
    for (const sha of good) expect((await admin.get(`/revisions/${sha}`)).status).toBe(200);
    expect({ status: bad.status, error: bad.body.error, fields: bad.body.fields?.map((f: { field: string }) => f.field) }).toEqual({
      status: 400, error: 'VALIDATION_FAILED', fields: ['revno'],
    });
  });

  it('answers a buildid beyond an int with a 400 naming buildid, not a 500', async () => {
    const res = await buildbot.post('/buildbot', variant(finished, { buildid: 3_000_000_000 }));
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error: 'VALIDATION_FAILED' });
    // The sample's build number follows its id here, so both are named.
    expect(res.body.fields.map((f: { field: string }) => f.field)).toContain('buildid');
  });
});
