/**
 * The rollout run's model: containment by position (merges included), operators' actions in
 * time (certain only between the answer and the next request), and each check's rule on small
 * hand-made histories, including the defects issue 14 names: a rollback retiring a cowboy whose
 * fix it lacks, a fix brought by a merge, a hold ignored at a later batch, "running everywhere"
 * stamped while a server lags.
 */
import {
  type CowboyLife, cowboyForbids, divergences, everywhereNow, fixesAt, heldAt, heldDeploys, inSpans, latestRolledOut, liveAt, notEverywhereAt, parseLogLine,
  type ProductionHistory, type RanDeploy, ranTwice, retirements, type RolloutFact, runningAt, type ServerFact, Stable,
} from './model';

const sha = (n: number, c = 'a') => c.repeat(39 - String(n).length) + 'f' + String(n);

/** r1..r6; r3 is a merge bringing b1 and b2; r5 a merge bringing b3. */
function history(): Stable {
  const s = new Stable();
  for (let revno = 1; revno <= 6; revno++) {
    const brings = revno === 3 ? [sha(1, 'b'), sha(2, 'b')] : revno === 5 ? [sha(3, 'b')] : [];
    s.land({ revno, sha: sha(revno), brings });
  }
  return s;
}

const T = (sentAt: number, answeredAt = sentAt + 10) => ({ sentAt, answeredAt });

function cowboy(over: Partial<CowboyLife> = {}): CowboyLife {
  return {
    id: 'c1', host: 'app1.lpnet', hash: 'abcdef123456', policy: 'hold', origin: 'operator', recorded: T(1000), fixes: [], retiredAt: null,
    retiredByRevision: null, retiredReason: null, operatorRetire: null, scanRemovedAt: null, ...over,
  };
}

describe('Stable: revisions as positions', () => {
  it('contains first-parent revisions at or below, and commits a merge brought from the merge on', () => {
    const s = history();
    expect(s.contains(sha(4), sha(4))).toBe(true);
    expect(s.contains(sha(4), sha(2))).toBe(true);
    expect(s.contains(sha(2), sha(4))).toBe(false);
    // A fix made on a merged branch: in r3 and every later revision, not in r2.
    expect(s.contains(sha(3), sha(1, 'b'))).toBe(true);
    expect(s.contains(sha(6), sha(2, 'b'))).toBe(true);
    expect(s.contains(sha(2), sha(1, 'b'))).toBe(false);
    expect(s.contains(sha(4), sha(3, 'b'))).toBe(false);
    expect(s.placeOf(sha(3, 'b'))).toBe(5);
  });

  it('knows nothing of what has not landed, and a branch commit is no deploy target', () => {
    const s = history();
    expect(s.contains(sha(6), sha(99))).toBe(false);
    expect(s.contains(sha(99), sha(1))).toBe(false);
    expect(s.contains(null, sha(1))).toBe(false);
    expect(s.revnoOf(sha(1, 'b'))).toBeNull();
    expect(s.contains(sha(1, 'b'), sha(1))).toBe(false);
  });

  it('lands in order only, each commit once', () => {
    const s = history();
    expect(() => s.land({ revno: 8, sha: sha(8), brings: [] })).toThrow(/tip is r6/);
    expect(() => s.land({ revno: 7, sha: sha(7), brings: [sha(1, 'b')] })).toThrow(/already/);
    expect(s.clone().tip).toBe(6);
  });
});

describe('operators in time', () => {
  it('a hold counts from its answer until its release goes out; in between it is maybe', () => {
    const spans = [{ put: T(100, 150), release: T(300, 350) }];
    expect(heldAt(spans, 99)).toBe('no');
    expect(heldAt(spans, 120)).toBe('maybe');
    expect(heldAt(spans, 150)).toBe('yes');
    expect(heldAt(spans, 299)).toBe('yes');
    expect(heldAt(spans, 320)).toBe('maybe');
    expect(heldAt(spans, 350)).toBe('no');
    expect(heldAt([{ put: T(100, 150), release: null }], 10_000)).toBe('yes');
  });

  it('registration spans work the same way', () => {
    const spans = [{ from: T(0, 50), to: T(200, 220) }, { from: T(500, 600), to: null }];
    expect([inSpans(spans, 10), inSpans(spans, 100), inSpans(spans, 210), inSpans(spans, 300), inSpans(spans, 550), inSpans(spans, 700)])
      .toEqual(['maybe', 'yes', 'maybe', 'no', 'maybe', 'yes']);
  });

  it('a cowboy\'s fix in force: the last one answered, plus any on its way', () => {
    const c = cowboy({ fixes: [{ fixedBy: 'f1', at: T(1000) }, { fixedBy: 'f2', at: T(2000, 2100) }] });
    expect(fixesAt(c, 500)).toEqual([null]);
    expect(fixesAt(c, 1500)).toEqual(['f1']);
    expect(fixesAt(c, 2050)).toEqual(['f1', 'f2']);
    expect(fixesAt(c, 3000)).toEqual(['f2']);
  });

  it('a cowboy is live from its answer until rollout retires it or an operator asks', () => {
    expect(liveAt(cowboy(), 1005)).toBe(false);
    expect(liveAt(cowboy(), 1010)).toBe(true);
    expect(liveAt(cowboy({ retiredAt: 5000 }), 5000)).toBe(false);
    expect(liveAt(cowboy({ operatorRetire: T(4000) }), 4001)).toBe(false);
  });
});

