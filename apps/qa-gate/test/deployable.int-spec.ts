/**
 * The deployable revision over HTTP, in-process against real Postgres (own database) and NATS
 * JetStream (own namespace): Launchpad's own example, the `qa-passed` events it publishes, fix
 * links made by QA, and the last promoted revision learnt from `promoted`. Each scenario that
 * reads the frontier gets a qa-gate of its own, so no scenario sees another's revisions.
 */
import { startService } from '@runway/platform';
import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type CloudEvent, durableName, Events, type PromotedV1, type QaPassedV1, Subjects } from '@runway/contracts';
import { type ApiClient, eventually, randomSha, startServiceUnderTest } from '@runway/testing';
import { qaGate } from '../src/definition';

interface Landed {
  id: string;
  sha: string;
  revno: number;
}

async function startQaGate() {
  const sut = await startServiceUnderTest(startService, qaGate);
  const { admin, namespace: ns } = sut;
  const clientWith = (name: string, roles: string[]) => sut.clientWith(roles, name);
  const buildbot = await clientWith('buildbot', ['buildbot']);
  const qa = await clientWith('Diogo (QA)', ['qa']);
  return {
    ns, admin, qa,
    /** Lands a revision on a branch; the answer's revno, with the id GET gives it. */
    land: async (body: { revno?: number; message?: string; author?: string; branch?: string }): Promise<Landed> => {
      const sha = randomSha();
      const res = await buildbot.post('/revisions', { branch: 'stable', sha, ...body });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ sha, recorded: true });
      const got = await admin.get(`/revisions/${sha}`);
      expect(got.status).toBe(200);
      return { id: got.body.id, sha, revno: res.body.revno };
    },
    close: sut.close,
  };
}

type QaGate = Awaited<ReturnType<typeof startQaGate>>;

/** Every event of these types about stable in a namespace's stream, oldest first. */
async function eventsOnStable<T>(nc: NatsConnection, ns: string, ...types: string[]): Promise<CloudEvent<T>[]> {
  const subjects = new Subjects(ns);
  const wanted = new Set(types.map((t) => subjects.event(t, 'stable')));
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(subjects.eventStream);
  const out: CloudEvent<T>[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(subjects.eventStream, { seq }).catch(() => null);
    if (m && wanted.has(m.subject)) out.push(JSON.parse(new TextDecoder().decode(m.data)) as CloudEvent<T>);
  }
  return out;
}

function put(client: ApiClient, path: string, body: unknown) {
  return client.raw('PUT', path, JSON.stringify(body));
}

