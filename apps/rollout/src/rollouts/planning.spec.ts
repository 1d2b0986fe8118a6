import { inRolloutOrder, nextCadenceSlot, nextWindowOpening, parseCadence, parseDowntimeWindow, planRollout, type PlanServer, windowOpen } from './planning';

const server = (host: string, environment: string, extra: Partial<PlanServer> = {}): PlanServer => ({ host, environment, wave: null, ...extra });

describe('rollout planning', () => {
  it('orders waves as configured and splits them into batches', () => {
    const plan = planRollout(
      [server('app3', 'lpnet'), server('app1', 'lpnet'), server('edge1', 'edge'), server('app2', 'lpnet'), server('qa1', 'qastaging')],
      ['qastaging', 'edge', 'lpnet'],
      2,
    );
    expect(plan.deploys.map((d) => [d.batch, d.host])).toEqual([[0, 'qa1'], [1, 'edge1'], [2, 'app1'], [2, 'app2'], [3, 'app3']]);
    expect(plan.batches).toBe(4);
  });

  it("uses an agent's wave before its environment, and puts unlisted waves last", () => {
    const plan = planRollout([server('a', 'lpnet', { wave: 'canary' }), server('b', 'lpnet'), server('c', 'zeta')], ['canary', 'lpnet'], 0);
    expect(plan.deploys.map((d) => [d.batch, d.host, d.wave])).toEqual([[0, 'a', 'canary'], [1, 'b', 'lpnet'], [2, 'c', 'zeta']]);
  });

  it('lists servers in the order a rollout reaches them, for the Servers page and runway servers', () => {
    const listed = inRolloutOrder(
      [server('lpnet2', 'lpnet'), server('x1', 'alpha'), server('edge1', 'edge'), server('lpnet1', 'lpnet'), server('qa1', 'qastaging'), server('c1', 'lpnet', { wave: 'canary' })],
      ['qastaging', 'edge', 'canary', 'lpnet'],
    );
    expect(listed.map((s) => s.host)).toEqual(['qa1', 'edge1', 'c1', 'lpnet1', 'lpnet2', 'x1']);
  });
});

describe('no-downtime cadence', () => {
  const at = (iso: string) => new Date(iso);
  it('goes at once by default', () => {
    expect(nextCadenceSlot(parseCadence(''), at('2026-11-22T08:00:00Z'), at('2026-11-22T07:59:00Z'))).toEqual(at('2026-11-22T08:00:00Z'));
  });
  it('waits until N minutes after the last rollout started', () => {
    const c = parseCadence('every 30m');
    expect(nextCadenceSlot(c, at('2026-11-22T08:10:00Z'), at('2026-11-22T08:00:00Z'))).toEqual(at('2026-11-22T08:30:00Z'));
    expect(nextCadenceSlot(c, at('2026-11-22T08:40:00Z'), at('2026-11-22T08:00:00Z'))).toEqual(at('2026-11-22T08:40:00Z'));
    expect(nextCadenceSlot(c, at('2026-11-22T08:40:00Z'), null)).toEqual(at('2026-11-22T08:40:00Z'));
    expect(parseCadence('every 2h')).toEqual({ kind: 'every', ms: 7_200_000 });
  });
  it('goes at the next daily slot', () => {
    const c = parseCadence('daily 09:00');
    expect(nextCadenceSlot(c, at('2026-11-22T08:00:00Z'), null)).toEqual(at('2026-11-22T09:00:00Z'));
    expect(nextCadenceSlot(c, at('2026-11-22T09:30:00Z'), null)).toEqual(at('2026-11-23T09:00:00Z'));
  });
  it('refuses a malformed cadence, naming it', () => {
    expect(() => parseCadence('hourly')).toThrow(/hourly/);
  });
});

describe('downtime window', () => {
  const w = parseDowntimeWindow('daily 10:00/60');
  it('is open from 10:00 for an hour, UTC', () => {
    expect(windowOpen(w, new Date('2026-11-22T10:30:00Z'))).toBe(true);
    expect(windowOpen(w, new Date('2026-11-22T11:00:00Z'))).toBe(false);
    expect(nextWindowOpening(w, new Date('2026-11-22T09:00:00Z'))).toEqual(new Date('2026-11-22T10:00:00Z'));
    expect(nextWindowOpening(w, new Date('2026-11-22T11:00:00Z'))).toEqual(new Date('2026-11-23T10:00:00Z'));
  });

  it('refuses a malformed window, naming it', () => {
    expect(() => parseDowntimeWindow('weekly 10:00')).toThrow(/weekly 10:00/);
    expect(parseDowntimeWindow('daily 9:30')).toEqual({ hour: 9, minute: 30, minutes: 60 });
  });
});
