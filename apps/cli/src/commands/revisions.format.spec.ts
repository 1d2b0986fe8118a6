import { deployableSummary, landingSummary, qaLabel, type Revision, revisionsTable } from './revisions.format';

const now = new Date('2026-05-01T12:00:00Z');
const rev = (revno: number, over: Partial<Revision> = {}): Revision => ({
  id: String(revno), branch: 'stable', revno, sha: `${revno}`.padStart(40, 'a'), message: `change ${revno}\n\nbody`, author: 'Ada <ada@example.com>',
  landedAt: '2026-05-01T11:00:00Z', qaStatus: 'needs-testing', db: false, fixedByRevno: null, fixesRevno: null, ...over,
});

describe('qa-gate formatting', () => {
  it('shows fixes beside the QA status', () => {
    expect(qaLabel({ qaStatus: 'bad', fixedByRevno: 46, fixesRevno: null })).toBe('bad (fixed by r46)');
    expect(qaLabel({ qaStatus: 'ok', fixedByRevno: null, fixesRevno: 3 })).toBe('ok (fixes r3)');
    expect(qaLabel({ qaStatus: 'ok', fixedByRevno: null, fixesRevno: null })).toBe('ok');
  });

  it('lists revisions with the next page', () => {
    const t = revisionsTable({ items: [rev(2, { db: true, qaStatus: 'ok' }), rev(1)], next: { before: 1 } }, now).split('\n');
    expect(t[0]).toMatch(/^REV\s+SHA\s+BRANCH\s+QA\s+DB\s+AUTHOR\s+LANDED\s+MESSAGE$/);
    expect(t[1]).toMatch(/^r2\s+aaaaaaaaaa\s+stable\s+ok\s+db\s+Ada <ada@example.com>\s+1h00m ago\s+change 2$/);
    expect(t[3]).toBe('More: --before 1');
    expect(revisionsTable({ items: [], next: null }, now)).toBe('No revisions.');
  });

  it('says what blocks the deployable revision and who must act', () => {
    const s = deployableSummary({
      branch: 'stable', lastPromoted: { revno: 40, sha: 'f'.repeat(40), at: '2026-05-01T10:00:00Z' }, deployable: { revno: 42, sha: 'e'.repeat(40) },
      tip: { revno: 46, sha: null }, waiting: 6,
      blocker: { revno: 45, sha: 'd'.repeat(40), status: 'needs-testing', kind: 'needs-testing', reason: 'r45 needs testing', actor: 'qa', author: 'Ada', waitingSeconds: 5400 },
      nextAction: { description: 'QA: test r45', actor: 'qa', revno: 45, wouldMakeDeployable: 46 },
    }, now);
    expect(s).toContain('last promoted  r40 ffffffffff (2h00m ago)');
    expect(s).toContain('deployable     r42 eeeeeeeeee');
    expect(s).toContain('tip            r46');
    expect(s).toContain('blocked by     r45 needs-testing: r45 needs testing (waiting 1h30m, qa to act; author Ada)');
    expect(s).toContain('next           QA: test r45');
  });

  it('says whether a landing was recorded', () => {
    expect(landingSummary({ branch: 'stable', sha: 'a'.repeat(40), recorded: true, revno: 7, qaStatus: 'needs-testing' }, 'a'.repeat(40))).toBe('landed: stable r7 aaaaaaaaaa (QA: needs-testing)');
    expect(landingSummary({ branch: 'stable', sha: 'a'.repeat(40), recorded: false, revno: 7, qaStatus: 'ok' }, 'a'.repeat(40))).toMatch(/^already landed/);
    expect(landingSummary(null, 'b'.repeat(40))).toMatch(/not recorded/);
  });
});
