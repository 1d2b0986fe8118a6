import type { Cowboy } from '@runway/contracts';
import { findByIdPrefix, preflightSummary } from './cowboys.format';

const cowboy = (id: string, host: string): Cowboy => ({
  id, host, patchHash: 'abcdef1234', description: null, reason: 'OOM', appliedBy: 'ops', appliedAt: '2026-05-01T11:00:00Z', policy: 'hold',
  fixedBy: null, detected: false, status: 'applied', retiredAt: null, retiredByRevision: null, retiredReason: null,
});

describe('cowboys formatting', () => {
  it('finds a cowboy by an unambiguous id prefix', () => {
    const list = [cowboy('f9355419-0000-4000-8000-000000000001', 'app1'), cowboy('f9a00000-0000-4000-8000-000000000002', 'app2')];
    expect(findByIdPrefix(list, 'f93')).toBe(list[0]);
    expect(findByIdPrefix(list, 'F9A')).toBe(list[1]);
    expect(findByIdPrefix(list, 'f9')).toBe('ambiguous');
    expect(findByIdPrefix(list, '00')).toBeUndefined();
  });

  it('says clean, or where cowboys are applied', () => {
    const now = new Date('2026-05-01T12:00:00Z');
    expect(preflightSummary({ clean: true, count: 0, hosts: [], cowboys: [] }, now)).toBe('clean: no cowboy applied anywhere');
    const s = preflightSummary({ clean: false, count: 1, hosts: ['app1'], cowboys: [cowboy('f9355419-0000-4000-8000-000000000001', 'app1')] }, now);
    expect(s.split('\n')[0]).toBe('1 cowboy(s) applied on app1');
    expect(s).toMatch(/f9355419\s+app1\s+abcdef1234\s+hold\s+-\s+1h00m ago\s+ops\s+applied\s+OOM/);
  });
});
