import type { Deployable, Landing, Revision } from '@runway/contracts';
import { deployableSummary, dismissedSummary, landingsTable, landingSummary, qaLabel, revisionsTable } from './revisions.format';

const now = new Date('2026-05-01T12:00:00Z');
const rev = (revno: number, over: Partial<Revision> = {}): Revision => ({
  id: String(revno), branch: 'stable', revno, sha: `${revno}`.padStart(40, 'a'), message: `change ${revno}\n\nbody`, author: 'Ada <ada@example.com>',
  landedAt: '2026-05-01T11:00:00Z', qaStatus: 'needs-testing', db: false, fixedByRevno: null, fixesRevno: null, buildUrl: null, buildId: null, reportedBy: 'buildbot',
  statusChangedAt: null, parents: null, changedFiles: null, enrichedAt: null, enrichAttempts: 0, enrichError: null, nextEnrichAt: null, landedWith: null,
  recordedAt: '2026-05-01T11:00:00Z', ...over,
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
      blocker: {
        revno: 45, sha: 'd'.repeat(40), status: 'needs-testing', kind: 'needs-testing', reason: 'r45 needs testing', actor: 'qa', author: 'Ada', waitingSeconds: 5400,
        id: '45', landedAt: '2026-05-01T10:30:00Z',
      },
      blockers: [], nextAction: { description: 'QA: test r45', actor: 'qa', revno: 45, wouldMakeDeployable: 46, wouldRelease: 4 }, productionRunsBad: null,
      landings: { pending: 0, refused: [] },
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

  const base: Deployable = {
    branch: 'stable', lastPromoted: { revno: 7, sha: '7'.repeat(40), at: '2026-05-01T11:00:00Z' }, deployable: { revno: 7, sha: '7'.repeat(40) },
    tip: { revno: 9, sha: '9'.repeat(40) }, waiting: 2, blocker: null, blockers: [], nextAction: null, productionRunsBad: null, landings: { pending: 0, refused: [] },
  };

  it('puts production running a bad revision first, with who must act for each', () => {
    const s = deployableSummary({
      ...base,
      productionRunsBad: {
        actor: 'developer', reason: 'production runs r6, which is bad: land a fix',
        revisions: [
          { revno: 6, sha: '6'.repeat(40), actor: 'developer', reason: 'production runs r6, which is bad: land a fix with [rollback=6] in its message, or roll production back' },
          { revno: 5, sha: '5'.repeat(40), fixedByRevno: 8, actor: 'qa', reason: 'production runs r5, which is bad; its fix r8 needs testing' },
        ],
      },
    }, now).split('\n');
    expect(s[0]).toBe('production runs bad  r6 6666666666 (developer to act): production runs r6, which is bad: land a fix with [rollback=6] in its message, or roll production back');
    expect(s[1]).toBe('production runs bad  r5 5555555555 (qa to act): production runs r5, which is bad; its fix r8 needs testing');
    expect(s[2]).toMatch(/^branch\s+stable$/);
    expect(deployableSummary(base, now)).not.toContain('production runs bad');
  });

  it('names a refused landing as the blocker, with the operator and the command that dismisses it', () => {
    const s = deployableSummary({
      ...base,
      blocker: {
        kind: 'landing-refused', actor: 'operator', revno: null, status: null, sha: 'c'.repeat(40), landingId: '12', author: 'Ada',
        reason: 'cccccccccc is not a first-parent descendant of r9; an operator must set stable right in the repository, or dismiss this landing',
        landedAt: '2026-05-01T11:30:00Z', waitingSeconds: 600,
      },
      landings: { pending: 2, refused: [{ id: '12', sha: 'c'.repeat(40), reason: 'rewritten', buildId: 77, at: '2026-05-01T11:50:00Z' }] },
    }, now);
    const blocked = s.split('\n').find((l) => l.startsWith('blocked by'))!.replace(/^blocked by\s+/, '');
    expect(blocked).toBe(
      'landing 12 cccccccccc refused: cccccccccc is not a first-parent descendant of r9; an operator must set stable right in the repository, or dismiss this landing '
      + '(waiting 10m, operator to act; author Ada; runway landings dismiss 12 --reason ...)',
    );
    expect(s).toMatch(/landings\s+2 waiting for git, 1 refused \(12\): runway landings$/m);
  });

  it('says why a pending landing waits, and that Runway is the one to act', () => {
    const s = deployableSummary({
      ...base,
      blocker: {
        kind: 'landing-pending', actor: 'runway', revno: null, status: null, sha: 'd'.repeat(40), landingId: '13', author: null,
        reason: 'the landing of dddddddddd waits to be read from git (fatal: bad object)', landedAt: '2026-05-01T11:59:00Z', waitingSeconds: 30,
      },
    }, now);
    expect(s).toMatch(/^blocked by\s+landing 13 dddddddddd pending: the landing of dddddddddd waits to be read from git \(fatal: bad object\) \(waiting 30s, runway to act\)$/m);
  });

  it('says a landing waits for git', () => {
    expect(landingSummary({ branch: 'stable', sha: 'e'.repeat(40), recorded: true, pending: true }, 'e'.repeat(40)))
      .toBe('queued: stable eeeeeeeeee waits for git to place it on stable (runway landings --state pending)');
  });

  const landing = (id: string, over: Partial<Landing> = {}): Landing => ({
    id, branch: 'stable', sha: id.padStart(40, 'f'), claimedRevno: null, author: 'Ada', landedAt: '2026-05-01T11:00:00Z', buildUrl: null, buildId: 40,
    reportedBy: 'buildbot', state: 'recorded', refusal: null, reason: null, revnoFrom: 5, revnoTo: 7, attempts: 1, nextAttemptAt: null, receivedAt: '2026-05-01T11:00:00Z',
    resolvedAt: '2026-05-01T11:00:01Z', dismissedBy: null, ...over,
  });

  it('lists landings with the revisions each brought, refusals and the next page', () => {
    const t = landingsTable({
      items: [
        landing('12', { state: 'refused', refusal: 'rewritten', revnoFrom: null, revnoTo: null, reason: 'not a first-parent descendant of r7', buildId: 41 }),
        landing('11'),
        landing('10', { revnoFrom: 4, revnoTo: 4, buildId: null }),
      ],
      next: { before: '10' },
    }, now).split('\n');
    expect(t[0]).toMatch(/^ID\s+SHA\s+BRANCH\s+STATE\s+REVISIONS\s+BUILD\s+RECEIVED\s+REASON$/);
    expect(t[1]).toMatch(/^12\s+ffffffffff\s+stable\s+refused \(rewritten\)\s+-\s+41\s+1h00m ago\s+not a first-parent descendant of r7$/);
    expect(t[2]).toMatch(/^11\s+ffffffffff\s+stable\s+recorded\s+r5-r7\s+40\s+1h00m ago\s+-$/);
    expect(t[3]).toMatch(/^10\s+ffffffffff\s+stable\s+recorded\s+r4\s+-\s+/);
    expect(t[4]).toBe('More: --before 10');
    expect(landingsTable({ items: [], next: null }, now)).toMatch(/^No landings\./);
  });

  it('says who dismissed a landing and why', () => {
    expect(dismissedSummary(landing('12', { state: 'dismissed', dismissedBy: 'Ops', reason: 'rewritten — dismissed: stable was reset by hand' })))
      .toBe('dismissed landing 12 (ffffffffff on stable) by Ops: rewritten — dismissed: stable was reset by hand');
  });
});
