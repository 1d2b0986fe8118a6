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

  /** Every qa-passed about stable in this namespace's stream, oldest first. */
  async function qaPassedEvents(): Promise<CloudEvent<QaPassedV1>[]> {
    const subjects = new Subjects(gate.ns);
    const subject = subjects.event(Events.QaPassed.type, 'stable');
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(subjects.eventStream);
    const out: CloudEvent<QaPassedV1>[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(subjects.eventStream, { seq }).catch(() => null);
      if (m?.subject === subject) out.push(JSON.parse(new TextDecoder().decode(m.data)) as CloudEvent<QaPassedV1>);
    }
    return out;
  }

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
      { branch: 'stable', sha: r[42].sha, revno: 42, range: [ref(41), ref(42)], rangeCount: 2, containsDbRevision: false },
      { branch: 'stable', sha: r[46].sha, revno: 46, previousSha: r[42].sha, range: [ref(43), ref(44), ref(45), ref(46)], rangeCount: 4, containsDbRevision: false },
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
