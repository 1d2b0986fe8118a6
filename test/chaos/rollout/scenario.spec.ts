/**
 * The rollout run's scenarios: a seed replays the same one, and every step makes sense when it
 * is taken (replayed here against a picture of the world of the spec's own): landings in order,
 * promotions forward, manual rollouts back or level, only held servers released, only stopped
 * agents restarted, every fix named before it landed lands before the end, and every kind of
 * step turns up across seeds.
 */
import { Rng } from '../histories/generator';
import { Stable } from './model';
import { generateScenario, STEP_KINDS, type StepKind, stepCounts } from './scenario';

const SEEDS = Array.from({ length: 60 }, (_, i) => i * 7919 + 1);

describe('generateScenario', () => {
  it('replays from a seed', () => {
    expect(generateScenario(new Rng(42))).toEqual(generateScenario(new Rng(42)));
    expect(generateScenario(new Rng(43)).steps).not.toEqual(generateScenario(new Rng(42)).steps);
  });

  it.each(SEEDS)('seed %i: every step makes sense when it is taken', (seed) => {
    const sc = generateScenario(new Rng(seed));
    const stable = new Stable();
    stable.land(sc.baseline);
    expect(sc.agents.length).toBeGreaterThanOrEqual(3);
    expect(sc.agents.length).toBeLessThanOrEqual(5);
    expect(sc.agents.some((a) => a.environment === 'qastaging')).toBe(true);
    expect(sc.agents.some((a) => a.environment === 'lpnet')).toBe(true);
    expect(sc.batchSize).toBeGreaterThanOrEqual(0);
    expect(sc.batchSize).toBeLessThanOrEqual(2);
    const hosts = new Map(sc.agents.map((a) => [a.host, { alive: true, forGood: false, deregistered: false, held: false, scan: new Set<string>() }]));
    let promoted = 1;
    let qaTip = 1;
    const named = new Set<string>();
    const cowboys = new Set<number>();
    const operatorSteps = sc.steps.filter((s) => s.kind !== 'checkpoint').length;
    expect(operatorSteps).toBeGreaterThanOrEqual(20);

    for (const step of sc.steps) {
      expect(step.pauseMs).toBeGreaterThanOrEqual(0);
      expect(step.pauseMs).toBeLessThanOrEqual(2500);
      const h = 'host' in step ? hosts.get(step.host) : undefined;
      if ('host' in step) expect(h).toBeDefined();
      switch (step.kind) {
        case 'land':
          for (const r of step.revisions) stable.land(r);
          break;
        case 'qa-tip':
          expect(step.revno).toBeGreaterThan(qaTip);
          expect(step.revno).toBeLessThanOrEqual(stable.tip);
          qaTip = step.revno;
          break;
        case 'promote':
          expect(step.from).toBe(promoted);
          expect(step.revno).toBeGreaterThan(promoted);
          expect(step.revno).toBeLessThanOrEqual(stable.tip);
          promoted = step.revno;
          break;
        case 'hold':
          expect(h!.held || h!.deregistered).toBe(false);
          h!.held = true;
          break;
        case 'release':
          expect(h!.held).toBe(true);
          expect(h!.deregistered).toBe(false);
          h!.held = false;
          break;
        case 'cowboy':
          expect(step.hosts.length).toBeGreaterThanOrEqual(1);
          for (const x of step.hosts) expect(hosts.get(x)?.deregistered).toBe(false);
          expect(step.hash).toMatch(/^[0-9a-f]{12}$/);
          if (step.fixedBy) named.add(step.fixedBy);
          if (step.fix === 'landed' || step.fix === 'landed-brought') expect(stable.placeOf(step.fixedBy!)).not.toBeNull();
          if (step.fix === 'future' || step.fix === 'future-brought') expect(stable.placeOf(step.fixedBy!)).toBeNull();
          cowboys.add(step.ref);
          break;
        case 'cowboy-fix':
        case 'cowboy-retire':
          expect(cowboys.has(step.ref)).toBe(true);
          if (step.kind === 'cowboy-fix') named.add(step.fixedBy);
          break;
        case 'scan-add':
          expect(h!.alive && !h!.deregistered).toBe(true);
          h!.scan.add(step.hash);
          break;
        case 'scan-remove':
          expect(h!.scan.delete(step.hash)).toBe(true);
          break;
        case 'manual': {
          const onQa = step.hosts?.every((x) => x.endsWith('.qastaging')) ?? false;
          expect(step.revno).toBeGreaterThanOrEqual(1);
          expect(step.revno).toBeLessThanOrEqual(onQa ? qaTip : promoted);
          for (const x of step.hosts ?? []) expect(hosts.get(x)?.deregistered).toBe(false);
          break;
        }
        case 'arm':
          expect(h!.alive && !h!.deregistered).toBe(true);
          break;
        case 'kill':
          expect(h!.alive && !h!.deregistered).toBe(true);
          h!.alive = false;
          h!.forGood = step.forGood;
          break;
        case 'restart':
          expect(h!.forGood).toBe(false);
          expect(!h!.alive || h!.deregistered).toBe(true);
          if (step.drift) expect(h!.alive).toBe(false);
          h!.alive = true;
          h!.deregistered = false;
          break;
        case 'register':
          expect(hosts.has(step.agent.host)).toBe(false);
          if (step.agent.initialRevno !== null) expect(step.agent.initialRevno).toBeLessThanOrEqual(stable.tip);
          hosts.set(step.agent.host, { alive: true, forGood: false, deregistered: false, held: false, scan: new Set() });
          break;
        case 'deregister':
          expect(h!.deregistered).toBe(false);
          h!.deregistered = true;
          break;
        case 'cancel':
        case 'pause':
        case 'resume':
        case 'checkpoint':
          break;
      }
    }
    expect(hosts.size).toBeLessThanOrEqual(8);
    expect([...hosts.values()].filter((x) => x.forGood).length).toBeLessThanOrEqual(1);
    // Every fix named lands before the end; stopped agents (not for good) are back; QA is at the tip.
    for (const f of named) expect(stable.placeOf(f)).not.toBeNull();
    expect([...hosts.values()].filter((x) => !x.alive && !x.forGood)).toEqual([]);
    expect(qaTip).toBe(stable.tip);
    expect(sc.stable.tip).toBe(stable.tip);
    const checkpoints = sc.steps.filter((s) => s.kind === 'checkpoint');
    expect(checkpoints.map((c) => c.kind === 'checkpoint' && c.final)).toEqual([false, true]);
    expect(sc.steps[sc.steps.length - 1].kind).toBe('checkpoint');
  });

  it('brings every kind of step, fixes of every kind and every way to fail, across seeds', () => {
    const kinds = new Set<StepKind>();
    const fixes = new Set<string>();
    const modes = new Set<string>();
    let drifts = 0;
    let merges = 0;
    for (const seed of SEEDS) {
      const sc = generateScenario(new Rng(seed));
      for (const [k, n] of Object.entries(stepCounts(sc.steps))) if (n > 0) kinds.add(k as StepKind);
      for (const s of sc.steps) {
        if ((s.kind === 'cowboy' || s.kind === 'cowboy-fix') && s.fix) fixes.add(s.fix);
        if (s.kind === 'arm') modes.add(s.mode);
        if (s.kind === 'restart' && s.drift) drifts++;
        if (s.kind === 'land') merges += s.revisions.filter((r) => r.brings.length).length;
      }
    }
    expect([...kinds].sort()).toEqual([...STEP_KINDS].sort());
    expect([...fixes].sort()).toEqual(['future', 'future-brought', 'landed', 'landed-brought']);
    expect([...modes].sort()).toEqual(['fail', 'hang', 'hang-rollback']);
    expect(drifts).toBeGreaterThan(5);
    expect(merges).toBeGreaterThan(30);
  });

  it('takes its sizes from options', () => {
    const sc = generateScenario(new Rng(5), { steps: [4, 4], agents: [8, 8], maxAgents: 8 });
    expect(sc.agents).toHaveLength(8);
    expect(sc.steps.filter((s) => s.kind === 'register')).toEqual([]);
  });
});
