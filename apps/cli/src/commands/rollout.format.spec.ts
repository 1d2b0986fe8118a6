import { type Deploy, isFinished, pickRollout, type Rollout, serversTable, waveProgress } from './rollout.format';
import { watchExitCode } from './rollout';

const deploy = (host: string, wave: string | null, batch: number, status: string): Deploy => ({
  id: host, host, batch, wave, revision: 'a'.repeat(40), previousRevision: null, status, outputTail: null, updatedAt: '2026-05-01T12:00:00Z',
});
const rollout = (id: string, status: string): Rollout => ({
  id, cause: 'promoted', toSha: 'b'.repeat(40), toRevno: 9, kind: 'no-downtime', status, batches: 1, currentBatch: 0, scheduledFor: null,
  failure: null, pausedBy: null, skipped: [], createdAt: '2026-05-01T12:00:00Z', finishedAt: null,
});

describe('rollout formatting', () => {
  it('groups deploys by wave in the order the rollout runs them, counting finished ones', () => {
    const waves = waveProgress([
      deploy('app3', 'lpnet', 2, 'pending'), deploy('qas1', 'qastaging', 0, 'succeeded'),
      deploy('edge1', 'edge', 1, 'started'), deploy('edge2', 'edge', 1, 'failed'), deploy('app1', 'lpnet', 1, 'succeeded'),
    ]);
    expect(waves.map((w) => [w.wave, w.done, w.total, w.state])).toEqual([
      ['qastaging', 1, 1, 'done'],
      ['edge', 1, 2, '1 running, 1 failed'],
      ['lpnet', 1, 2, ''],
    ]);
    expect(waveProgress([deploy('x', null, 0, 'pending')])).toEqual([expect.objectContaining({ wave: 'default', done: 0, state: 'waiting' })]);
  });

  it('knows when a rollout has ended, and what watch exits with', () => {
    expect(['succeeded', 'failed', 'no-servers', 'superseded'].every((s) => isFinished({ status: s }))).toBe(true);
    expect(['in-progress', 'paused', 'blocked', 'waiting-window', 'preflight'].some((s) => isFinished({ status: s }))).toBe(false);
    expect(watchExitCode(rollout('a', 'succeeded'))).toBe(0);
    expect(watchExitCode(rollout('a', 'failed'))).toBe(7);
    expect(watchExitCode(rollout('a', 'superseded'))).toBe(5);
  });

  it('watches the newest unfinished rollout, else the newest', () => {
    expect(pickRollout([rollout('new', 'succeeded'), rollout('running', 'in-progress'), rollout('old', 'paused')])?.id).toBe('running');
    expect(pickRollout([rollout('new', 'succeeded'), rollout('old', 'failed')])?.id).toBe('new');
    expect(pickRollout([])).toBeUndefined();
  });

  it('lists servers with their hold and heartbeat', () => {
    const t = serversTable([
      { host: 'app1.lpnet', environment: 'lpnet', wave: null, runningRevision: 'c'.repeat(40), agentVersion: '0.1.0', lastHeartbeatAt: null, heartbeatAgeSeconds: 3, reachable: true, hold: null },
      { host: 'app2.lpnet', environment: 'lpnet', wave: 'lpnet-2', runningRevision: null, agentVersion: '0.1.0', lastHeartbeatAt: null, heartbeatAgeSeconds: null, reachable: false, hold: { reason: 'disk swap', author: 'ops', until: null } },
    ]);
    expect(t.split('\n')).toEqual([
      expect.stringMatching(/^HOST\s+ENV\s+WAVE\s+RUNNING\s+HEARTBEAT\s+STATE\s+HOLD$/),
      expect.stringMatching(/^app1\.lpnet\s+lpnet\s+lpnet\s+cccccccccc\s+3s ago\s+up\s+-$/),
      expect.stringMatching(/^app2\.lpnet\s+lpnet\s+lpnet-2\s+-\s+never\s+unreachable\s+disk swap \(ops\)$/),
    ]);
    expect(serversTable([])).toMatch(/no agent has registered/);
  });
});
