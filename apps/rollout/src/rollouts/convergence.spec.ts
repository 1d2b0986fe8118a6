import type { Content } from '../positions/positions';
import { catchUps, type ConvergeServer, desired, drifted } from './convergence';

const at = (m: number) => new Date(Date.UTC(2026, 11, 5, 10, m));
const contents: Record<string, Content> = {
  r10aaaa: { stableRevno: 10, fixes: [] }, r12aaaa: { stableRevno: 12, fixes: [] }, r14aaaa: { stableRevno: 14, fixes: [] }, r08aaaa: { stableRevno: 8, fixes: [] },
};
const content = (sha: string) => contents[sha];
const server = (host: string, extra: Partial<ConvergeServer> = {}): ConvergeServer => ({
  host, track: 'promoted', reachable: true, held: false, busy: false, running: 'r12aaaa', lastDeployed: 'r12aaaa', pin: null, ...extra,
});
const baselines = { promoted: { sha: 'r12aaaa', at: at(0) }, 'qa-tip': { sha: 'r14aaaa', at: at(1) } };

describe('convergence', () => {
  it('catches up a server that runs something older than its track rolled out: released, returned, new', () => {
    const plan = catchUps([server('app1', { running: 'r10aaaa', lastDeployed: 'r10aaaa' }), server('app2'), server('new1', { running: null, lastDeployed: null })], baselines, content);
    expect(plan).toEqual([
      { host: 'app1', track: 'promoted', target: 'r12aaaa', why: 'behind' },
      { host: 'new1', track: 'promoted', target: 'r12aaaa', why: 'behind' },
    ]);
  });

  it('leaves alone a server that runs something newer Runway put there (a rollout that failed after it)', () => {
    expect(catchUps([server('app1', { running: 'r14aaaa', lastDeployed: 'r14aaaa' })], baselines, content)).toEqual([]);
  });

  it('heals a server running what Runway did not put there, even something newer', () => {
    expect(catchUps([server('app1', { running: 'r14aaaa', lastDeployed: 'r12aaaa' })], baselines, content)).toEqual([
      { host: 'app1', track: 'promoted', target: 'r12aaaa', why: 'drifted' },
    ]);
    expect(drifted({ running: 'r14aaaa', lastDeployed: 'r12aaaa' })).toBe(true);
    expect(drifted({ running: 'r12aaaa', lastDeployed: null })).toBe(false);
  });

  it('waits while a server is held, unreachable, or a rollout is on its way to it', () => {
    const behind = { running: 'r10aaaa', lastDeployed: 'r10aaaa' };
    expect(catchUps([
      server('a', { ...behind, held: true }), server('b', { ...behind, reachable: false }), server('c', { ...behind, busy: true }),
    ], baselines, content)).toEqual([]);
  });

  it('keeps a server an operator pinned by hand there, until its track rolls out something newer', () => {
    const pinned = server('app1', { running: 'r08aaaa', lastDeployed: 'r08aaaa', pin: { sha: 'r08aaaa', at: at(5) } });
    expect(desired(pinned, baselines.promoted)).toBe('r08aaaa');
    expect(catchUps([pinned], baselines, content)).toEqual([]);
    expect(catchUps([pinned], { promoted: { sha: 'r14aaaa', at: at(9) } }, content)).toEqual([{ host: 'app1', track: 'promoted', target: 'r14aaaa', why: 'behind' }]);
  });

  it('follows the QA tip on QA servers, and does nothing without a baseline', () => {
    expect(catchUps([server('qas1', { track: 'qa-tip' })], baselines, content)).toEqual([{ host: 'qas1', track: 'qa-tip', target: 'r14aaaa', why: 'behind' }]);
    expect(catchUps([server('app1', { running: null, lastDeployed: null })], {}, content)).toEqual([]);
  });
});
