import type { PromotionStatus, SecurityFix } from '@runway/contracts';
import { mergeBackLabel, mergedBackSummary, promotionSummary, securityFixesTable } from './promotion.format';
import { statusSummary } from './status';

const now = new Date('2026-05-01T12:00:00Z');
const status = (over: Partial<PromotionStatus> = {}): PromotionStatus => ({
  branch: 'production-stable', repository: null, automaticPromotion: 'on',
  productionStable: { sha: '6'.repeat(40), revno: 6, since: '2026-05-01T11:00:00Z', promotionId: '00000000-0000-4000-8000-000000000006' },
  locks: [], freeze: null, pendingApprovals: [], waiting: null, pendingMergeBack: [], withdrawnApprovals: [], recentlyMergedBack: [], productionRunsBad: null, lastHold: null,
  gitError: null,
  ...over,
});
const fix = (sha: string, over: Partial<SecurityFix> = {}): SecurityFix => ({
  sha: sha.padEnd(40, '0'), branch: 'production-devel', reportedBy: 'Ops', reportedAt: '2026-05-01T10:00:00Z', promotedAt: '2026-05-01T10:00:05Z',
  mergedBackAt: null, mergedBackBy: null, mergedBackHow: null, mergedBackNote: null, ...over,
});
/** The value beside `label` on each line that has it. */
const rows = (text: string, label: string) => text.split('\n').filter((l) => l.startsWith(`${label}  `)).map((l) => l.slice(label.length).trim());

describe('promotion formatting', () => {
  it('says how each security fix came back to stable', () => {
    expect(mergeBackLabel(fix('a1', { mergedBackAt: '2026-05-01T11:00:00Z', mergedBackBy: 'b'.repeat(40), mergedBackHow: 'patch-id' }), now))
      .toBe('cherry-picked (patch identity) at bbbbbbbbbb');
    expect(mergeBackLabel(fix('a2', { mergedBackAt: '2026-05-01T11:00:00Z', mergedBackBy: 'c'.repeat(40), mergedBackHow: 'ancestry' }), now))
      .toBe('merged (ancestry) at cccccccccc');
    expect(mergeBackLabel(fix('a3', { mergedBackAt: '2026-05-01T11:00:00Z', mergedBackHow: 'operator', mergedBackNote: 'Ops: reworked by hand in r40' }), now))
      .toBe('confirmed by an operator: Ops: reworked by hand in r40');
    expect(mergeBackLabel(fix('a4'), now)).toBe('pending for 2h00m');
  });

  it('lists security fixes, pending ones with their age', () => {
    const t = securityFixesTable([
      fix('d1'), fix('d2', { promotedAt: null }), fix('d3', { mergedBackAt: '2026-05-01T11:00:00Z', mergedBackBy: 'e'.repeat(40), mergedBackHow: 'patch-id' }),
    ], now).split('\n');
    expect(t[0]).toMatch(/^SHA\s+BRANCH\s+REPORTED\s+BY\s+IN PRODUCTION\s+MERGE-BACK$/);
    expect(t[1]).toMatch(/^d100000000\s+production-devel\s+2h00m ago\s+Ops\s+1h59m ago\s+pending for 2h00m$/);
    expect(t[2]).toMatch(/^d200000000\s+.*\s+not yet\s+pending for 2h00m$/);
    expect(t[3]).toMatch(/\s+cherry-picked \(patch identity\) at eeeeeeeeee$/);
    expect(securityFixesTable([], now)).toBe('No security fixes.');
    expect(mergedBackSummary(fix('f1', { mergedBackAt: '2026-05-01T12:00:00Z', mergedBackHow: 'operator', mergedBackNote: 'Ops: in r12' }), now))
      .toBe('security fix f100000000: confirmed by an operator: Ops: in r12');
  });

  it('shows withdrawn approvals, newest first, the last three only', () => {
    const withdrawn = [5, 4, 3, 2].map((revno) => ({
      sha: String(revno).repeat(40), revno, approvedAt: '2026-05-01T11:00:00Z', withdrawnAt: '2026-05-01T11:58:00Z', reason: `QA withdrew it: r${revno} is bad (marked by Diogo)`,
    }));
    const s = promotionSummary(status({ withdrawnApprovals: withdrawn }), now);
    expect(rows(s, 'withdrawn')).toEqual([
      'r5 5555555555 (2m ago): QA withdrew it: r5 is bad (marked by Diogo)',
      'r4 4444444444 (2m ago): QA withdrew it: r4 is bad (marked by Diogo)',
      'r3 3333333333 (2m ago): QA withdrew it: r3 is bad (marked by Diogo)',
      '1 more (runway --json status)',
    ]);
    expect(promotionSummary(status(), now)).not.toContain('withdrawn');
  });

  it('says production runs a bad revision, who must act and since when', () => {
    const s = promotionSummary(status({
      productionRunsBad: {
        revisions: [{ revno: 6, sha: '6'.repeat(40), actor: 'developer', reason: 'production runs r6, which is bad' }],
        actor: 'developer', reason: 'production runs r6, which is bad', since: '2026-05-01T11:50:00Z', productionRevno: 6,
      },
    }), now);
    expect(rows(s, 'production runs bad')).toEqual(['r6 6666666666 (developer to act, since 10m ago)']);
  });

  it('explains a merge-back-unknown hold with the command that releases it, and how fixes were merged back', () => {
    const s = promotionSummary(status({
      pendingApprovals: [{ sha: '9'.repeat(40), revno: 9, approvedAt: '2026-05-01T11:00:00Z', containsDb: false }],
      waiting: { newest: 9, count: 1 },
      pendingMergeBack: [{ sha: 'a'.repeat(40), reportedAt: '2026-05-01T10:00:00Z', promotedAt: null, ageSeconds: 7200, detection: 'without a repository, only a landing of this very commit on stable, or an operator, can tell' }],
      lastHold: { sha: '9'.repeat(40), revno: 9, code: 'merge-back-unknown', reason: 'production carries security fix aaaaaaaaaa', created_at: '2026-05-01T11:00:00Z' },
    }), now, [
      fix('a'.repeat(40)),
      fix('b1', { mergedBackAt: '2026-05-01T11:00:00Z', mergedBackBy: 'c'.repeat(40), mergedBackHow: 'patch-id' }),
      fix('b2', { mergedBackAt: '2026-05-01T11:30:00Z', mergedBackBy: 'd'.repeat(40), mergedBackHow: 'ancestry' }),
    ]);
    expect(rows(s, 'held')).toEqual(['r9 9999999999 merge-back-unknown: production carries security fix aaaaaaaaaa']);
    expect(rows(s, 'to release')).toEqual(['runway security-fixes merged-back aaaaaaaaaa --reason "<where stable got it>" (role operator)']);
    expect(rows(s, 'merge-back pending')).toEqual(['aaaaaaaaaa (2h00m): without a repository, only a landing of this very commit on stable, or an operator, can tell']);
    expect(rows(s, 'merged back')).toEqual(['b200000000 merged (ancestry) at dddddddddd (30m ago)', 'b100000000 cherry-picked (patch identity) at cccccccccc (1h00m ago)']);
  });
});

