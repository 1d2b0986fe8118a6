/**
 * The `runway` binary against a Runway that reads a real git repository (qa-gate and promotion
 * on one bare remote; every service a real process on real Postgres and NATS JetStream):
 * landings queued for git and the revisions a collapsed build brought, a security fix merged
 * back by cherry-pick, an approval QA withdrew, production running a bad revision, a landing
 * refused for rewritten history and dismissed, and a merge-back only an operator can confirm.
 */
import { apiClient, eventually, GitFixture, randomSha, TEST_ADMIN_TOKEN, type ApiClient } from '@runway/testing';
// tools/stack.cjs is the repository's process launcher (not an Nx project); the e2e tests use it too.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { issueToken } from '../../../tools/stack.cjs';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { type E2eRunway, startRunway } from '../../../test/e2e/harness';
import { cliEnv, runCli, seen } from './cli';

describe('runway CLI on real git histories (real binary, real services)', () => {
  const repo = new GitFixture();
  let rw: E2eRunway;
  let admin: Record<string, string>;
  let buildbot: Record<string, string>;
  let qa: Record<string, string>;
  let operator: Record<string, string>;
  let promotion: ApiClient;
  const tokens: string[] = [TEST_ADMIN_TOKEN];
  const c: Record<string, string> = {};
  const short = (sha: string) => sha.slice(0, 10);

  beforeAll(async () => {
    rw = await startRunway(repo.serviceEnv());
    const issue = async (name: string, roles: string[]) => {
      const t = await issueToken(rw.urls['qa-gate'], TEST_ADMIN_TOKEN, { name, roles });
      tokens.push(t);
      return cliEnv(rw, t);
    };
    admin = cliEnv(rw, TEST_ADMIN_TOKEN);
    buildbot = await issue('buildbot', ['buildbot']);
    qa = await issue('Diogo (QA)', ['qa']);
    operator = await issue('Ada (ops)', ['operator']);
    promotion = apiClient(rw.urls.promotion, TEST_ADMIN_TOKEN);
  }, 120_000);

  afterAll(async () => {
    await rw?.stop();
    repo.remove();
  });

  const cli = (env: Record<string, string>, ...args: string[]) => runCli(args, env);
  const parsed = async (env: Record<string, string>, ...args: string[]) => {
    const r = await runCli(['--json', ...args], env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout);
  };
  /** The value beside `label` in a two-column summary, on every line that has it. */
  const rows = (text: string, label: string) => text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(`${label}  `)).map((l) => l.slice(label.length).trim());

  it('queues landings for git, and lists the revisions each brought', async () => {
    repo.checkout('stable');
    c.first = repo.commit('Faster bug search', { 'lib/search.py': 'FAST = True\n' });
    repo.push('stable');
    const landed = await cli(buildbot, 'land', c.first);
    expect(landed).toMatchObject({ code: 0, stderr: '', stdout: `queued: stable ${short(c.first)} waits for git to place it on stable (runway landings --state pending)\n` });
    await eventually(async () => (await parsed(admin, 'landings')).items[0]?.state === 'recorded', { what: 'the first landing read from git', timeoutMs: 20_000 });
  });

  it('shows a security fix merged back by cherry-pick, in the list and in status', async () => {
    repo.checkout('production-devel');
    c.fix = repo.commit('Escape the search box (security)', { 'lib/escape.py': 'def escape(s):\n    return s.replace("<", "&lt;")\n' });
    repo.push('production-devel');
    expect((await promotion.post('/security-fixes', { sha: c.fix })).status).toBe(201);
    await eventually(async () => repo.remoteRef('production-stable') === c.fix, { what: 'the fix on production-stable', timeoutMs: 20_000 });
    const pending = await cli(admin, 'security-fixes');
    expect(pending.code).toBe(0);
    expect(pending.stdout.split('\n')[0]).toMatch(/^SHA\s+BRANCH\s+REPORTED\s+BY\s+IN PRODUCTION\s+MERGE-BACK$/);
    expect(pending.stdout).toMatch(new RegExp(`^${short(c.fix)}\\s+production-devel\\s+\\d+s ago\\s+bootstrap admin\\s+\\d+s ago\\s+pending for \\d+s$`, 'm'));

    // On stable: the fix cherry-picked (another sha, the same patch), then a commit; buildbot reports only the last.
    repo.checkout('stable');
    repo.git('cherry-pick', c.fix);
    c.picked = repo.git('rev-parse', 'HEAD');
    c.later = repo.commit('Show the bug heat', { 'lib/heat.py': 'HEAT = 1\n' });
    repo.push('stable');
    expect((await cli(buildbot, 'land', c.later, '--build-url', 'http://buildbot.example/#/builders/1/builds/812')).code).toBe(0);

    const page = await eventually(async () => {
      const p = await parsed(admin, 'landings');
      return p.items.find((l: { sha: string; state: string }) => l.sha === c.later && l.state === 'recorded') ? p : null;
    }, { what: 'the collapsed landing read from git', timeoutMs: 20_000 });
    expect(page.items.find((l: { sha: string }) => l.sha === c.later)).toMatchObject({ revnoFrom: 3, revnoTo: 4 });
    const listed = await cli(admin, 'landings');
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+SHA\s+BRANCH\s+STATE\s+REVISIONS\s+BUILD\s+RECEIVED\s+REASON$/);
    expect(listed.stdout).toMatch(new RegExp(`^\\d+\\s+${short(c.later)}\\s+stable\\s+recorded\\s+r3-r4\\s+`, 'm'));
    expect(listed.stdout).toMatch(new RegExp(`^\\d+\\s+${short(c.first)}\\s+stable\\s+recorded\\s+r2\\s+`, 'm'));
    expect((await cli(admin, 'landings', '--state', 'refused')).stdout).toMatch(/^No landings\./);

    const fixes = await eventually(async () => {
      const list = await parsed(admin, 'security-fixes');
      return list[0]?.mergedBackAt ? list : null;
    }, { what: 'the merge-back seen by patch identity', timeoutMs: 20_000 });
    expect(fixes).toEqual([expect.objectContaining({ sha: c.fix, mergedBackHow: 'patch-id', mergedBackBy: c.picked })]);
    expect((await cli(admin, 'security-fixes')).stdout).toMatch(new RegExp(`^${short(c.fix)}\\s+.*\\s+cherry-picked \\(patch identity\\) at ${short(c.picked)}$`, 'm'));
    expect(await parsed(admin, 'security-fixes', '--pending')).toEqual([]);
    const status = await cli(admin, 'status');
    expect(rows(status.stdout, 'merged back')).toEqual([expect.stringMatching(new RegExp(`^${short(c.fix)} cherry-picked \\(patch identity\\) at ${short(c.picked)} \\(\\d+s ago\\)$`))]);
    expect(rows(status.stdout, 'merge-back pending')).toEqual([]);
  });

  it('shows an approval QA withdrew, then production running a bad revision and who must act', async () => {
    expect((await cli(operator, 'lock', 'Release meeting')).code).toBe(0);
    for (const rev of ['r2', 'r3', 'r4']) expect((await cli(qa, 'qa', rev, 'ok')).code).toBe(0);
    await eventually(async () => (await parsed(admin, 'status')).promotion.waiting?.newest === 4, { what: 'the r4 approval queued behind the lock', timeoutMs: 20_000 });

    const bad = await cli(qa, 'qa', 'r4', 'bad', '--note', 'the heat column is wrong on qastaging');
    expect(bad).toMatchObject({ code: 0, stderr: '' });
    expect(bad.stdout).toBe(`r4 ${short(c.later)} (stable): ok -> bad\ndeployable: r3 ${short(c.picked)}; blocked by r4 (bad-unfixed)\n`);
    const status = await eventually(async () => {
      const s = await parsed(admin, 'status');
      return s.promotion.withdrawnApprovals?.length ? s : null;
    }, { what: 'the r4 approval withdrawn', timeoutMs: 20_000 });
    expect(status.promotion.withdrawnApprovals).toEqual([expect.objectContaining({ sha: c.later, revno: 4 })]);
    const human = await cli(admin, 'status');
    expect(rows(human.stdout, 'withdrawn')).toEqual([expect.stringMatching(new RegExp(`^r4 ${short(c.later)} \\(\\d+s ago\\): QA withdrew it: r4 is bad \\(marked by Diogo \\(QA\\)\\)`))]);

    // r3 goes out; then QA finds r2, which production now runs, bad.
    expect((await cli(operator, 'unlock')).code).toBe(0);
    await eventually(async () => (await parsed(admin, 'deployable')).lastPromoted?.revno === 3, { what: 'r3 promoted', timeoutMs: 20_000 });
    const late = await cli(qa, 'qa', 'r2', 'bad');
    expect(late.code).toBe(0);
    const expected = `r2 ${short(c.first)} (developer to act): production runs r2, which is bad: land a fix with [rollback=2] in its message, or roll production back`;
    expect(late.stdout.split('\n')).toContain(`production runs bad: ${expected}`);
    const deployable = await cli(admin, 'deployable');
    expect(deployable.stdout.split('\n')[0]).toBe(`production runs bad  ${expected}`);
    const both = await eventually(async () => {
      const s = await cli(admin, 'status');
      return rows(s.stdout, 'production runs bad').length === 2 ? s : null;
    }, { what: 'promotion told that production runs a bad revision', timeoutMs: 20_000 });
    expect(rows(both.stdout, 'production runs bad')).toEqual([expected, expect.stringMatching(new RegExp(`^r2 ${short(c.first)} \\(developer to act, since \\d+s ago\\)$`))]);
    expect((await parsed(admin, 'deployable')).productionRunsBad).toMatchObject({ actor: 'developer', revisions: [{ revno: 2, sha: c.first, actor: 'developer' }] });
  });

  it('shows a landing refused for rewritten history as the blocker, and lets only an operator dismiss it', async () => {
    expect((await cli(qa, 'qa', 'r4', 'ok')).code).toBe(0);
    repo.git('checkout', '--quiet', '-b', 'rewritten', 'origin/stable~3');
    c.rewritten = repo.commit('Force-pushed stable', { 'lib/other.py': 'OTHER = 1\n' });
    repo.push('rewritten');
    expect((await cli(buildbot, 'land', c.rewritten)).code).toBe(0);
    const d = await eventually(async () => {
      const x = await parsed(admin, 'deployable');
      return x.blocker?.kind === 'landing-refused' ? x : null;
    }, { what: 'the landing refused', timeoutMs: 20_000 });
    const id: string = d.blocker.landingId;

    const human = (await cli(admin, 'deployable')).stdout;
    expect(rows(human, 'blocked by')).toEqual([expect.stringMatching(
      new RegExp(`^landing ${id} ${short(c.rewritten)} refused: .*an operator must set stable right in the repository, or dismiss this landing \\(waiting \\d+s, operator to act; runway landings dismiss ${id} --reason \\.\\.\\.\\)$`),
    )]);
    expect(rows(human, 'landings')).toEqual([`1 refused (${id}): runway landings`]);
    expect((await cli(admin, 'landings', '--state', 'refused')).stdout).toMatch(new RegExp(`^${id}\\s+${short(c.rewritten)}\\s+stable\\s+refused \\(rewritten\\)\\s+-\\s+-\\s+\\d+s ago\\s+`, 'm'));

    const notOperator = await cli(qa, 'landings', 'dismiss', id, '--reason', 'stable was reset by hand');
    expect(notOperator.code).toBe(3);
    expect(notOperator.stderr).toMatch(/qa-gate: 403/);
    expect((await cli(operator, 'landings', 'dismiss', id)).stderr).toMatch(/required option '--reason <text>'/);
    const dismissed = await cli(operator, 'landings', 'dismiss', id, '--reason', 'stable was reset by hand');
    expect(dismissed).toMatchObject({ code: 0, stderr: '' });
    expect(dismissed.stdout).toMatch(new RegExp(`^dismissed landing ${id} \\(${short(c.rewritten)} on stable\\) by Ada \\(ops\\): .* — dismissed: stable was reset by hand\\n$`));
    const again = await cli(operator, 'landings', 'dismiss', id, '--reason', 'again');
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/is not refused or pending/);
    expect((await cli(operator, 'landings', 'dismiss', '999999', '--reason', 'no such landing')).code).toBe(4);
    expect((await cli(operator, 'landings', 'dismiss', 'x12', '--reason', 'not an id')).code).toBe(2);
    expect(rows((await cli(admin, 'deployable')).stdout, 'blocked by')).toEqual(['nothing']);
  });

  it('lets an operator confirm a merge-back git cannot see, and only an operator', async () => {
    repo.checkout('production-devel');
    c.fix2 = repo.commit('Check the CSRF token (security)', { 'lib/csrf.py': 'CHECK = True\n' });
    repo.push('production-devel');
    expect((await promotion.post('/security-fixes', { sha: c.fix2 })).status).toBe(201);
    const pending = await eventually(async () => {
      const list = await parsed(admin, 'security-fixes', '--pending');
      return list[0]?.promotedAt ? list : null;
    }, { what: 'the second fix on production', timeoutMs: 20_000 });
    expect(pending).toEqual([expect.objectContaining({ sha: c.fix2, mergedBackAt: null })]);

    expect((await cli(qa, 'security-fixes', 'merged-back', c.fix2, '--reason', 'reworked by hand in r5')).code).toBe(3);
    expect((await cli(operator, 'security-fixes', 'merged-back', 'r5', '--reason', 'reworked by hand in r5')).code).toBe(2);
    expect((await cli(operator, 'security-fixes', 'merged-back', randomSha(), '--reason', 'reworked by hand in r5')).code).toBe(4);
    const confirmed = await cli(operator, 'security-fixes', 'merged-back', short(c.fix2), '--reason', 'reworked by hand in r5');
    expect(confirmed).toMatchObject({ code: 0, stderr: '', stdout: `security fix ${short(c.fix2)}: confirmed by an operator: Ada (ops): reworked by hand in r5\n` });
    const again = await cli(operator, 'security-fixes', 'merged-back', c.fix2, '--reason', 'reworked by hand in r5');
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/already merged back/);
    expect(await parsed(admin, 'security-fixes', '--pending')).toEqual([]);
    expect((await cli(admin, 'security-fixes')).stdout).toMatch(new RegExp(`^${short(c.fix2)}\\s+.*\\s+confirmed by an operator: Ada \\(ops\\): reworked by hand in r5$`, 'm'));
  });

  it('never printed a token', () => {
    const all = seen.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const t of tokens) expect(all).not.toContain(t);
  });
});