describe('check 1: holds and hold cowboys', () => {
  const s = history();
  const ran = (host: string, revno: number, requestedAt: number): RanDeploy => ({
    id: `d-${host}-${requestedAt}`, host, revision: sha(revno), loggedAt: requestedAt + 50, requestedAt, rolloutId: 'r', cause: 'promoted',
  });

  it('a deploy requested while the hold was certainly in force breaks it; one requested before does not', () => {
    const holds = new Map([['app1.lpnet', [{ put: T(1000, 1100), release: null }]]]);
    expect(heldDeploys(s, [ran('app1.lpnet', 4, 900)], holds, [])).toEqual([]);
    expect(heldDeploys(s, [ran('app1.lpnet', 4, 1050)], holds, [])).toEqual([]);
    // The defect 3: a later batch sent after the hold, though planned before it.
    expect(heldDeploys(s, [ran('app1.lpnet', 4, 5000)], holds, [])).toEqual([expect.stringMatching(/ran although app1.lpnet was held/)]);
    expect(heldDeploys(s, [ran('app2.lpnet', 4, 5000)], holds, [])).toEqual([]);
  });

  it('a hold released, or a cowboy retired, before the agent ran the deploy may have been seen by the decision', () => {
    // rollout stamps a request with its transaction's start; the decision may see commits made after it.
    const released = new Map([['app1.lpnet', [{ put: T(1000, 1100), release: T(5020, 5030) }]]]);
    expect(heldDeploys(s, [ran('app1.lpnet', 4, 5000)], released, [])).toEqual([]);
    expect(heldDeploys(s, [ran('app1.lpnet', 4, 4000)], released, [])).toHaveLength(1);
    const retired = cowboy({ origin: 'scan', retiredAt: 5010 });
    expect(heldDeploys(s, [ran('app1.lpnet', 4, 5000)], new Map(), [retired])).toEqual([]);
    expect(heldDeploys(s, [ran('app1.lpnet', 4, 4000)], new Map(), [retired])).toHaveLength(1);
  });

  it('a hold cowboy lets through only a revision containing its fix, merges included', () => {
    const c = cowboy({ fixes: [{ fixedBy: sha(2, 'b'), at: T(1000) }] });
    expect(cowboyForbids(s, c, sha(2), 2000)).toMatch(/hold cowboy abcdef123456 .*r3/);
    expect(cowboyForbids(s, c, sha(3), 2000)).toBeNull();
    expect(cowboyForbids(s, cowboy({ policy: 'carry' }), sha(2), 2000)).toBeNull();
    expect(cowboyForbids(s, cowboy({ origin: 'scan' }), sha(6), 2000)).toMatch(/scan-found cowboy .*no fix/);
    expect(cowboyForbids(s, c, sha(2), 900)).toBeNull();
    expect(heldDeploys(s, [ran('app1.lpnet', 2, 2000), ran('app1.lpnet', 4, 2100)], new Map(), [c])).toHaveLength(1);
  });

  it('a fix set while the deploy went out may be taken into account', () => {
    const c = cowboy({ fixes: [{ fixedBy: sha(6), at: T(1000) }, { fixedBy: sha(2), at: T(2000, 2200) }] });
    expect(cowboyForbids(s, c, sha(3), 2100)).toBeNull();
    expect(cowboyForbids(s, c, sha(3), 1500)).not.toBeNull();
  });
});

