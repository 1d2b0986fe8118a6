import { commonContent, summarizeLeadTimes } from './lead-time';

const t = (s: number) => new Date(Date.UTC(2026, 10, 22, 0, 0, s));

describe('lead time', () => {
  it('measures each stage per revision and its p50/p90, leaving out stages not reached', () => {
    const { stages, revisions } = summarizeLeadTimes([
      { sha: 'a', revno: 1, landed_at: t(0), qa_passed_at: t(10), promoted_at: t(11), deployed_at: t(41) },
      { sha: 'b', revno: 2, landed_at: t(0), qa_passed_at: t(20), promoted_at: t(21), deployed_at: null },
      { sha: 'c', revno: 3, landed_at: t(5), qa_passed_at: null, promoted_at: null, deployed_at: null },
    ]);
    expect(revisions[0].seconds).toEqual({ landedToQaPassed: 10, qaPassedToPromoted: 1, promotedToDeployed: 30, landedToDeployed: 41 });
    expect(revisions[2].seconds.landedToQaPassed).toBeNull();
    expect(stages.landedToQaPassed).toEqual({ count: 2, p50Seconds: 10, p90Seconds: 20 });
    expect(stages.landedToDeployed).toEqual({ count: 1, p50Seconds: 41, p90Seconds: 41 });
  });
});

describe('running everywhere', () => {
  it('is what every server\'s revision contains: the lowest revno, and the fixes all carry', () => {
    expect(commonContent([{ stableRevno: 12, fixes: ['f1f1f1f', 'f2f2f2f'] }, { stableRevno: 10, fixes: ['f1f1f1f'] }])).toEqual({ stableRevno: 10, fixes: ['f1f1f1f'] });
  });

  it('is nothing while one server runs a revision Runway cannot place, or there is no server', () => {
    expect(commonContent([{ stableRevno: 12, fixes: [] }, null])).toBeNull();
    expect(commonContent([])).toBeNull();
  });
});