describe("qa-gate: Launchpad's example, over HTTP", () => {
  let gate: QaGate;
  let nc: NatsConnection;

  beforeAll(async () => {
    gate = await startQaGate();
    nc = await connect({ servers: process.env.NATS_URL! });
  });
  afterAll(async () => {
    await nc?.close();
    await gate?.close();
  });

  const qaPassedEvents = () => eventsOnStable<QaPassedV1>(nc, gate.ns, Events.QaPassed.type);

  it('makes r42 deployable, blocked by r45 for QA; once r45 is ok, r46 — and publishes qa-passed for each', async () => {
    const r: Record<number, Landed> = {};
    const authors: Record<number, string> = {
      41: 'Gary Poster <gary@example.com>', 42: 'Robert Collins <robert@example.com>', 43: 'Francis Lacoste <francis@example.com>',
      44: 'Curtis Hovey <curtis@example.com>', 45: 'Brad Crittenden <brad@example.com>', 46: 'Francis Lacoste <francis@example.com>',
    };
    const messages: Record<number, string> = {
      41: 'Faster bug search', 42: 'Show the bug heat on listings', 43: 'Cache the branch listing', 44: 'Fix the OOPS on +filebug',
      45: 'New PPA page', 46: 'Revert the branch listing cache [rollback=43]',
    };
    for (let revno = 41; revno <= 46; revno++) {
      r[revno] = await gate.land({ revno, message: messages[revno], author: authors[revno] });
      expect(r[revno].revno).toBe(revno);
    }
    // The [rollback=43] in r46's message linked the fix as it landed.
    expect((await gate.admin.get(`/revisions/${r[43].sha}`)).body).toMatchObject({ fixedByRevno: 46 });
    expect((await gate.admin.get(`/revisions/${r[46].sha}`)).body).toMatchObject({ fixesRevno: 43 });
    const none = (await gate.admin.get('/deployable')).body;
    expect(none).toMatchObject({ deployable: null, tip: { revno: 46, sha: r[46].sha }, blocker: { revno: 41, kind: 'needs-testing', actor: 'qa' } });

    // QA reaches r41 last, so the frontier moves once, straight to r42.
    const marks: [number, string][] = [[46, 'ok'], [44, 'ok'], [43, 'bad'], [42, 'ok'], [41, 'ok']];
    for (const [revno, status] of marks) {
      const res = await gate.qa.patch(`/revisions/${r[revno].id}/qa`, { status, note: `tested r${revno} on qastaging` });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ revno, qaStatus: status });
    }

    const d = (await gate.admin.get('/deployable')).body;
    expect(d).toMatchObject({
      branch: 'stable',
      lastPromoted: null,
      deployable: { revno: 42, sha: r[42].sha },
      tip: { revno: 46, sha: r[46].sha },
      blocker: { revno: 45, sha: r[45].sha, id: r[45].id, status: 'needs-testing', kind: 'needs-testing', actor: 'qa', author: authors[45] },
      nextAction: { actor: 'qa', revno: 45, wouldMakeDeployable: 46, wouldRelease: 4 },
    });
    expect(d.blocker.waitingSeconds).toBeGreaterThanOrEqual(0);
    expect(d.nextAction.description).toMatch(/r45/);

    const ok45 = await gate.qa.patch(`/revisions/${r[45].id}/qa`, { status: 'ok' });
    expect(ok45.status).toBe(200);
    const after = (await gate.admin.get('/deployable')).body;
    expect(after).toMatchObject({ deployable: { revno: 46, sha: r[46].sha }, blocker: null, nextAction: null });

    const events = await eventually(async () => {
      const e = await qaPassedEvents();
      return e.some((x) => x.data.revno === 46) ? e : null;
    }, { what: 'qa-passed for r46 on the stream' });
    const ref = (revno: number) => ({ revno, sha: r[revno].sha, db: false });
    expect(events.map((e) => e.data)).toEqual([
      { branch: 'stable', sha: r[42].sha, revno: 42, range: [ref(41), ref(42)], rangeCount: 2, containsDbRevision: false, seq: 1 },
      { branch: 'stable', sha: r[46].sha, revno: 46, previousSha: r[42].sha, range: [ref(43), ref(44), ref(45), ref(46)], rangeCount: 4, containsDbRevision: false, seq: 2 },
    ]);
    expect(events.map((e) => e.type)).toEqual([Events.QaPassed.type, Events.QaPassed.type]);
  });
});

describe('qa-gate: linking a bad revision to its fix', () => {
  let gate: QaGate;

  beforeAll(async () => {
    gate = await startQaGate();
  });
  afterAll(async () => {
    await gate?.close();
  });

  it('PUT /revisions/:id/fix links a fix that landed without a marker, and the bad revision then ships with it', async () => {
    const bad = await gate.land({ message: 'Cache the bug listing', author: 'Francis Lacoste <francis@example.com>' });
    const fix = await gate.land({ message: 'Drop the bug listing cache again' });
    expect((await gate.qa.patch(`/revisions/${bad.id}/qa`, { status: 'bad', note: 'stale listings on qastaging' })).status).toBe(200);
    expect((await gate.qa.patch(`/revisions/${fix.id}/qa`, { status: 'ok' })).status).toBe(200);
    const blocked = (await gate.admin.get('/deployable')).body;
    expect(blocked).toMatchObject({
      deployable: null,
      blocker: { revno: bad.revno, kind: 'bad-unfixed', actor: 'developer', author: 'Francis Lacoste <francis@example.com>' },
    });
    expect(blocked.nextAction.description).toMatch(/rollback/);

    const linked = await put(gate.qa, `/revisions/${bad.id}/fix`, { fixedBy: `r${fix.revno}` });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ revno: bad.revno, qaStatus: 'bad', fixedByRevno: fix.revno });
    const badNow = (await gate.admin.get(`/revisions/${bad.sha}`)).body;
    expect(badNow.history.at(-1)).toMatchObject({ fromStatus: 'bad', toStatus: 'bad', by: 'Diogo (QA)', note: `fixed by r${fix.revno}` });
    expect((await gate.admin.get(`/revisions/${fix.sha}`)).body).toMatchObject({ fixesRevno: bad.revno });
    expect((await gate.admin.get('/deployable')).body).toMatchObject({ deployable: { revno: fix.revno, sha: fix.sha }, blocker: null });
  });
});

