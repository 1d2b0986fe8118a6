/**
 * The generator: its randomness replays, its landing and mark plans keep their promises, and
 * the histories it builds with real git are what its record says (checked against git through
 * the model's own questions), including merge-backs by ancestry and by cherry-pick.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMark, gitRunner, HistoryGenerator, planLandings, planMarks, planRound, remoteReader, Rng } from './generator';
import { changedAgainstFirstParent, changedAlongFirstParents, firstParentChain, mergeBacks, passes, QaModel, revnoOf } from './model';

describe('Rng', () => {
  it('replays from a seed and stays in range', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 100 }, () => a.int(3, 7));
    expect(Array.from({ length: 100 }, () => b.int(3, 7))).toEqual(xs);
    expect(new Set(xs)).toEqual(new Set([3, 4, 5, 6, 7]));
    expect(new Rng(43).int(0, 1_000_000)).not.toBe(new Rng(42).int(0, 1_000_000));
    expect(new Rng(1).shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('planLandings', () => {
  const pending = Array.from({ length: 6 }, (_, i) => ({ sha: `s${i + 5}`, revno: i + 5 }));

  it.each(Array.from({ length: 40 }, (_, i) => i + 1))('seed %i: reports some pending commits, some twice, in waves, and knows how far they reach', (seed) => {
    const plan = planLandings(new Rng(seed), { pending, recordedTip: 4, securityFix: seed % 2 ? 'fix' : null, featureCandidates: ['f1', 'f2'] });
    const all = plan.waves.flat();
    expect(plan.pauses).toHaveLength(plan.waves.length);
    expect(plan.waves.every((w) => w.length >= 1 && w.length <= 3)).toBe(true);
    const stable = all.filter((r) => r.kind === 'stable');
    expect(new Set(stable.map((r) => r.sha)).size).toBe(stable.length);
    expect(plan.reportedUpTo).toBe(Math.max(4, ...stable.map((r) => r.revno!)));
    expect(all.filter((r) => r.kind === 'duplicate')).toHaveLength(plan.duplicates);
    for (const d of all.filter((r) => r.kind === 'duplicate')) expect(all.some((r) => r.sha === d.sha && r.kind !== 'duplicate')).toBe(true);
    expect(all.filter((r) => r.kind === 'security-fix').map((r) => r.branch)).toEqual(seed % 2 ? ['production-devel'] : []);
    for (const f of all.filter((r) => r.kind === 'feature-commit')) expect(['f1', 'f2']).toContain(f.sha);
    expect(plan.outOfOrder).toBeGreaterThanOrEqual(0);
  });

  it('collapses, duplicates and reorders over many seeds', () => {
    let collapsed = 0;
    let outOfOrder = 0;
    let duplicates = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const plan = planLandings(new Rng(seed), { pending, recordedTip: 4, securityFix: null, featureCandidates: [] });
      const reported = new Set(plan.waves.flat().map((r) => r.revno));
      collapsed += pending.filter((p) => p.revno <= plan.reportedUpTo && !reported.has(p.revno)).length;
      outOfOrder += plan.outOfOrder;
      duplicates += plan.duplicates;
    }
    expect(collapsed).toBeGreaterThan(100);
    expect(outOfOrder).toBeGreaterThan(50);
    expect(duplicates).toBeGreaterThan(50);
  });
});

describe('planMarks', () => {
  /** A model of `n` landed revisions, some no-qa, production at `promoted`. */
  function model(n: number, promoted: number, seed: number): QaModel {
    const rng = new Rng(seed);
    const m = new QaModel();
    m.record(Array.from({ length: n }, (_, i) => ({ sha: `${(i + 1).toString(16).padStart(40, '0')}`, message: rng.chance(0.2) ? 'x [no-qa]' : 'x', db: false })));
    for (let r = 1; r <= promoted; r++) m.mark(r, 'ok');
    m.promoted(promoted);
    return m;
  }

  it('unlocked: only passing marks on revisions that wait', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const m = model(12, 3, seed);
      for (const a of planMarks(new Rng(seed), m, false)) {
        expect(a.kind).toBe('status');
        if (a.kind === 'status') {
          expect(passes(a.status)).toBe(true);
          expect(m.get(a.revno).status).toBe('needs-testing');
          expect(a.revno).toBeGreaterThan(3);
        }
        expect(applyMark(m, a).withdrawal).toBeNull();
      }
    }
  });

  it('locked: valid marks only, with late bad marks, withdrawals, fixes linked later and bad marks on production', () => {
    const seen = { late: 0, withdrawals: 0, links: 0, production: 0, needsTesting: 0, fixedBy: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const m = model(14, 1 + (seed % 6), seed);
      for (const a of planMarks(new Rng(seed), m, true)) {
        const before = m.deployable();
        if (a.kind === 'status' && a.late) {
          seen.late++;
          expect(a.revno).toBeGreaterThan(m.lastPromoted);
          expect(a.revno).toBeLessThanOrEqual(before);
        }
        if (a.kind === 'status' && a.onProduction) {
          seen.production++;
          expect(a.revno).toBeLessThanOrEqual(m.lastPromoted);
        }
        if (a.kind === 'status' && a.status === 'needs-testing') seen.needsTesting++;
        if (a.kind === 'status' && a.fixedBy) seen.fixedBy++;
        if (a.kind === 'fix') seen.links++;
        expect(a.revno).toBeGreaterThan(1); // the baseline is never marked again
        const outcome = applyMark(m, a); // throws on an impossible fix
        if (outcome.withdrawal) seen.withdrawals++;
      }
    }
    expect(seen.late).toBeGreaterThan(30);
    expect(seen.withdrawals).toBeGreaterThan(30);
    expect(seen.links).toBeGreaterThan(10);
    expect(seen.production).toBeGreaterThan(10);
    expect(seen.needsTesting).toBeGreaterThan(10);
    expect(seen.fixedBy).toBeGreaterThan(30);
  });
});

