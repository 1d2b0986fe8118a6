import { schemaPatchMatcher } from '@runway/contracts';
import { type ApprovalFacts, decide, type DecisionFacts, deployKindFor, liveApprovals, rangeUpTo, shipsSchemaChange } from './promotion-decision';

const NOW = new Date('2026-12-05T10:00:00Z');
const sha = (revno: number) => `${revno}`.padStart(7, 'a');

function approval(revno: number, seq: number | null, opts: { from?: number; previous?: number; ageMs?: number; db?: number[] } = {}): ApprovalFacts {
  const from = opts.from ?? revno;
  const range = Array.from({ length: revno - from + 1 }, (_, i) => ({ sha: sha(from + i), revno: from + i, db: (opts.db ?? []).includes(from + i) }));
  return {
    sha: sha(revno), revno, seq, previousSha: opts.previous ? sha(opts.previous) : null, approvedAt: new Date(NOW.getTime() - (opts.ageMs ?? 60_000)),
    range, containsDb: range.some((r) => r.db),
  };
}

function facts(over: Partial<DecisionFacts> = {}): DecisionFacts {
  return { now: NOW, unpromotedFixes: [], live: [], blocked: null, gap: null, chainWaitMs: 30_000, fixesNotKnownMerged: [], ...over };
}

describe('which approvals still hold', () => {
  it('drops what a withdrawal took back, whatever order they arrived in, and keeps what came after it', () => {
    // r30 approved (seq 1), then a late bad mark took the frontier to r20 (seq 2), then r25 passed (seq 3).
    const { live, dead } = liveApprovals([approval(25, 3), approval(30, 1), approval(20, 2)], { seq: 2, revno: 20 });
    expect(live.map((a) => a.revno)).toEqual([20, 25]);
    expect(dead.map((d) => [d.approval.revno, d.reason])).toEqual([[30, 'QA withdrew it: the deployable revision went back to r20']]);
  });

  it('drops an approval a later, lower one supersedes, before the withdrawal itself arrives', () => {
    const { live, dead } = liveApprovals([approval(30, 1), approval(25, 3)], null);
    expect(live.map((a) => a.revno)).toEqual([25]);
    expect(dead[0].reason).toMatch(/^superseded/);
  });

  it('keeps approvals below the revision a withdrawal went back to, and those from before numbering', () => {
    expect(liveApprovals([approval(10, 1), approval(15, null)], { seq: 2, revno: 12 }).live.map((a) => a.revno)).toEqual([10]);
    expect(liveApprovals([approval(10, null), approval(15, null)], null).live.map((a) => a.revno)).toEqual([10, 15]);
    // A withdrawal with nothing deployable left takes everything approved before it.
    expect(liveApprovals([approval(10, 1)], { seq: 2, revno: null }).live).toEqual([]);
  });
});

describe('the decision', () => {
  it('promotes the newest live approval with every revision the live approvals up to it bring', () => {
    const live = [approval(42, 1, { from: 41 }), approval(46, 2, { from: 43, previous: 42, db: [44] })];
    const d = decide(facts({ live }));
    expect(d).toEqual({ fixes: [], approval: { kind: 'promote', approval: live[1], revisions: rangeUpTo(live, live[1]), assumeDb: false } });
    expect(rangeUpTo(live, live[1]).map((r) => [r.revno, r.db])).toEqual([[41, false], [42, false], [43, false], [44, true], [45, false], [46, false]]);
  });

  it('puts security fixes on production even when locked or frozen, and makes approvals wait', () => {
    const locked = decide(facts({
      unpromotedFixes: ['f1f1f1f', 'f2f2f2f'], live: [approval(5, 1)],
      blocked: { locks: [{ id: 'l1', reason: 'release party', author: 'Ann', until: null }], freeze: null },
    }));
    expect(locked).toEqual({ fixes: ['f1f1f1f', 'f2f2f2f'], approval: { kind: 'wait', why: 'locked', detail: 'promotion is locked by Ann: release party' } });
    const frozen = decide(facts({ live: [approval(5, 1)], blocked: { locks: [], freeze: { spec: 'weekly:Fri 16:00/Mon 08:00', until: NOW } } }));
    expect(frozen.approval).toMatchObject({ kind: 'wait', why: 'frozen' });
  });

  it('waits for a missing link in the chain, then goes as a downtime deploy with the reason', () => {
    const young = decide(facts({ live: [approval(9, 2, { previous: 7, ageMs: 1_000 })], gap: sha(7) }));
    expect(young.approval).toEqual({ kind: 'wait', why: 'chain', detail: `r9 waits for the approval of ${sha(7)}, which has not arrived` });
    const old = decide(facts({ live: [approval(9, 2, { previous: 7, ageMs: 60_000 })], gap: sha(7) }));
    expect(old.approval).toMatchObject({ kind: 'promote', assumeDb: true, reason: expect.stringMatching(/never arrived/) });
  });

  it('holds, without a repository, rather than ship over a security fix stable may lack', () => {
    const d = decide(facts({ live: [approval(9, 1)], fixesNotKnownMerged: ['f1f1f1f'] }));
    expect(d.approval).toMatchObject({ kind: 'hold', code: 'merge-back-unknown', approval: { revno: 9 } });
    expect((d.approval as { reason: string }).reason).toMatch(/POST \/security-fixes\/\{sha\}\/merged-back/);
  });

  it('does nothing without approvals, but still sends fixes', () => {
    expect(decide(facts({ unpromotedFixes: ['f1f1f1f'] }))).toEqual({ fixes: ['f1f1f1f'], approval: { kind: 'none' } });
  });
});

describe('downtime', () => {
  it('follows what ships: a schema patch among the changed paths needs downtime, nothing else does', () => {
    const isPatch = schemaPatchMatcher();
    expect(shipsSchemaChange(['lib/foo.py', 'database/schema/patch-2209-00-0.sql'], isPatch)).toBe(true);
    expect(shipsSchemaChange(['lib/foo.py', 'database/schema/comments.sql'], isPatch)).toBe(false);
    expect(deployKindFor(true)).toBe('downtime');
    expect(deployKindFor(false)).toBe('no-downtime');
  });
});