describe('qa-gate: fix links it refuses, and the last promoted revision', () => {
  let gate: QaGate;
  let nc: NatsConnection;

  beforeAll(async () => {
    gate = await startQaGate();
    nc = await connect({ servers: process.env.NATS_URL! });
  });
  afterAll(async () => {
    await nc?.close();
    await gate?.close();
  });

  it('answers fixedBy on a status other than bad with a 400 naming fixedBy, and changes nothing', async () => {
    const rev = await gate.land({ message: 'Cache the bug listing' });
    const later = await gate.land({ message: 'Drop the bug listing cache' });
    for (const status of ['ok', 'needs-testing', 'untestable', 'no-qa']) {
      const res = await gate.qa.patch(`/revisions/${rev.id}/qa`, { status, fixedBy: String(later.revno) });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('VALIDATION_FAILED');
      expect(res.body.fields.map((f: { field: string }) => f.field)).toEqual(['fixedBy']);
    }
    const malformed = await put(gate.qa, `/revisions/${rev.id}/fix`, { fixedBy: 'the next one' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.fields.map((f: { field: string }) => f.field)).toEqual(['fixedBy']);
    expect((await gate.admin.get(`/revisions/${rev.sha}`)).body).toMatchObject({ qaStatus: 'needs-testing', fixedByRevno: null, history: [] });
  });

  it('answers a fixedBy that is not a later landed revision on the branch with a 422, and changes nothing', async () => {
    const earlier = await gate.land({ message: 'Faster bug search' });
    const rev = await gate.land({ message: 'Cache the bug listing' });
    const elsewhere = await gate.land({ branch: 'production-devel', revno: 9000, message: 'Security fix' });
    const refs = [String(earlier.revno), `r${rev.revno}`, earlier.sha, '999999', elsewhere.sha.slice(0, 12)];
    for (const fixedBy of refs) {
      const res = await gate.qa.patch(`/revisions/${rev.id}/qa`, { status: 'bad', fixedBy });
      expect({ fixedBy, status: res.status, error: res.body.error }).toEqual({ fixedBy, status: 422, error: 'UNPROCESSABLE' });
      expect(res.body.fields.map((f: { field: string }) => f.field)).toEqual(['fixedBy']);
      const linked = await put(gate.qa, `/revisions/${rev.id}/fix`, { fixedBy });
      expect({ fixedBy, status: linked.status }).toEqual({ fixedBy, status: 422 });
    }
    // The refused PATCH set no status either: the whole change is one transaction.
    expect((await gate.admin.get(`/revisions/${rev.sha}`)).body).toMatchObject({ qaStatus: 'needs-testing', fixedByRevno: null, history: [] });
    expect((await gate.admin.get(`/revisions/${earlier.sha}`)).body).toMatchObject({ fixesRevno: null });
  });

  it('shows the revision production last moved to, learnt from promoted, as lastPromoted', async () => {
    const subjects = new Subjects(gate.ns);
    const jsm = await jetstreamManager(nc);
    const js = jsm.jetstream();
    const consumer = durableName(qaGate.name, Events.Promoted.type);
    const publish = async (data: PromotedV1) => {
      const event: CloudEvent<PromotedV1> = {
        specversion: '1.0', id: randomUUID(), source: 'promotion', type: Events.Promoted.type, time: new Date().toISOString(),
        datacontenttype: 'application/json', correlationid: randomUUID(), data,
      };
      await js.publish(subjects.event(Events.Promoted.type, 'production-stable'), JSON.stringify(event));
      return event;
    };
    /** Until qa-gate has handled (and acked) everything published so far. */
    const handled = () => eventually(async () => {
      const info = await jsm.consumers.info(subjects.eventStream, consumer);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, { what: 'qa-gate to handle the promoted events' });
    const promoted = (toRevno: number, toSha: string, cause: PromotedV1['cause'] = 'qa-passed'): PromotedV1 => ({
      promotionId: randomUUID(), branch: 'production-stable', toSha, toRevno, revisions: [{ sha: toSha, revno: toRevno, db: false }],
      containsDbRevision: false, deployKind: 'no-downtime', cause, pendingMergeBack: [],
    });

    const sha42 = randomSha();
    const e42 = await publish(promoted(42, sha42));
    const d = await eventually(async () => {
      const x = (await gate.admin.get('/deployable')).body;
      return x.lastPromoted ? x : null;
    }, { what: 'lastPromoted' });
    expect(d.lastPromoted).toEqual({ revno: 42, sha: sha42, at: e42.time });

    // A redelivered older promotion does not move it back; a security fix is not a stable revision.
    await publish(promoted(40, randomSha()));
    await publish(promoted(43, randomSha(), 'security-fix'));
    await handled();
    expect((await gate.admin.get('/deployable')).body.lastPromoted).toEqual({ revno: 42, sha: sha42, at: e42.time });
  });
});

// Issue 13, defect 3: a revision marked bad after it became deployable, before it was promoted,
// left the approval standing. Now the deployable revision moves back and the approval is withdrawn.
describe('qa-gate: marks that move the deployable revision backwards, and production running a bad revision', () => {
  let gate: QaGate;
  let nc: NatsConnection;

  beforeAll(async () => {
    gate = await startQaGate();
    nc = await connect({ servers: process.env.NATS_URL! });
  });
  afterAll(async () => {
    await nc?.close();
    await gate?.close();
  });

  const decisions = (...types: string[]) => eventsOnStable<{ seq?: number; revno?: number } & Record<string, unknown>>(nc, gate.ns, ...types);
  const mark = async (rev: Landed, status: string) => expect((await gate.qa.patch(`/revisions/${rev.id}/qa`, { status, note: `r${rev.revno} on qastaging` })).status).toBe(200);
  const deployable = async () => (await gate.admin.get('/deployable')).body;

  async function promote(rev: Landed) {
    const subjects = new Subjects(gate.ns);
    const js = (await jetstreamManager(nc)).jetstream();
    const data: PromotedV1 = {
      promotionId: randomUUID(), branch: 'production-stable', toSha: rev.sha, toRevno: rev.revno, revisions: [{ sha: rev.sha, revno: rev.revno, db: false }],
      containsDbRevision: false, deployKind: 'no-downtime', cause: 'qa-passed', pendingMergeBack: [],
    };
    await js.publish(subjects.event(Events.Promoted.type, 'production-stable'), JSON.stringify({
      specversion: '1.0', id: randomUUID(), source: 'promotion', type: Events.Promoted.type, time: new Date().toISOString(), datacontenttype: 'application/json', correlationid: randomUUID(), data,
    }));
    await eventually(async () => (await deployable()).lastPromoted?.revno === rev.revno, { what: `r${rev.revno} promoted` });
  }

  it('withdraws the approval when a late mark moves the deployable revision back, and approves again when it passes', async () => {
    const r: Landed[] = [];
    for (let i = 0; i < 4; i++) r.push(await gate.land({ message: `Change ${i + 1}` }));
    // QA reaches r1 last, so r4 is approved once.
    for (const rev of [...r].reverse()) await mark(rev, 'ok');
    expect((await deployable()).deployable).toEqual({ revno: r[3].revno, sha: r[3].sha });

    // A late bad mark on r2, below the deployable revision: r1 is all that passes now.
    await mark(r[1], 'bad');
    expect(await deployable()).toMatchObject({ deployable: { revno: r[0].revno }, blocker: { revno: r[1].revno, kind: 'bad-unfixed', actor: 'developer' } });
    // Back to ok: r4 again. Then r3 back to needs testing: r2.
    await mark(r[1], 'ok');
    expect((await deployable()).deployable).toEqual({ revno: r[3].revno, sha: r[3].sha });
    await mark(r[2], 'needs-testing');
    expect(await deployable()).toMatchObject({ deployable: { revno: r[1].revno }, blocker: { revno: r[2].revno, kind: 'needs-testing', actor: 'qa' } });

    const events = await eventually(async () => {
      const e = await decisions(Events.QaPassed.type, Events.ApprovalWithdrawn.type);
      return e.length >= 4 ? e : null;
    }, { what: 'four decisions on the stream' });
    expect(events.map((e) => [e.type, e.data.seq, e.data.revno])).toEqual([
      [Events.QaPassed.type, 1, r[3].revno],
      [Events.ApprovalWithdrawn.type, 2, r[0].revno],
      [Events.QaPassed.type, 3, r[3].revno],
      [Events.ApprovalWithdrawn.type, 4, r[1].revno],
    ]);
    expect(events[1].data).toMatchObject({
      sha: r[0].sha, withdrawnRevno: r[3].revno, withdrawnSha: r[3].sha, cause: { revno: r[1].revno, sha: r[1].sha }, causeStatus: 'bad', by: 'Diogo (QA)',
    });
    expect(events[1].data.reason).toMatch(new RegExp(`r${r[1].revno} is bad`));
    // Approved again from r1: the range holds everything the withdrawal took back.
    expect(events[2].data).toMatchObject({ previousSha: r[0].sha, range: [r[1], r[2], r[3]].map((x) => ({ revno: x.revno, sha: x.sha, db: false })) });
    expect(events[3].data).toMatchObject({ withdrawnRevno: r[3].revno, causeStatus: 'needs-testing' });

    // Marks on what production already runs never move the deployable revision below it.
    await promote(r[1]);
    await mark(r[0], 'needs-testing');
    expect((await deployable()).deployable).toEqual({ revno: r[1].revno, sha: r[1].sha });
    expect((await decisions(Events.ApprovalWithdrawn.type))).toHaveLength(2);
  });

  it('says production runs a bad revision, and who must act, until its fix runs there', async () => {
    const bad = await gate.land({ message: 'Cache the bug listing' });
    const next = await gate.land({ message: 'Show the bug heat' });
    for (const x of [bad, next]) await mark(x, 'ok');
    await promote(next);
    expect((await deployable()).productionRunsBad).toBeNull();

    await mark(bad, 'bad');
    const d = await deployable();
    expect(d.productionRunsBad).toMatchObject({ actor: 'developer', revisions: [{ revno: bad.revno, sha: bad.sha, actor: 'developer' }] });
    expect(d.productionRunsBad.reason).toMatch(new RegExp(`production runs r${bad.revno}, which is bad`));
    expect(d.deployable).toEqual({ revno: next.revno, sha: next.sha });

    // The fix lands: QA must test it; once it passes, it must reach production.
    const fix = await gate.land({ message: `Drop the bug listing cache [rollback=${bad.revno}]` });
    expect((await deployable()).productionRunsBad).toMatchObject({ actor: 'qa', revisions: [{ revno: bad.revno, fixedByRevno: fix.revno }] });
    await mark(fix, 'ok');
    expect((await deployable()).productionRunsBad).toMatchObject({ actor: 'operator' });
    await promote(fix);
    expect((await deployable()).productionRunsBad).toBeNull();

    const verdicts = await eventually(async () => {
      const e = await decisions(Events.ProductionQaChanged.type);
      return e.length >= 4 ? e : null;
    }, { what: 'production-qa-changed events' });
    expect(verdicts.map((e) => (e.data.bad as { actor: string }[]).map((b) => b.actor))).toEqual([['developer'], ['qa'], ['operator'], []]);
    expect(verdicts.at(-1)!.data).toMatchObject({ productionRevno: fix.revno, productionSha: fix.sha, bad: [] });
  });
});
