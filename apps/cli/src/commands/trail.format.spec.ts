import type { Story, TrailEntry } from '@runway/contracts';
import { actorLabel, storyText, trailCsv, trailJsonLines, trailTable } from './trail.format';

const entry = (over: Partial<TrailEntry>): TrailEntry => ({
  id: 'e1', type: 'runway.qa.status-changed.v1', time: '2026-12-05T10:00:00.123Z', source: 'runway/qa-gate', subject: 'stable',
  actor: { name: 'Diogo (QA)', kind: 'token', roles: ['qa'] }, reason: 'tested on qastaging', correlationId: 'c1',
  summary: 'r6 marked ok by Diogo (QA) (was needs-testing)', revisions: ['a'.repeat(40)], hosts: [], rolloutId: null, event: {}, ...over,
});

describe('trail output', () => {
  it('names actors as people read them', () => {
    expect(actorLabel({ name: 'Diogo', kind: 'token', roles: ['qa', 'operator'] })).toBe('Diogo (qa, operator)');
    expect(actorLabel({ name: 'app3.lpnet', kind: 'agent', roles: ['agent'] })).toBe('app3.lpnet (agent)');
    expect(actorLabel({ name: 'runway', kind: 'runway', roles: [] })).toBe('runway');
  });

  it('tells a story with its lead time and each step\'s stage, actor and reason', () => {
    const story: Story = {
      revision: { sha: 'a'.repeat(40), revno: 6, branch: 'stable', message: 'Fix the bug heat [rollback=3]\n\nlonger', author: 'Ada', landedWith: null, buildUrl: null },
      times: { landed: '2026-12-05T09:00:00.000Z', qaPassed: '2026-12-05T10:00:00.000Z', promoted: '2026-12-05T10:00:05.000Z', runningEverywhere: null },
      leadTime: { landedToQaPassed: 3600, qaPassedToPromoted: 5, promotedToEverywhere: null, total: null },
      steps: [{ stage: 'qa', ...entry({}) }],
    };
    const text = storyText(story);
    expect(text).toContain('r6 aaaaaaaaaa on stable: Fix the bug heat [rollback=3]');
    expect(text).toContain('landed → QA passed 1h00m, → promoted 5s, → running everywhere -; total -');
    expect(text).toMatch(/2026-12-05 10:00:00Z\s+qa\s+Diogo \(QA\) \(qa\)\s+r6 marked ok by Diogo \(QA\) \(was needs-testing\)\s+tested on qastaging/);
  });

  it('exports entries as JSON lines and as CSV, quoting what CSV needs quoted', () => {
    const list = [entry({}), entry({ id: 'e2', summary: 'flags a, b changed: "urgent"', reason: null, actor: { name: 'runway', kind: 'runway', roles: [] } })];
    expect(trailJsonLines(list).split('\n').map((l) => JSON.parse(l).id)).toEqual(['e1', 'e2']);
    const csv = trailCsv(list).split('\r\n');
    expect(csv[0]).toBe('time,type,actor,actor_kind,actor_roles,summary,reason,revisions,hosts,rollout_id,id');
    expect(csv[2]).toContain(',"flags a, b changed: ""urgent""",');
    expect(trailTable([])).toBe('Nothing in the trail matches.');
  });
});
