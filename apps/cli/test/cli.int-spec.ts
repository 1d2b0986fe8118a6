/**
 * The `runway` binary against a whole Runway: the four services and an agent as real
 * processes on real Postgres and NATS JetStream. Every command runs as its own process and is
 * judged by its output and exit code, as a person or a script would judge it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort, natsServerBinary, randomSha, TEST_ADMIN_TOKEN } from '@runway/testing';
// tools/stack.cjs is the repository's process launcher (not an Nx project); the e2e tests use it too.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { issueToken } from '../../../tools/stack.cjs';
// The end-to-end harness starts every service as a process; these tests share it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { type E2eRunway, startRunway } from '../../../test/e2e/harness';
import { cliEnv, runCli, seen } from './cli';

describe('runway CLI (real binary, real services)', () => {
  let rw: E2eRunway;
  let admin: Record<string, string>;
  let buildbot: Record<string, string>;
  let qa: Record<string, string>;
  let operator: Record<string, string>;
  const tokens: string[] = [TEST_ADMIN_TOKEN];
  const shas: Record<number, string> = {};

  beforeAll(async () => {
    rw = await startRunway();
    const issue = async (name: string, roles: string[]) => {
      const t = await issueToken(rw.urls['qa-gate'], TEST_ADMIN_TOKEN, { name, roles });
      tokens.push(t);
      return cliEnv(rw, t);
    };
    admin = cliEnv(rw, TEST_ADMIN_TOKEN);
    buildbot = await issue('buildbot', ['buildbot']);
    qa = await issue('Diogo (QA)', ['qa']);
    operator = await issue('Ada (ops)', ['operator']);
    await rw.addAgent('app1.lpnet');
  }, 120_000);

  afterAll(async () => {
    await rw?.stop();
  });

  const cli = (env: Record<string, string>, ...args: string[]) => runCli(args, env);
  const parsed = async (env: Record<string, string>, ...args: string[]) => {
    const r = await runCli(['--json', ...args], env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout);
  };

  it('answers --help for the program and every command, with the exit codes', async () => {
    const root = await cli(admin, '--help');
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/^Usage: runway \[options\] \[command\]/);
    expect(root.stdout).toContain('Exit codes:');
    expect(root.stdout).toMatch(/6 {2}cowboys check: a cowboy is applied somewhere/);
    const commands = [
      ['status'], ['config'], ['revisions'], ['qa'], ['deployable'], ['land'], ['promote'], ['promotions'], ['lock'], ['unlock'], ['servers'], ['hold'], ['release'],
      ['servers', 'list'], ['servers', 'deregister'], ['rollout'], ['rollout', 'watch'], ['rollout', 'list'], ['rollout', 'cancel'], ['cowboys'], ['cowboys', 'add'], ['cowboys', 'check'], ['flags'], ['flags', 'get'], ['flags', 'set'],
      ['flags', 'edit'], ['flags', 'explain'], ['flags', 'log'], ['agent'], ['agent', 'nats-permissions'],
      ['landings'], ['landings', 'list'], ['landings', 'dismiss'], ['security-fixes'], ['security-fixes', 'list'], ['security-fixes', 'merged-back'],
      ['story'], ['trail'], ['dora'],
    ];
    // Four processes at a time: one after another, 40 Node start-ups passed the minute on a loaded CI machine.
    const answers = new Map<string[], { code: number | null; stdout: string }>();
    const queue = [...commands];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) answers.set(c, await cli(admin, ...c, '--help'));
    }));
    for (const c of commands) {
      const r = answers.get(c)!;
      expect({ c, code: r.code }).toEqual({ c, code: 0 });
      expect(r.stdout).toContain(`Usage: runway ${c.join(' ')}`);
    }
    expect((await cli(admin, 'qa', '--help')).stdout).toMatch(/<rev>[\s\S]*--fixed-by <rev>[\s\S]*--note <text>/);
  }, 120_000);

  it('exits 2 on a bad command line, before calling anything', async () => {
    const unknown = await cli(admin, 'deploy-everything');
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/unknown command 'deploy-everything'/);
    expect((await cli(admin, 'qa', 'r1', 'maybe')).stderr).toMatch(/Allowed choices are ok, bad, untestable/);
    expect((await cli(admin, 'qa', 'r1', 'maybe')).code).toBe(2);
    expect((await cli(admin, 'qa', 'main', 'ok')).code).toBe(2);
    expect((await cli(admin, 'lock', 'incident', '--until', 'tomorrow')).code).toBe(2);
    expect((await cli(admin, 'promote', 'r1', '--force')).stderr).toMatch(/--force needs --reason/);
    expect((await cli(admin, 'cowboys', 'add', 'abcdef1234', '--reason', 'x')).stderr).toMatch(/required option '--host <host>'/);
    expect((await cli(admin)).code).toBe(2);
  });

  it('exits 3 on a bad token or a missing role, naming the problem, in JSON too', async () => {
    const bad = await cli(cliEnv(rw, 'rwy_not-a-real-token-at-all'), 'revisions');
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/qa-gate: 401 UNAUTHENTICATED: .*set RUNWAY_TOKEN/);
    const none = await cli(cliEnv(rw, undefined), 'status');
    expect(none.code).toBe(3);
    const json = await cli(cliEnv(rw, 'rwy_not-a-real-token-at-all'), '--json', 'deployable');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { exitCode: 3, status: 401, code: 'UNAUTHENTICATED' } });
    const forbidden = await cli(qa, 'lock', 'QA may not lock promotion');
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toMatch(/promotion: 403/);
  });

  it("prints an agent's nats-server user, which nats-server accepts, without calling any service", async () => {
    const offline = cliEnv(rw, undefined, { RUNWAY_ROLLOUT_URL: `http://127.0.0.1:${await freePort()}` });
    const text = await cli(offline, 'agent', 'nats-permissions', 'app1.lpnet', '--namespace', 'prod');
    expect({ code: text.code, stderr: text.stderr }).toEqual({ code: 0, stderr: '' });
    expect(text.stdout).toContain('"prod.runway.deploy.reported.v1.app1_lpnet"');
    expect(text.stdout).toContain('password: $AGENT_APP1_LPNET_NATS_PASSWORD');
    const json = await parsed(offline, 'agent', 'nats-permissions', 'app1.lpnet', '--namespace', 'prod');
    expect(json).toMatchObject({ host: 'app1.lpnet', user: 'app1.lpnet', inboxPrefix: '_INBOX.prod.agent.app1_lpnet' });
    expect(json.permissions.subscribe.allow).toEqual(['_INBOX.prod.agent.app1_lpnet.>']);

    // nats-server itself checks the text, pasted as it is, with the password in its environment.
    const dir = mkdtempSync(join(tmpdir(), 'runway-cli-nats-'));
    writeFileSync(join(dir, 'nats.conf'), `jetstream { store_dir: "${dir}" }\nauthorization {\n  users: [\n${text.stdout}\n  ]\n}\n`);
    const check = (env: Record<string, string>) => spawnSync(natsServerBinary()!, ['-t', '-c', join(dir, 'nats.conf')], { encoding: 'utf8', env });
    const ok = check({ AGENT_APP1_LPNET_NATS_PASSWORD: 'pw' });
    expect({ status: ok.status, out: ok.stdout + ok.stderr }).toMatchObject({ status: 0 });
    expect(check({}).status).not.toBe(0); // no password variable, no server

    expect((await cli(offline, 'agent', 'nats-permissions', 'app1 >')).code).toBe(2);
    expect((await cli(offline, 'agent', 'nats-permissions', 'app1', '--namespace', 'a.b')).code).toBe(2);
  });

  it('exits 1 when a service cannot be reached', async () => {
    const port = await freePort();
    const r = await cli({ ...admin, RUNWAY_QA_GATE_URL: `http://127.0.0.1:${port}` }, 'deployable');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`runway: cannot reach qa-gate at http://127.0.0.1:${port}: ECONNREFUSED\n`);
  });

  it('reads URLs and the token from a config file, and never prints the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runway-cli-config-'));
    const file = join(dir, 'runway.json');
    writeFileSync(file, JSON.stringify({ url: 'http://127.0.0.1', token: TEST_ADMIN_TOKEN, services: { 'qa-gate': rw.urls['qa-gate'], promotion: rw.urls.promotion, rollout: rw.urls.rollout, flags: rw.urls.flags } }));
    const env = { PATH: process.env.PATH!, HOME: dir };
    const cfg = await cli(env, '--config', file, 'config');
    expect(cfg.code).toBe(0);
    expect(cfg.stdout).toMatch(/token\s+set \(config file\)/);
    expect(cfg.stdout).toContain(`qa-gate      ${rw.urls['qa-gate']}`);
    const d = await cli(env, '--config', file, '--json', 'deployable');
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ branch: 'stable' });
    const missing = await cli(env, '--config', join(dir, 'nope.json'), 'status');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read config file .*nope\.json: ENOENT/);
  });

  it('lands revisions, lists them, and moves the deployable revision as QA marks them', async () => {
    for (const revno of [1, 2, 3]) {
      shas[revno] = randomSha();
      const r = await cli(buildbot, 'land', shas[revno], '--revno', String(revno), '-m', `Change ${revno}`, '--author', 'Ada <ada@example.com>');
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout.trim()).toBe(`landed: stable r${revno} ${shas[revno].slice(0, 10)} (QA: needs-testing)`);
    }
    expect((await cli(buildbot, 'land', shas[1])).stdout).toMatch(/^already landed: stable r1/);

    const table = await cli(admin, 'revisions');
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^REV\s+SHA\s+BRANCH\s+QA\s+DB\s+AUTHOR\s+LANDED\s+MESSAGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4).join(' '))).toEqual([
      `r3 ${shas[3].slice(0, 10)} stable needs-testing`, `r2 ${shas[2].slice(0, 10)} stable needs-testing`, `r1 ${shas[1].slice(0, 10)} stable needs-testing`,
    ]);
    const listed = await parsed(admin, 'revisions', '--status', 'needs-testing', '--branch', 'stable');
    expect(listed.items.map((r: { revno: number }) => r.revno)).toEqual([3, 2, 1]);

    expect(await parsed(admin, 'deployable')).toMatchObject({ deployable: null, blocker: { revno: 1, kind: 'needs-testing', actor: 'qa' } });
    const human = await cli(admin, 'deployable');
    expect(human.stdout).toMatch(/deployable\s+none/);
    expect(human.stdout).toMatch(/blocked by\s+r1 needs-testing/);

    // Promotion is locked first, so approvals queue and the operator promotes by hand below.
    const lock = await cli(operator, 'lock', 'Incident 1234: database failover', '--until', '2h');
    expect(lock.code).toBe(0);
    expect(lock.stdout).toMatch(/^locked: Incident 1234: database failover \(Ada \(ops\), until \d{4}-/);

    const ok = await cli(qa, 'qa', 'r1', 'ok', '--note', 'tested on qastaging');
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toBe(`r1 ${shas[1].slice(0, 10)} (stable): needs-testing -> ok\ndeployable: r1 ${shas[1].slice(0, 10)}; blocked by r2 (needs-testing)\n`);
    const bad = await parsed(qa, 'qa', shas[2], 'bad', '--fixed-by', 'r3');
    expect(bad.revision).toMatchObject({ revno: 2, qaStatus: 'bad', fixedByRevno: 3 });
    expect(bad.deployable).toMatchObject({ deployable: { revno: 1 }, blocker: { revno: 3 } });
    expect((await cli(qa, 'qa', 'r99', 'ok')).code).toBe(4);
    expect((await cli(qa, 'qa', 'r99', 'ok')).stderr).toMatch(/no revision r99 on stable/);
  });

  it('shows promotion locked, promotes by hand, and unlocks', async () => {
    const status = await eventually(async () => {
      const s = await parsed(admin, 'status');
      return s.promotion.waiting?.newest === 1 ? s : null;
    }, { what: 'the r1 approval queued behind the lock', timeoutMs: 30_000 });
    expect(status.promotion).toMatchObject({ automaticPromotion: 'locked', locks: [expect.objectContaining({ reason: 'Incident 1234: database failover' })] });
    expect(status.qa).toMatchObject({ deployable: { revno: 1 } });
    const human = await cli(admin, 'status');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/automatic promotion\s+locked/);
    expect(human.stdout).toMatch(/waiting\s+1 approval\(s\), newest r1/);
    expect(human.stdout).toMatch(/servers\s+1 \(1 up, 0 held\)/);

    const unapproved = await cli(operator, 'promote', 'r2');
    expect(unapproved.code).toBe(5);
    expect(unapproved.stderr).toMatch(/promotion: 422 UNPROCESSABLE: r2 has not been approved by QA/);

    const promoted = await cli(operator, 'promote', 'r1');
    expect(promoted).toMatchObject({ code: 0, stdout: `promoted: production-stable is now ${shas[1]}\n` });
    expect((await parsed(admin, 'promotions'))[0]).toMatchObject({ toRevno: 1, cause: 'manual', requestedBy: 'Ada (ops)' });

    const unlock = await cli(operator, 'unlock');
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toMatch(/^released [0-9a-f-]{36}\nautomatic promotion: on\n$/);
    const again = await cli(operator, 'unlock');
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/promotion is not locked/);
  });

  it('watches the rollout to the end and shows the server running the revision', async () => {
    const rollout = await eventually(async () => {
      const list = await parsed(admin, 'rollout', 'list');
      return list.find((x: { toSha: string; cause: string }) => x.toSha === shas[1] && x.cause === 'promoted');
    }, { what: 'the rollout of r1', timeoutMs: 30_000 });
    const watched = await cli(admin, 'rollout', 'watch', rollout.id, '--interval', '200', '--max-wait', '60');
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(new RegExp(`^rollout [0-9a-f-]{36} to r1 ${shas[1].slice(0, 10)}: succeeded`));
    expect(watched.stdout).toMatch(/app1\.lpnet\s+lpnet\s+succeeded/);
    // The progress bar for the wave, on stderr.
    expect(watched.stderr).toMatch(/lpnet\s+\[=+\] 1\/1 done/);
    const json = await parsed(admin, 'rollout', 'watch', rollout.id);
    expect(json).toMatchObject({ status: 'succeeded', toSha: shas[1], deploys: [expect.objectContaining({ host: 'app1.lpnet', status: 'succeeded' })] });

    const servers = await cli(admin, 'servers');
    expect(servers.code).toBe(0);
    expect(servers.stdout.split('\n')[0]).toMatch(/^HOST\s+ENV\s+WAVE\s+RUNNING\s+DESIRED\s+HEARTBEAT\s+STATE\s+DEPLOYING\s+HOLD$/);
    expect(servers.stdout).toMatch(new RegExp(`app1\\.lpnet\\s+lpnet\\s+lpnet\\s+${shas[1].slice(0, 10)}\\s+\\S+\\s+\\d+s ago\\s+up\\s+-\\s+-`));
    expect((await parsed(admin, 'servers'))).toEqual([expect.objectContaining({ host: 'app1.lpnet', runningRevision: shas[1], reachable: true })]);
  });

  it('cowboys check exits 0 with none and 6 once one is applied, until it is removed', async () => {
    const clean = await cli(admin, 'cowboys', 'check');
    expect(clean).toMatchObject({ code: 0, stdout: 'clean: no cowboy applied anywhere\n' });
    const add = await parsed(operator, 'cowboys', 'add', 'abcdef123456', '--host', 'app1.lpnet', '--reason', 'Stop the search OOM', '--policy', 'carry');
    expect(add).toEqual([expect.objectContaining({ host: 'app1.lpnet', patchHash: 'abcdef123456', policy: 'carry', status: 'applied' })]);
    const dirty = await cli(admin, 'cowboys', 'check');
    expect(dirty.code).toBe(6);
    expect(dirty.stdout).toMatch(/^1 cowboy\(s\) applied on app1\.lpnet/);
    expect((await runCli(['cowboys', 'check', '--json'], admin)).code).toBe(6);
    expect(JSON.parse((await runCli(['cowboys', 'check', '--json'], admin)).stdout)).toMatchObject({ clean: false, count: 1, hosts: ['app1.lpnet'] });
    const list = await cli(admin, 'cowboys');
    expect(list.stdout).toMatch(/app1\.lpnet\s+abcdef123456\s+carry/);

    const removed = await cli(operator, 'cowboys', 'remove', add[0].id.slice(0, 8), '--reason', 'Removed by hand');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^retired [0-9a-f]{8} on app1\.lpnet: Removed by hand \(Ada \(ops\)\)/);
    expect((await cli(admin, 'cowboys', 'check')).code).toBe(0);
    expect((await cli(operator, 'cowboys', 'remove', add[0].id, '--reason', 'again')).code).toBe(4);
  });

  it('exits 7 when the rollout it watches fails', async () => {
    await rw.addAgent('app2.lpnet', { deployCommand: 'echo "migration failed" >&2; exit 3' });
    const r3 = await cli(qa, 'qa', 'r3', 'ok');
    expect(r3.stdout).toMatch(/deployable: r3/);
    const rollout = await eventually(async () => {
      const list = await parsed(admin, 'rollout', 'list');
      return list.find((x: { toSha: string; cause: string }) => x.toSha === shas[3] && x.cause === 'promoted');
    }, { what: 'the rollout of r3', timeoutMs: 30_000 });
    const watched = await cli(admin, 'rollout', 'watch', rollout.id, '--interval', '200', '--max-wait', '60');
    expect(watched.code).toBe(7);
    expect(watched.stdout).toMatch(/: failed/);
    expect(watched.stdout).toMatch(/app2\.lpnet\s+lpnet\s+(failed|rolled-back)/);
  });

  it('shows a server that drifted, and heals it with a catch-up rollout once its hold ends', async () => {
    expect((await cli(operator, 'hold', 'app1.lpnet', 'Hot fix deployed by hand')).code).toBe(0);
    // Someone deploys by hand on app1: its agent comes back reporting a revision Runway did not put there.
    const handDeployed = randomSha();
    await rw.agents.find((a) => a.name === 'agent app1.lpnet')!.stop();
    const stateFile = join(rw.dir, 'agents', 'app1.lpnet', 'state.json');
    writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(readFileSync(stateFile, 'utf8')), runningRevision: handDeployed }));
    await rw.addAgent('app1.lpnet');
    const app1 = await eventually(async () => {
      const list = await parsed(admin, 'servers');
      return list.find((s: { host: string; drift: unknown }) => s.host === 'app1.lpnet' && s.drift);
    }, { what: 'app1 shown drifted', timeoutMs: 15_000 });
    expect(app1.drift).toMatchObject({ running: handDeployed, expected: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const short = (sha: string) => sha.slice(0, 10);
    const table = await cli(admin, 'servers');
    expect(table.stdout).toMatch(new RegExp(`^app1\\.lpnet\\s+lpnet\\s+lpnet\\s+${short(handDeployed)}\\s+${short(app1.desiredRevision)}\\s+\\d+s ago\\s+up, drifted\\s+-\\s+Hot fix deployed by hand`, 'm'));
    expect(table.stdout).toMatch(new RegExp(
      `^app1\\.lpnet drifted( \\d+s ago)?: runs ${short(handDeployed)}, Runway put ${short(app1.drift.expected)} there; a catch-up rollout puts ${short(app1.desiredRevision)} back once its hold ends$`, 'm',
    ));
    expect((await cli(admin, 'status')).stdout).toMatch(/servers\s+\d+ \(\d+ up, 1 held, 1 drifted\)/);

    expect((await cli(operator, 'release', 'app1.lpnet')).code).toBe(0);
    const healed = await eventually(async () => {
      const s = (await parsed(admin, 'servers')).find((x: { host: string }) => x.host === 'app1.lpnet');
      return s.drift === null && s.runningRevision === app1.desiredRevision ? s : null;
    }, { what: 'app1 caught up', timeoutMs: 30_000 });
    expect(healed.deploying).toBeNull();
    const catchUp = (await parsed(admin, 'rollout', 'list')).find((r: { cause: string; hosts: string[] | null }) => r.cause === 'catch-up' && r.hosts?.includes('app1.lpnet'));
    expect(catchUp).toMatchObject({ toSha: app1.desiredRevision, track: 'promoted' });
    expect((await cli(admin, 'rollout', 'list')).stdout).toMatch(new RegExp(`^${catchUp.id}\\s+.*\\s+catch-up\\s+(\\S+, )?app1\\.lpnet(, \\S+)?\\s+no-downtime\\s+`, 'm'));
  });

  it('shows a catch-up for a new server with its deadline, cancels it with a reason, and deregisters the server', async () => {
    // app3's deploys run until the test lets them end: the catch-up stays in flight.
    const go = join(rw.dir, 'app3-go');
    const app3 = await rw.addAgent('app3.lpnet', { deployCommand: `echo "fetching $RUNWAY_REVISION"; while [ ! -e "${go}" ]; do sleep 0.2; done; exit 1` });
    try {
      const catchUp = await eventually(async () => {
        const list = await parsed(admin, 'rollout', 'list');
        return list.find((r: { cause: string; hosts: string[] | null; status: string }) => r.cause === 'catch-up' && r.hosts?.includes('app3.lpnet') && r.status === 'in-progress');
      }, { what: 'a catch-up rollout for the new server', timeoutMs: 20_000 });
      const label = `${catchUp.toRevno ? `r${catchUp.toRevno} ` : ''}${catchUp.toSha.slice(0, 10)}`;
      const app3Row = await eventually(async () => {
        const s = (await parsed(admin, 'servers')).find((x: { host: string }) => x.host === 'app3.lpnet');
        return s?.deploying?.rolloutId === catchUp.id ? s : null;
      }, { what: 'the catch-up in flight to app3', timeoutMs: 15_000 });
      expect(app3Row.deploying).toMatchObject({ revision: catchUp.toSha, status: expect.stringMatching(/^(requested|started)$/), deadlineAt: expect.any(String) });
      const table = await cli(admin, 'servers');
      expect(table.stdout).toMatch(new RegExp(`^app3\\.lpnet\\s+.*\\s+up\\s+${catchUp.toSha.slice(0, 10)} (requested|started), due in (19|20)m\\s+-$`, 'm'));
      const shown = await cli(admin, 'rollout', 'show', catchUp.id);
      expect(shown.stdout).toMatch(/^ {2}catch-up for app3\.lpnet: servers released from a hold, back after an outage, newly registered, or drifted/m);
      expect(shown.stdout).toMatch(/^app3\.lpnet\s+lpnet\s+(requested|started)\s+due in (19|20)m/m);

      expect((await cli(operator, 'rollout', 'cancel', catchUp.id, '--reason', 'no')).code).toBe(2);
      const cancelled = await cli(operator, 'rollout', 'cancel', catchUp.id, '--reason', 'app3 is being replaced');
      expect(cancelled).toEqual({ code: 0, stderr: '', stdout: `rollout ${catchUp.id} to ${label}: cancelled by Ada (ops): app3 is being replaced\n` });
      const again = await cli(operator, 'rollout', 'cancel', catchUp.id, '--reason', 'app3 is being replaced');
      expect(again.code).toBe(5);
      expect(again.stderr).toMatch(/rollout: 409 .*is cancelled/);
      expect((await cli(admin, 'rollout', 'list')).stdout).toMatch(
        new RegExp(`^${catchUp.id}\\s+.*\\s+catch-up\\s+app3\\.lpnet\\s+no-downtime\\s+cancelled\\s+\\S+\\s+cancelled by Ada \\(ops\\): app3 is being replaced$`, 'm'),
      );
      const watched = await cli(admin, 'rollout', 'watch', catchUp.id);
      expect(watched.code).toBe(5);
      expect(watched.stdout).toMatch(/^ {2}cancelled by Ada \(ops\): app3 is being replaced$/m);

      const gone = await cli(operator, 'servers', 'deregister', 'app3.lpnet', '--reason', 'Replaced by app4');
      expect(gone).toEqual({ code: 0, stderr: '', stdout: 'app3.lpnet deregistered by Ada (ops): Replaced by app4\n' });
      const listed = (await parsed(admin, 'servers')).filter((s: { host: string }) => s.host === 'app3.lpnet');
      expect(listed).toEqual([expect.objectContaining({ deregisteredBy: 'Ada (ops)', deregisteredAt: expect.any(String), desiredRevision: null })]);
      expect((await cli(operator, 'servers', 'deregister', 'app3.lpnet', '--reason', 'Replaced by app4')).code).toBe(4);
      expect((await cli(qa, 'servers', 'deregister', 'app1.lpnet', '--reason', 'QA may not do this')).code).toBe(3);
    } finally {
      writeFileSync(go, '');
      await app3.stop();
    }
  });

  it('without a repository: an approval held for a security fix, released once an operator confirms the merge-back', async () => {
    // qa-gate has no repository here: it keeps no landings to list.
    expect(await parsed(admin, 'landings')).toEqual({ items: [], next: null });
    expect((await cli(admin, 'landings')).stdout).toMatch(/^No landings\./);

    const fix = randomSha();
    const reported = await fetch(`${rw.urls.promotion}/security-fixes`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ sha: fix }),
    });
    expect(reported.status).toBe(201);
    const list = await cli(admin, 'security-fixes');
    expect(list.stdout).toMatch(new RegExp(`^${fix.slice(0, 10)}\\s+production-devel\\s+.*\\s+pending for \\d+s$`, 'm'));

    shas[4] = randomSha();
    expect((await cli(buildbot, 'land', shas[4], '--revno', '4', '-m', 'Change 4')).code).toBe(0);
    expect((await cli(qa, 'qa', 'r4', 'ok')).code).toBe(0);
    const held = await eventually(async () => {
      const r = await cli(admin, 'status');
      return /held\s+r4 \S+ merge-back-unknown: /.test(r.stdout) ? r.stdout : null;
    }, { what: 'r4 held for the unconfirmed merge-back', timeoutMs: 30_000 });
    const line = (label: string) => held.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(`${label}  `)).map((l) => l.slice(label.length).trim());
    expect(line('to release')).toEqual([`runway security-fixes merged-back ${fix.slice(0, 10)} --reason "<where stable got it>" (role operator)`]);
    expect(line('merge-back pending')).toEqual([expect.stringMatching(new RegExp(`^${fix.slice(0, 10)} \\(\\d+s\\): without a repository, only a landing of this very commit on stable, or an operator, can tell$`))]);

    const confirmed = await cli(operator, 'security-fixes', 'merged-back', fix, '--reason', 'merged into stable by hand in r4');
    expect(confirmed).toMatchObject({ code: 0, stdout: `security fix ${fix.slice(0, 10)}: confirmed by an operator: Ada (ops): merged into stable by hand in r4\n` });
    const status = await eventually(async () => {
      const s = await parsed(admin, 'status');
      return s.promotion.productionStable?.sha === shas[4] ? s : null;
    }, { what: 'r4 promoted once the merge-back is confirmed', timeoutMs: 30_000 });
    expect(status.promotion.lastHold).toBeNull();
    expect(status.securityFixes).toEqual([expect.objectContaining({ sha: fix, mergedBackHow: 'operator' })]);
  });

  it('never printed a token', () => {
    const all = seen.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const t of tokens) expect(all).not.toContain(t);
  });
});
