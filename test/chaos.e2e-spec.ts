/**
 * The chaos run, short (see test/chaos/chaos.ts; `npm run chaos` runs 10,000 landings): both
 * replicas of every service, agents, and Postgres and NATS of the test's own, while service
 * processes are killed and restarted and NATS and Postgres restart once. Nothing may be lost,
 * doubled, moved backwards or left unacknowledged, and the result must match the model.
 */
import { runChaos } from './chaos/chaos';

jest.setTimeout(600_000);

it('loses nothing, doubles nothing and agrees with the model through kills and restarts', async () => {
  const lines: string[] = [];
  const summary = await runChaos({
    landings: 150, agents: 3, replicas: 2, natsNodes: 1, killEveryMs: 2500, restartNats: true, restartPostgres: true,
    malformed: 12, trailReplicas: 1, seed: 20261122, quiesceTimeoutMs: 180_000, log: (l) => lines.push(l),
  });
  process.stdout.write(`${lines.join('\n')}\n${JSON.stringify(summary)}\n`);
  expect(summary.failures).toEqual([]);
  expect(summary).toMatchObject({ recorded: 150, lost: 0, doubled: 0, backwardPromotions: 0, deploysRunTwice: 0, outboxLeft: 0, unacked: 0 });
  expect(summary.deployable.actual).toBe(summary.deployable.expected);
  expect(summary.productionStable.actual).toBe(summary.productionStable.expected);
  expect(summary.deadLettered.actual).toBe(summary.deadLettered.expected);
  expect(summary.restarts.nats).toBe(1);
  expect(summary.restarts.postgres).toBe(1);
  // Reads were in flight while Postgres was down, and some met it away: runChaos fails on any
  // answer to them but 200 or 503 (summary.failures, above), so a 500 there fails this test.
  expect(summary.duringPostgresRestart['503']).toBeGreaterThan(0);
});
