/**
 * `runway flags` against the real flags service (apps/flags/API.md) and the rest of Runway as
 * real processes: rules set one at a time, the whole text edited in $EDITOR (a script here),
 * rejected lines shown with their errors, evaluations explained, and the changelog.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_ADMIN_TOKEN } from '@runway/testing';
// tools/stack.cjs is the repository's process launcher (not an Nx project); the e2e tests use it too.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { issueToken } from '../../../tools/stack.cjs';
// The end-to-end harness starts every service as a process; these tests share it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { type E2eRunway, startRunway } from '../../../test/e2e/harness';
import { cliEnv, runCli } from './cli';

describe('runway flags (real binary, real services)', () => {
  let rw: E2eRunway;
  let editor: Record<string, string>;
  let viewer: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    rw = await startRunway();
    editor = cliEnv(rw, await issueToken(rw.urls.flags, TEST_ADMIN_TOKEN, { name: 'Ada (flags)', roles: ['flag-editor'] }));
    viewer = cliEnv(rw, await issueToken(rw.urls.flags, TEST_ADMIN_TOKEN, { name: 'wallboard', roles: ['viewer'] }));
    dir = mkdtempSync(join(tmpdir(), 'runway-cli-flags-'));
  }, 120_000);

  afterAll(async () => {
    await rw?.stop();
  });

  /** An $EDITOR that appends these lines to the file it is given. */
  function appendingEditor(name: string, lines: string[]): string {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} >> "$1"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it('sets rules one at a time: adds, then replaces the value of the rule with that scope', async () => {
    const first = await runCli(['flags', 'set', 'search.fast', 'default', 'false', '-m', 'add search.fast, off'], editor);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^added: search\.fast default 0 false\nsaved: version \d+/);
    expect(first.stdout).toContain('+search.fast default 0 false');
    const team = await runCli(['flags', 'set', 'search.fast', 'team:qa', 'true', '--priority', '10', '-m', 'QA tries it first'], editor);
    expect(team.code).toBe(0);
    const replaced = await runCli(['flags', 'set', 'search.fast', 'default', 'true', '-m', 'on for everyone'], editor);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toMatch(/^replaced: search\.fast default 0 true/);
    expect(replaced.stdout).toMatch(/-search\.fast default 0 false\n\+search\.fast default 0 true/);

    const get = await runCli(['flags', 'get', 'search.fast'], viewer);
    expect(get.code).toBe(0);
    expect(get.stdout.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/^FLAG\s+SCOPE\s+PRIORITY\s+VALUE$/), expect.stringMatching(/^search\.fast\s+team:qa\s+10\s+true$/), expect.stringMatching(/^search\.fast\s+default\s+0\s+true$/),
    ]);
    const json = JSON.parse((await runCli(['--json', 'flags', 'get', 'search.fast'], viewer)).stdout);
    expect(json.rules).toEqual([
      { flag: 'search.fast', scope: 'team:qa', priority: 10, value: 'true' }, { flag: 'search.fast', scope: 'default', priority: 0, value: 'true' },
    ]);

    const ambiguous = await runCli(['flags', 'set', 'search.fast', 'user:ada', 'false', '-m', 'no priority given'], editor);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/give --priority/);
    const noComment = await runCli(['flags', 'set', 'search.fast', 'default', 'false'], editor);
    expect(noComment.code).toBe(2);
    expect(noComment.stderr).toMatch(/required option '-m, --comment <text>'/);
    const viewerWrite = await runCli(['flags', 'set', 'search.fast', 'default', 'false', '-m', 'a viewer tries'], viewer);
    expect(viewerWrite.code).toBe(3);
  });

  it('edits the whole text in $EDITOR and saves it in one change', async () => {
    const r = await runCli(['flags', 'edit', '-m', 'dark mode for staff'], { ...editor, EDITOR: appendingEditor('add.sh', ['ui.dark default 0 false', 'ui.dark team:staff 10 true']) });
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/^saved: version \d+/);
    expect(r.stdout).toContain('+ui.dark team:staff 10 true');
    const text = (await runCli(['flags', 'get', '--text'], viewer)).stdout;
    expect(text).toContain('ui.dark team:staff 10 true\n');
    expect(text).toContain('search.fast team:qa 10 true\n');

    // An editor that changes nothing saves nothing.
    const unchanged = await runCli(['flags', 'edit', '-m', 'nothing'], { ...editor, EDITOR: 'true' });
    expect(unchanged).toMatchObject({ code: 0, stdout: 'no change: the rules are as they were\n' });
  });

  it('shows rejected lines with their errors, changes nothing, and keeps the text for another try', async () => {
    const before = JSON.parse((await runCli(['--json', 'flags', 'get'], viewer)).stdout);
    const r = await runCli(['flags', 'edit', '-m', 'a typo'], { ...editor, EDITOR: appendingEditor('bad.sh', ['ui.dark bogus:x 5 on']) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the rules were rejected, nothing changed:\nline \d+: .*\n {4}ui\.dark bogus:x 5 on\n/);
    const kept = /your text is kept in (\S+);/.exec(r.stderr)![1];
    expect(readFileSync(kept, 'utf8')).toContain('ui.dark bogus:x 5 on');
    expect(JSON.parse((await runCli(['--json', 'flags', 'get'], viewer)).stdout).version).toBe(before.version);

    // Fixed by hand, the kept file goes in with --file.
    writeFileSync(kept, readFileSync(kept, 'utf8').replace('ui.dark bogus:x 5 on', 'ui.dark user:ada 5 true'));
    const again = await runCli(['flags', 'edit', '--file', kept, '-m', 'dark mode for ada'], editor);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('+ui.dark user:ada 5 true');
  });

  it('explains an evaluation for a context', async () => {
    const qa = await runCli(['flags', 'explain', 'search.fast', '--team', 'qa', '--user', 'diogo'], viewer);
    expect(qa.code).toBe(0);
    expect(qa.stdout).toMatch(/^search\.fast = true\nreason: TARGETING_MATCH\nrule: search\.fast team:qa 10 true/);
    const json = JSON.parse((await runCli(['--json', 'flags', 'explain', 'ui.dark', '--user', 'bob'], viewer)).stdout);
    expect(json).toMatchObject({ flag: 'ui.dark', value: 'false' });
    expect(json.explain.steps.length).toBeGreaterThan(0);
  });

  it('lists the changelog, newest first, per flag and with diffs', async () => {
    const log = await runCli(['flags', 'log', '--flag', 'search.fast'], viewer);
    expect(log.code).toBe(0);
    const rows = log.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ID\s+WHEN\s+BY\s+FLAGS\s+COMMENT$/);
    expect(rows[1]).toMatch(/Ada \(flags\)\s+search\.fast\s+on for everyone$/);
    expect(rows[rows.length - 1]).toMatch(/add search\.fast, off$/);
    const diff = await runCli(['flags', 'log', '--flag', 'ui.dark', '--diff', '-n', '1'], viewer);
    expect(diff.stdout).toContain('dark mode for ada');
    expect(diff.stdout).toContain('+ui.dark user:ada 5 true');
  });
});
