/**
 * A short rollout run (issue 14) inside `npm test`: random operators and dying servers around
 * the real rollout service and real agent processes, checked against the model. The seed is
 * printed; ROLLOUT_SEED=<seed> replays it here, and each failing run names the command that
 * replays it alone. `npm run chaos -- --domain rollout --runs 1000` is the long version.
 */
import { runRollout } from './chaos/rollout/runner';

const seed = process.env.ROLLOUT_SEED ? Number(process.env.ROLLOUT_SEED) : Math.floor(Math.random() * 1_000_000_000);

describe('random operators and dying servers around rollout and its agents', () => {
  it(`hold every rule of DESIGN.md (seed ${seed})`, async () => {
    const log = (line: string) => process.stdout.write(`${line}\n`);
    log(`rollout: seed ${seed} (ROLLOUT_SEED=${seed} replays this test)`);
    const summary = await runRollout({ runs: 1, seed, parallel: 1, steps: [12, 20], agents: [3, 3], log });
    log(JSON.stringify({ ...summary, failures: undefined }));
    expect({ violations: summary.violations, failures: summary.failures }).toEqual({ violations: 0, failures: [] });
    // It did something worth checking: operator steps, rollouts and deploys.
    expect(summary.counts.rollouts).toBeGreaterThan(0);
    expect(summary.counts.deploys).toBeGreaterThan(0);
  }, 240_000);
});