describe('check 2: retirements', () => {
  const s = history();
  const changes = new Map([['app1.lpnet', [{ revision: sha(5), from: 0, to: 0, what: 'start' }, { revision: sha(2), from: 3000, to: 3200, what: 'rollback' }]]]);

  it('retired by its fix only while the server runs a revision containing it', () => {
    // Fixed by b1 (brought by r3): running r5 at 2000 contains it.
    const ok = cowboy({ fixes: [{ fixedBy: sha(1, 'b'), at: T(1000) }], retiredAt: 2000, retiredByRevision: sha(5) });
    expect(retirements(s, [ok], changes)).toEqual({ how: new Map([[ok, 'fix']]), violations: [] });
    // The defect 1: a manual rollback to r2 retires a cowboy fixed by r4.
    const rollback = cowboy({ fixes: [{ fixedBy: sha(4), at: T(1000) }], retiredAt: 4000, retiredByRevision: sha(2) });
    expect(retirements(s, [rollback], changes).violations).toEqual([expect.stringMatching(/does not contain its fix r4/)]);
    // While the rollback goes on, either revision may be running.
    const during = cowboy({ fixes: [{ fixedBy: sha(4), at: T(1000) }], retiredAt: 3100, retiredByRevision: sha(5) });
    expect(retirements(s, [during], changes).violations).toEqual([]);
    expect(retirements(s, [cowboy({ fixes: [{ fixedBy: sha(4), at: T(1000) }], retiredAt: 2000, retiredByRevision: sha(3) })], changes).violations)
      .toEqual([expect.stringMatching(/retired by r3/)]);
  });

  it('without a fix: only the scan losing it (and saying so) or an operator', () => {
    const scan = cowboy({ origin: 'scan', scanRemovedAt: 1500, retiredAt: 2000, retiredReason: 'the scan no longer finds it' });
    expect(retirements(s, [scan], changes)).toEqual({ how: new Map([[scan, 'scan']]), violations: [] });
    expect(retirements(s, [{ ...scan, retiredReason: 'gone' }], changes).violations).toEqual([expect.stringMatching(/does not say so/)]);
    const early = cowboy({ origin: 'scan', scanRemovedAt: 2500, retiredAt: 2000, retiredReason: 'scan' });
    expect(retirements(s, [early], changes).violations).toEqual([expect.stringMatching(/no fix known/)]);
    const byHand = cowboy({ operatorRetire: T(1800), retiredAt: 1805 });
    expect(retirements(s, [byHand], changes).how.get(byHand)).toBe('operator');
  });
});

describe('check 4: convergence', () => {
  const s = history();
  const fact = (over: Partial<RolloutFact>): RolloutFact => ({ id: 'x', cause: 'promoted', hosts: null, toSha: sha(4), status: 'succeeded', createdAt: 0, finishedAt: 10, ...over });

  it('the target is the newest succeeded rollout of the track (an operator\'s to all of production counts)', () => {
    const rollouts = [
      fact({ id: 'p4', finishedAt: 10 }), fact({ id: 'p6', toSha: sha(6), status: 'failed', finishedAt: 30 }), fact({ id: 'q5', cause: 'qa-tip', toSha: sha(5), finishedAt: 40 }),
      fact({ id: 'c', cause: 'catch-up', toSha: sha(4), finishedAt: 50 }), fact({ id: 'm', cause: 'manual', hosts: ['app1.lpnet'], toSha: sha(2), finishedAt: 60 }),
    ];
    expect(latestRolledOut('promoted', rollouts)?.id).toBe('p4');
    expect(latestRolledOut('qa-tip', rollouts)?.id).toBe('q5');
    expect(latestRolledOut('promoted', [...rollouts, fact({ id: 'all', cause: 'manual', hosts: null, toSha: sha(3), finishedAt: 70 })])?.id).toBe('all');
    expect(latestRolledOut('qa-tip', [])).toBeNull();
  });

  it('every registered, up, unheld, unpinned server without a blocking cowboy contains its target', () => {
    const server = (host: string, running: number | null, over: Partial<ServerFact> = {}): ServerFact => ({
      host, track: 'promoted', registered: true, alive: true, held: false, pinned: false, blockingCowboys: [], running: running ? sha(running) : null, ...over,
    });
    const servers = [
      server('a', 4), server('b', 6), server('c', 3), server('d', null), server('e', 2, { held: true }), server('f', 2, { alive: false }),
      server('g', 2, { pinned: true }), server('h', 2, { blockingCowboys: ['abc'] }), server('i', 2, { registered: false }), server('q', 1, { track: 'qa-tip' }),
    ];
    expect(divergences(s, { promoted: sha(4), 'qa-tip': null }, servers).map((d) => d.host)).toEqual(['c', 'd']);
    expect(divergences(s, { promoted: sha(4), 'qa-tip': sha(2) }, servers).map((d) => d.host)).toEqual(['c', 'd', 'q']);
  });
});

