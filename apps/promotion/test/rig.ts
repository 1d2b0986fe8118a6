/**
 * A promotion service (or replicas of it) in-process against a real git remote, Postgres and
 * NATS JetStream, for promotion's integration tests: commits on stable, approvals and other
 * events published as qa-gate would, and what production-stable did, read back from the remote
 * and the API. Every rig has its own remote, database and namespace.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type CloudEvent, durableName, type EventDefinition, Events, type PromotedV1, type QaPassedV1, Subjects } from '@runway/contracts';
import { type RunningService, startService } from '@runway/platform';
import {
  apiClient, type ApiClient, createIsolatedDatabase, dropNamespace, eventually, type IsolatedDatabase, serviceTestEnv, TEST_ADMIN_TOKEN, uniqueNamespace,
} from '@runway/testing';
import { promotion } from '../src/definition';
import { PromotionsService } from '../src/promotions/promotions.service';
import { GitFixture } from '@runway/testing';

export interface Commit {
  sha: string;
  revno: number;
}

export interface PromotionRow {
  id: string;
  fromSha: string | null;
  toSha: string;
  toRevno: number | null;
  pushedSha: string | null;
  kind: 'fast-forward' | 'merge' | 'adopted' | 'record-only';
  cause: 'qa-passed' | 'security-fix' | 'manual';
  revisions: { sha: string; revno?: number; db: boolean }[];
  containsDb: boolean;
  deployKind: 'no-downtime' | 'downtime';
  forced: boolean;
  reason: string | null;
  requestedBy: string;
  createdAt: string;
}

interface ApprovalOptions {
  /** qa-gate's decision number. */
  seq?: number;
  id?: string;
  range?: Commit[];
  db?: Commit[];
  previous?: Commit;
}

export const PRODUCTION = 'production-stable';

export class Rig {
  readonly repo = new GitFixture();
  readonly services: RunningService[] = [];
  readonly mirrors: string[] = [];
  db!: IsolatedDatabase;
  ns!: string;
  /** Where production-stable was when the rig started. */
  start!: string;
  nc!: NatsConnection;
  api!: ApiClient;
  private files = 0;

