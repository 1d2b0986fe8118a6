/**
 * Runs the built `runway` binary (apps/cli/dist/main.js; run `npm run build` first) as a real
 * process against a Runway started by test/e2e/harness.ts, with nothing from the caller's
 * environment or home directory leaking in.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries
import type { E2eRunway } from '../../../test/e2e/harness';

export const BIN = join(__dirname, '..', 'dist', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a user of this Runway would have: each service's URL and a token. */
export function cliEnv(rw: E2eRunway, token: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'runway-cli-home-'));
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    RUNWAY_QA_GATE_URL: rw.urls['qa-gate'],
    RUNWAY_PROMOTION_URL: rw.urls.promotion,
    RUNWAY_ROLLOUT_URL: rw.urls.rollout,
    RUNWAY_FLAGS_URL: rw.urls.flags,
    ...(token ? { RUNWAY_TOKEN: token } : {}),
    ...extra,
  };
}

/** Every output seen, so a test can check that no token was ever printed. */
export const seen: string[] = [];

export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      seen.push(stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