describe('check 5: each deploy once, lead time', () => {
  const s = history();

  it('reads the agents\' log lines and finds a deploy run twice', () => {
    const l = (line: string, host = 'app1.lpnet') => parseLogLine(host, line)!;
    const lines = [
      l(`2026-01-01T00:00:00.000Z d1 ${sha(2)} deploy`), l(`2026-01-01T00:00:01.000Z d1 ${sha(1)} rollback`), l('2026-01-01T00:00:01.500Z d1 reapply abcdef1'),
      l(`2026-01-01T00:00:02.000Z d2 ${sha(3)} deploy`),
    ];
    expect(lines.map((x) => x.kind)).toEqual(['deploy', 'rollback', 'reapply', 'deploy']);
    expect(lines[2].value).toBe('abcdef1');
    expect(parseLogLine('h', 'garbage')).toBeNull();
    expect(ranTwice(lines)).toEqual([]);
    expect(ranTwice([...lines, l(`2026-01-01T00:00:03.000Z d1 ${sha(2)} deploy`, 'app2.lpnet')])).toEqual([expect.stringMatching(/d1 ran twice: on app1.lpnet .* and on app2.lpnet/)]);
  });

  it('what a server may run at a moment: the last change certainly made, and any being made', () => {
    const changes = [{ revision: sha(1), from: 0, to: 0, what: 's' }, { revision: sha(3), from: 100, to: 100, what: 'd' }, { revision: null, from: 200, to: 300, what: 'drift' }];
    expect(runningAt(changes, 50)).toEqual([sha(1)]);
    expect(runningAt(changes, 150)).toEqual([sha(3)]);
    expect(runningAt(changes, 250)).toEqual([sha(3), null]);
    expect(runningAt(changes, 300)).toEqual([null]);
  });

  it('"running everywhere" no earlier than the last server got there; held servers do not count', () => {
    const server = (host: string, changes: [number, number][], over: Partial<ProductionHistory> = {}): ProductionHistory => ({
      host, registered: [{ from: T(0), to: null }], holds: [], cowboys: [], changes: changes.map(([revno, at]) => ({ revision: sha(revno), from: at, to: at, what: 'd' })), ...over,
    });
    const servers = [server('a', [[1, 0], [4, 1000]]), server('b', [[1, 0], [4, 2000]]), server('c', [[1, 0]], { holds: [{ put: T(500), release: null }] })];
    expect(notEverywhereAt(s, sha(4), 2500, servers)).toBeNull();
    expect(notEverywhereAt(s, sha(3), 1500, servers)).toMatch(/^b ran r1/);
    // A fix brought by r3's merge runs where r4 runs.
    expect(notEverywhereAt(s, sha(2, 'b'), 2000, servers)).toBeNull();
    // A server that registered later is counted from its registration on.
    const late = server('d', [], { registered: [{ from: T(3000), to: null }] });
    expect(notEverywhereAt(s, sha(4), 2500, [...servers, late])).toBeNull();
    expect(notEverywhereAt(s, sha(4), 3500, [...servers, late])).toMatch(/^d ran nothing/);
    // A cowboy that keeps a server back: the server is not counted, either way.
    expect(notEverywhereAt(s, sha(4), 1500, [servers[0], server('b', [[1, 0]], { cowboys: [cowboy({ host: 'b', recorded: T(100) })] })])).toBeNull();
  });

  it('runs everywhere now when every registered server without a hold runs it', () => {
    const now = [{ host: 'a', registered: true, held: false, running: sha(5) }, { host: 'b', registered: true, held: true, running: sha(1) }];
    expect(everywhereNow(s, sha(4), now)).toBe(true);
    expect(everywhereNow(s, sha(3, 'b'), now)).toBe(true);
    expect(everywhereNow(s, sha(6), now)).toBe(false);
    expect(everywhereNow(s, sha(4), [...now, { host: 'c', registered: true, held: false, running: null }])).toBe(false);
    expect(everywhereNow(s, sha(4), [...now, { host: 'c', registered: false, held: false, running: null }])).toBe(true);
    // Every server held: left open.
    expect(everywhereNow(s, sha(1), [now[1]])).toBe(false);
  });
});