  static async start(opts: { env?: Record<string, string>; replicas?: number } = {}): Promise<Rig> {
    const rig = new Rig();
    try {
      // The remote keeps a reflog, so every value production-stable takes from now on is seen.
      execFileSync('git', ['--git-dir', rig.repo.remote, 'config', 'core.logAllRefUpdates', 'always']);
      rig.start = rig.repo.remoteRef(PRODUCTION);
      rig.db = await createIsolatedDatabase();
      rig.ns = uniqueNamespace();
      rig.nc = await connect({ servers: process.env.NATS_URL! });
      for (let i = 0; i < (opts.replicas ?? 1); i++) {
        const mirror = join(rig.repo.root, `promotion-mirror-${i}`);
        rig.mirrors.push(mirror);
        rig.services.push(
          await startService(promotion, serviceTestEnv(rig.db, rig.ns, {
            PROMOTION_GIT_REMOTE: rig.repo.remote, PROMOTION_GIT_WORKDIR: mirror, PROMOTION_RETRY_SECONDS: '1', ...opts.env,
          })),
        );
      }
      rig.api = apiClient(rig.services[0].url, TEST_ADMIN_TOKEN);
      rig.repo.checkout('stable');
      return rig;
    } catch (e) {
      await rig.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    for (const s of this.services) await s.close().catch(() => undefined);
    await this.nc?.close().catch(() => undefined);
    if (this.ns) await dropNamespace(process.env.NATS_URL!, this.ns).catch(() => undefined);
    await this.db?.drop().catch(() => undefined);
    this.repo.remove();
  }

  /** A new commit on stable, pushed; its revno is its first-parent position on stable. */
  land(message = 'Change', files?: Record<string, string>): Commit {
    this.repo.checkout('stable');
    const n = ++this.files;
    const sha = this.repo.commit(`${message} ${n}`, files ?? { [`lib/feature_${n}.py`]: `FEATURE = ${n}\n` });
    this.repo.push('stable');
    return { sha, revno: Number(this.repo.git('rev-list', '--count', '--first-parent', sha)) };
  }

  /** qa-passed as qa-gate sends it: `range` is what became deployable (just `c` by default), `db` the DB revisions in it. */
  qaPassed(c: Commit, opts: ApprovalOptions = {}): CloudEvent<QaPassedV1> {
    const db = new Set((opts.db ?? []).map((x) => x.sha));
    const range = (opts.range ?? [c]).map((r) => ({ sha: r.sha, revno: r.revno, db: db.has(r.sha) }));
    return {
      specversion: '1.0', id: opts.id ?? randomUUID(), source: 'qa-gate-test', type: Events.QaPassed.type, time: new Date().toISOString(),
      datacontenttype: 'application/json', correlationid: randomUUID(),
      data: { branch: 'stable', sha: c.sha, revno: c.revno, previousSha: opts.previous?.sha, range, containsDbRevision: range.some((r) => r.db), seq: opts.seq },
    } as CloudEvent<QaPassedV1>;
  }

  /** Publishes on JetStream without a message id, so only the consumer's inbox can tell a repeat. */
  async publish(event: CloudEvent<QaPassedV1>): Promise<void> {
    await jetstream(this.nc).publish(new Subjects(this.ns).event(Events.QaPassed.type, 'stable'), JSON.stringify(event));
  }

  async approve(c: Commit, opts: ApprovalOptions = {}): Promise<void> {
    await this.publish(this.qaPassed(c, opts));
  }

  /** Publishes any event about the QA branch, as qa-gate would, and waits until promotion has handled it. */
  async send<T extends object>(def: EventDefinition<T>, data: T): Promise<void> {
    const subjects = new Subjects(this.ns);
    const event = {
      specversion: '1.0', id: randomUUID(), source: 'qa-gate-test', type: def.type, time: new Date().toISOString(), datacontenttype: 'application/json',
      correlationid: randomUUID(), data,
    };
    await jetstream(this.nc).publish(subjects.event(def.type, def.key(data)), JSON.stringify(event));
    const jsm = await jetstreamManager(this.nc);
    await eventually(async () => {
      const info = await jsm.consumers.info(subjects.streamOf(def.type), durableName(promotion.name, def.type));
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, { what: `${def.name} handled`, timeoutMs: 15_000 });
  }

  /** True once every qa-passed published so far has been handled and acknowledged. */
  async approvalsHandled(): Promise<boolean> {
    const subjects = new Subjects(this.ns);
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.consumers.info(subjects.streamOf(Events.QaPassed.type), durableName(promotion.name, Events.QaPassed.type));
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }

  async waitHandled(): Promise<void> {
    await eventually(() => this.approvalsHandled(), { what: 'every approval handled', timeoutMs: 15_000 });
  }

  /** GET /promotions, oldest first. */
  async promotions(): Promise<PromotionRow[]> {
    const res = await this.api.get('/promotions?limit=1000');
    expect(res.status).toBe(200);
    return (res.body as PromotionRow[]).slice().reverse();
  }

  async status() {
    const res = await this.api.get('/status');
    expect(res.status).toBe(200);
    return res.body;
  }

  head(): string {
    return this.repo.remoteRef(PRODUCTION);
  }

  /** Every value production-stable took in the remote since the rig started, oldest first. */
  remoteHistory(): string[] {
    const log = execFileSync('git', ['--git-dir', this.repo.remote, 'log', '-g', '--format=%H', `refs/heads/${PRODUCTION}`], { encoding: 'utf8' });
    return [this.start, ...log.split('\n').filter(Boolean).reverse()];
  }

  /** Asserts production-stable only ever moved forward in the remote. */
  expectRemoteOnlyForward(): string[] {
    const history = this.remoteHistory();
    for (let i = 1; i < history.length; i++) {
      const [prev, next] = [history[i - 1], history[i]];
      expect({ step: i, prev, next, forward: prev !== next && this.repo.isAncestor(prev, next) }).toEqual({ step: i, prev, next, forward: true });
    }
    return history;
  }

  /** Waits until a recorded promotion matches (a move is pushed before its record commits). */
  async waitPromotion(what: string, match: (p: PromotionRow) => boolean): Promise<PromotionRow> {
    return eventually(async () => (await this.promotions()).find(match), { what, timeoutMs: 15_000 });
  }

  /** Every event of a type about production-stable in the namespace's stream, in stream order (read by sequence: the server may predate filtered consumers). */
  async events<T>(type: string): Promise<CloudEvent<T>[]> {
    const subjects = new Subjects(this.ns);
    const jsm = await jetstreamManager(this.nc);
    const stream = subjects.streamOf(type);
    const subject = subjects.event(type, PRODUCTION);
    const { state } = await jsm.streams.info(stream);
    const out: CloudEvent<T>[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m?.subject === subject) out.push(m.json<CloudEvent<T>>());
    }
    return out;
  }

  promotedEvents(): Promise<CloudEvent<PromotedV1>[]> {
    return this.events<PromotedV1>(Events.Promoted.type);
  }

  service(i = 0): PromotionsService {
    return this.services[i].app.get(PromotionsService);
  }
}

export async function withRig(opts: { env?: Record<string, string>; replicas?: number }, body: (rig: Rig) => Promise<void>): Promise<void> {
  const rig = await Rig.start(opts);
  try {
    await body(rig);
  } finally {
    await rig.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Promotions in the order production-stable took them, by following each one's `fromSha` to
 * the previous one's `pushedSha` from where Runway found the branch; asserts that this is one
 * unbroken chain (no two moves started from the same place, none left over).
 */
export function inMoveOrder(promotions: PromotionRow[]): PromotionRow[] {
  const roots = promotions.filter((p) => p.fromSha === null);
  expect(roots).toEqual([expect.objectContaining({ kind: 'adopted' })]);
  const byFrom = new Map<string, PromotionRow[]>();
  for (const p of promotions) if (p.fromSha) byFrom.set(p.fromSha, [...(byFrom.get(p.fromSha) ?? []), p]);
  expect([...byFrom.entries()].filter(([, ps]) => ps.length > 1)).toEqual([]);
  const out = [roots[0]];
  for (let next = byFrom.get(out[0].pushedSha!); next && out.length <= promotions.length; next = byFrom.get(out[out.length - 1].pushedSha!)) out.push(next[0]);
  expect(out.map((p) => p.id).sort()).toEqual(promotions.map((p) => p.id).sort());
  return out;
}