describe('runway status', () => {
  it('shows production running a bad revision in both sections, withdrawn approvals and merge-backs, and each failing service once', () => {
    const s = statusSummary({
      qa: {
        branch: 'stable', lastPromoted: { revno: 6, sha: '6'.repeat(40), at: null }, deployable: { revno: 6, sha: '6'.repeat(40) }, tip: { revno: 7, sha: '7'.repeat(40) },
        waiting: 1, blocker: null, blockers: [], nextAction: null, landings: { pending: 0, refused: [] },
        productionRunsBad: { actor: 'developer', reason: 'x', revisions: [{ revno: 6, sha: '6'.repeat(40), actor: 'developer', reason: 'production runs r6, which is bad' }] },
      },
      promotion: status({
        withdrawnApprovals: [{ sha: '7'.repeat(40), revno: 7, approvedAt: '2026-05-01T11:00:00Z', withdrawnAt: '2026-05-01T11:59:00Z', reason: 'QA withdrew it: r7 is bad' }],
        productionRunsBad: {
          revisions: [{ revno: 6, sha: '6'.repeat(40), actor: 'developer', reason: 'production runs r6, which is bad' }], actor: 'developer', reason: 'x', since: null, productionRevno: 6,
        },
      }),
      securityFixes: [fix('b1', { mergedBackAt: '2026-05-01T11:00:00Z', mergedBackBy: 'c'.repeat(40), mergedBackHow: 'patch-id' })],
      rollout: null, servers: null, cowboys: null,
      errors: [
        { service: 'rollout', message: 'cannot reach rollout at http://127.0.0.1:3103: ECONNREFUSED', exitCode: 1 },
        { service: 'rollout', message: 'cannot reach rollout at http://127.0.0.1:3103: ECONNREFUSED', exitCode: 1 },
      ],
    }, now);
    const [qa, promotion, ...rest] = s.split('\n\n');
    expect(qa.split('\n')[1]).toMatch(/^ {2}production runs bad\s+r6 6666666666 \(developer to act\): production runs r6, which is bad$/);
    expect(promotion).toMatch(/^ {2}production runs bad\s+r6 6666666666 \(developer to act\)$/m);
    expect(promotion).toMatch(/^ {2}withdrawn\s+r7 7777777777 \(1m ago\): QA withdrew it: r7 is bad$/m);
    expect(promotion).toMatch(/^ {2}merged back\s+b100000000 cherry-picked \(patch identity\) at cccccccccc \(1h00m ago\)$/m);
    expect(rest).toEqual(['rollout: cannot reach rollout at http://127.0.0.1:3103: ECONNREFUSED']);
  });
});