describe('HistoryGenerator (real git)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** Builds a run's history, standing in for promotion: each security fix goes to production-stable at once. */
  async function build(seed: number, rounds: number) {
    const dir = mkdtempSync(join(tmpdir(), 'runway-generator-spec-'));
    dirs.push(dir);
    const rng = new Rng(seed);
    const gen = new HistoryGenerator(dir, rng, seed);
    await gen.init();
    const remote = remoteReader(gen.remote);
    for (let round = 1; round <= rounds; round++) {
      const { fix } = await gen.round(round, planRound(rng, round).securityFix || round === 1);
      if (fix) await remote(['update-ref', 'refs/heads/production-stable', fix.sha]);
    }
    return { gen, remote };
  }

  const seen = { kinds: new Set<string>(), inBranches: 0, dbReverts: 0, patchId: 0, ancestry: 0 };

  it.each([1, 2, 3, 4, 5, 6, 7])('seed %i: the record is what git holds', async (seed) => {
    const { gen, remote } = await build(seed, 5);
    const rec = gen.record;
    const chain = await firstParentChain(remote, 'refs/heads/stable');
    expect(chain).toEqual(rec.stable.map((c) => c.sha));
    const along = await changedAlongFirstParents(remote, 'refs/heads/stable');
    for (const c of rec.stable) {
      expect(await changedAgainstFirstParent(remote, c.sha)).toEqual(c.files);
      expect(along.get(c.sha)).toEqual(c.files);
      expect(await revnoOf(remote, c.sha)).toBe(c.revno);
      expect((await remote(['log', '-1', '--format=%B', c.sha])).replace(/\n+$/, '')).toBe(c.message);
    }
    // Every merge-back the generator made is where git finds it, and nothing else is merged back.
    const expected = await mergeBacks(remote, chain, rec.fixes.map((f) => f.sha));
    const made = new Map(rec.stable.flatMap((c) => c.mergesBack.map((m) => [m.fix, { sha: c.sha, how: m.how }] as const)));
    for (const f of rec.fixes) {
      const e = expected.get(f.sha);
      expect(e ? { sha: e.sha, how: e.how } : undefined).toEqual(made.get(f.sha));
    }
    // Feature-branch commits are in stable's history but never first-parent.
    for (const c of rec.stable.filter((x) => x.branch)) {
      for (const b of c.branch!.commits) {
        expect(chain).not.toContain(b);
        await expect(remote(['merge-base', '--is-ancestor', b, c.sha])).resolves.toBeDefined();
      }
    }
    expect(rec.commits).toBeLessThanOrEqual(60);
    for (const c of rec.stable) seen.kinds.add(c.kind);
    seen.inBranches += rec.schemaPatchesInBranches;
    seen.dbReverts += rec.revertsOfSchemaPatches;
    for (const c of rec.stable) {
      for (const m of c.mergesBack) {
        if (m.how === 'ancestry') seen.ancestry++;
        else seen.patchId++;
      }
    }
  });

  it('made every kind of history over those seeds', () => {
    expect([...seen.kinds].sort()).toEqual(['feature', 'initial', 'merge-back-ancestry', 'merge-back-cherry-pick', 'plain', 'revert', 'schema']);
    expect(seen.inBranches).toBeGreaterThan(0);
    expect(seen.dbReverts).toBeGreaterThan(0);
    expect(seen.patchId).toBeGreaterThan(1);
    expect(seen.ancestry).toBeGreaterThan(0);
  });

  it('replays: the same seed makes the same shas', async () => {
    const a = await build(77, 3);
    const b = await build(77, 3);
    expect(b.gen.record.stable.map((c) => c.sha)).toEqual(a.gen.record.stable.map((c) => c.sha));
    expect(b.gen.record.fixes.map((f) => f.sha)).toEqual(a.gen.record.fixes.map((f) => f.sha));
  });

  it('a rewritten commit is not a descendant of the recorded tip and is fetchable', async () => {
    const { gen, remote } = await build(5, 2);
    const tip = gen.record.stable.length;
    const sha = (await gen.rewritten(tip))!;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    await expect(remote(['merge-base', '--is-ancestor', gen.tip.sha, sha])).rejects.toThrow();
    expect((await remote(['rev-parse', 'refs/heads/rewritten'])).trim()).toBe(sha);
    expect(await gitRunner(['--git-dir', gen.remote])(['cat-file', '-t', sha])).toBe('commit\n');
  });
});
