/**
 * A short generated-histories run (issue 13) inside `npm test`: a few random git histories
 * through the real qa-gate and promotion processes, checked against the model. The seed is
 * printed; HISTORIES_SEED=<seed> replays it here, and each failing run names the command that
 * replays it alone. `npm run chaos -- --domain histories --runs 2000` is the long version.
 */
import { runHistories } from './chaos/histories/runner';

const seed = process.env.HISTORIES_SEED ? Number(process.env.HISTORIES_SEED) : Math.floor(Math.random() * 1_000_000_000);

describe('generated histories through qa-gate and promotion', () => {
  it(`hold every rule of DESIGN.md (seed ${seed})`, async () => {
    const lines: string[] = [];
    const log = (line: string) => {
      lines.push(line);
      process.stdout.write(`${line}\n`);
    };
    log(`histories: seed ${seed} (HISTORIES_SEED=${seed} replays this test)`);
    const summary = await runHistories({ runs: 1, seed, parallel: 1, rounds: [3, 5], log });
    log(JSON.stringify({ ...summary, failures: undefined }));
    expect({ violations: summary.violations, failures: summary.failures }).toEqual({ violations: 0, failures: [] });
    expect(summary.counts.landings).toBeGreaterThan(summary.runs * 3);
  }, 120_000);
});
