/**
 * The module boundaries are enforced, not just declared: these imports must fail lint.
 * Real: ESLint with the repository's config and Nx's project graph.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** Lints `code` as if it lived at `filePath`, with ESLint in its own process (it loads an ES module config). */
async function problems(filePath: string, code: string): Promise<string[]> {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', filePath, '--format', 'json'], {
    cwd: root, input: code, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' },
  });
  const [result] = JSON.parse(r.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('architecture rules', () => {
  it('forbids an app from importing another app', async () => {
    expect(await problems('apps/promotion/src/x.ts', "import { qaGate } from '@runway/qa-gate';\nexport const y = qaGate;\n")).toEqual([
      expect.stringMatching(/enforce-module-boundaries.*type:app.*can only depend on libs tagged with "type:lib"/),
    ]);
  });

  it('keeps libs/contracts free of other Runway libs and of frameworks', async () => {
    expect(await problems('libs/contracts/src/x.ts', "import { Outbox } from '@runway/messaging';\nexport const y = Outbox;\n")).toEqual([
      expect.stringMatching(/enforce-module-boundaries/),
    ]);
    expect(await problems('libs/contracts/src/y.ts', "import { Injectable } from '@nestjs/common';\nexport const y = Injectable;\n")).toEqual([
      expect.stringMatching(/scope:contracts.*not allowed to import "@nestjs\/common"/),
    ]);
  });

  it('keeps libs/testing out of production code but lets tests use it', async () => {
    const code = "import { randomSha } from '@runway/testing';\nexport const y = randomSha;\n";
    expect(await problems('apps/rollout/src/z.ts', code)).toEqual([expect.stringMatching(/libs\/testing is for tests only/)]);
    expect(await problems('apps/rollout/test/z.int-spec.ts', code)).toEqual([]);
  });

  it('lets apps use libs', async () => {
    expect(await problems('apps/rollout/src/ok.ts', "import { Events } from '@runway/contracts';\nexport const y = Events;\n")).toEqual([]);
  });
});
