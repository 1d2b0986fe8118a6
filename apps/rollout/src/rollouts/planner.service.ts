/**
 * Turns each promotion into a rollout over the production servers, and each move of the QA
 * tip into one over the QA environments; and, for the reconciler, servers that fell behind
 * into a catch-up rollout of their own. A rollout arrives at its track (see track.ts), takes
 * the place of what has not started, and is planned when it begins over the servers it is for,
 * as they are then, by wave and batch. Then it waits for its downtime window or cadence slot,
 * or sends its first batch. Where each revision stands (positions) is learnt here too, from
 * the promotions and QA tips that name them.
 */
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type CloudEvent, type DeployKind, type PromotedV1, type QaTipMovedV1 } from '@runway/contracts';
import { RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { LeadTimeRepository } from '../lead-time/lead-time.repository';
import { PositionsRepository } from '../positions/positions.repository';
import { Clock } from './clock';
import { DispatcherService } from './dispatcher.service';
import { type Cadence, type DowntimeWindow, nextCadenceSlot, nextWindowOpening, parseCadence, parseDowntimeWindow, planRollout } from './planning';
import type { DeployEntity, RolloutEntity, RolloutTrack, ServerEntity } from './rollout.entity';
import { RolloutsRepository } from './rollouts.repository';
import { arrive, isTrack, NOT_STARTED_STATES, notStarted, type Track } from './track';

@Injectable()
export class PlannerService {
  readonly window: DowntimeWindow;
  private readonly cadence: Cadence;

  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(DispatcherService) private readonly dispatcher: DispatcherService,
    @Inject(PositionsRepository) private readonly positions: PositionsRepository,
    @Inject(LeadTimeRepository) private readonly leadTime: LeadTimeRepository,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
    @Inject(Clock) private readonly clock: Clock,
  ) {
    this.window = parseDowntimeWindow(env.ROLLOUT_DOWNTIME_WINDOW);
    this.cadence = parseCadence(env.ROLLOUT_CADENCE);
  }

  /** Production servers follow production-stable. */
  async onPromoted(event: CloudEvent<PromotedV1>, em: EntityManager): Promise<void> {
    const p = event.data;
    const fixes = p.cause === 'security-fix' ? p.revisions.map((r) => r.sha) : [];
    // What QA approved stands on the QA branch at its revno, landing events or not.
    if (p.cause !== 'security-fix') {
      // A revision listed without its revno is at least in the head: contained from the head's revno on.
      for (const r of p.revisions) if (r.revno ?? p.toRevno) await this.positions.landed(em, r.sha, (r.revno ?? p.toRevno)!);
      if (p.toRevno) await this.positions.landed(em, p.toSha, p.toRevno);
    }
    await this.positions.promoted(em, p.branch, p.toSha, p.cause === 'security-fix' ? null : (p.toRevno ?? null), fixes);
    await this.leadTime.mark(em, 'promoted_at', p.revisions, new Date(event.time));
    await this.arrive(em, {
      sourceId: p.promotionId, cause: 'promoted', sha: p.toSha, revno: p.toRevno ?? null, kind: p.deployKind, revisions: p.revisions.map((r) => r.sha),
    });
  }

  /** The QA environments follow the tip of the QA branch, after every landing, with no one asked. */
  async onQaTipMoved(event: CloudEvent<QaTipMovedV1>, em: EntityManager): Promise<void> {
    const t = event.data;
    await this.positions.landed(em, t.sha, t.revno);
    await this.arrive(em, {
      sourceId: event.id, cause: 'qa-tip', sha: t.sha, revno: t.revno, kind: t.containsDbRevision ? 'downtime' : 'no-downtime', revisions: [],
    });
  }

  /** A new rollout, queued, on its track. */
  private queued(a: { sourceId: string; cause: RolloutEntity['cause']; track: RolloutTrack; sha: string; revno: number | null; kind: DeployKind; revisions: string[]; hosts: string[] | null }): RolloutEntity {
    return {
      id: randomUUID(), sourceId: a.sourceId, cause: a.cause, track: a.track, hosts: a.hosts, toSha: a.sha, toRevno: a.revno, kind: a.kind, status: 'queued',
      batches: 0, currentBatch: 0, scheduledFor: null, failure: null, pausedFrom: null, pausedBy: null, cancelledBy: null, skipped: [], revisions: [...a.revisions],
      createdAt: this.clock.now(), startedAt: null, finishedAt: null,
    };
  }

  /**
   * A promotion or a QA tip arrives at its track (see track.ts): once per source; deploying
   * nothing if it is older than one already planned; taking the place of whatever has not
   * started yet; then starting at once, or queued while the track's current rollout deploys.
   */
  private async arrive(em: EntityManager, a: { sourceId: string; cause: Track; sha: string; revno: number | null; kind: DeployKind; revisions: string[] }): Promise<void> {
    await this.repo.lockTrack(em, a.cause);
    if (await this.repo.rolloutFor(em, a.sourceId)) return;
    const now = this.clock.now();
    const arrival = arrive(a.revno, await this.repo.newestRevno(em, a.cause), await this.repo.trackHeld(em, a.cause));
    const rollout = this.queued({ ...a, track: a.cause, hosts: null });
    if (arrival.kind === 'stale') {
      // Events can arrive out of order (one redelivered after a replica died holding it). An older
      // promotion or QA tip than one already planned must never send servers backwards: it is
      // recorded, superseded on arrival, and deploys nothing. Going back is an operator's act (POST /rollouts).
      await this.repo.insertRollout(em, {
        ...rollout, status: 'superseded', failure: `arrived after r${arrival.newest} was already planned: nothing to deploy`, finishedAt: now,
      });
      return;
    }
    await this.takeOver(em, rollout);
    await this.repo.insertRollout(em, rollout);
    if (arrival.kind === 'start') await this.begin(em, rollout);
  }

  /**
   * Servers of a track that fell behind, or drifted, get a rollout of their own to `target`
   * (cause `catch-up`). The caller holds the track's lock and has seen the track free.
   */
  async catchUp(em: EntityManager, track: Track, hosts: string[], target: string): Promise<RolloutEntity> {
    const content = await this.positions.content(em, target);
    const rollout = this.queued({
      sourceId: randomUUID(), cause: 'catch-up', track, sha: target, revno: content?.stableRevno ?? null, kind: 'no-downtime', revisions: [], hosts: [...hosts].sort(),
    });
    await this.repo.insertRollout(em, rollout);
    await this.begin(em, rollout);
    return rollout;
  }

  /**
   * A newer rollout takes the place of every rollout of its track that has not started,
   * carrying their ranges (in order, for lead time) and their downtime, so a DB change never
   * ships outside the window. That includes one an operator paused while it waited, one
   * blocked by its preflight while the newer one queued behind it, and a catch-up still queued
   * (the newer rollout is for every server of the track).
   */
  private async takeOver(em: EntityManager, newer: RolloutEntity): Promise<void> {
    const now = this.clock.now();
    const older = (await this.repo.rolloutsIn(em, NOT_STARTED_STATES, newer.track)).filter((r) => r.id !== newer.id && notStarted(r));
    for (const r of older) {
      if (r.kind === 'downtime') newer.kind = 'downtime';
      await this.repo.saveRollout(em, { ...r, status: 'superseded', finishedAt: now, failure: `superseded by ${newer.toSha.slice(0, 10)}` });
      await this.repo.cancelPending(em, r.id);
    }
    newer.revisions = [...older.flatMap((r) => r.revisions), ...newer.revisions];
  }

  /** Which servers a rollout is for: the hosts it names, else its track's (an operator's rollout without hosts: production). */
  private wanted(r: RolloutEntity): (s: ServerEntity) => boolean {
    if (r.hosts) {
      const hosts = new Set(r.hosts);
      return (s) => hosts.has(s.host);
    }
    return r.track === 'qa-tip' ? (s) => this.env.isQaEnvironment(s.environment) : (s) => !this.env.isQaEnvironment(s.environment);
  }

  /**
   * Plans a rollout over the servers it is for, as they are now, by wave and batch; whether each
   * is held or reachable is decided as its batch goes out. Then it waits for its downtime window
   * or cadence slot, or sends its first batch.
   */
  async begin(em: EntityManager, queued: RolloutEntity): Promise<void> {
    const now = this.clock.now();
    const servers = (await this.repo.servers(em)).filter(this.wanted(queued));
    const plan = planRollout(servers.map((s) => ({ host: s.host, environment: s.environment, wave: s.wave })), this.env.waveOrder, this.env.ROLLOUT_BATCH_SIZE);
    const running = new Map(servers.map((s) => [s.host, s.runningRevision]));
    const deploys: DeployEntity[] = plan.deploys.map((d) => ({
      id: randomUUID(), rolloutId: queued.id, host: d.host, batch: d.batch, wave: d.wave, revision: queued.toSha, previousRevision: running.get(d.host) ?? null,
      status: 'pending', outputTail: null, requestedAt: now, updatedAt: now,
    }));
    const production = queued.cause === 'promoted' && deploys.length > 0;
    const downtime = production && queued.kind === 'downtime';
    const slot = production && !downtime ? nextCadenceSlot(this.cadence, now, await this.repo.lastProductionStart(em)) : now;
    const waits = downtime || slot.getTime() > now.getTime();
    const rollout: RolloutEntity = {
      ...queued, status: deploys.length === 0 ? 'no-servers' : waits ? 'waiting-window' : 'in-progress',
      batches: plan.batches, currentBatch: 0, scheduledFor: downtime ? nextWindowOpening(this.window, now) : waits ? slot : null,
      skipped: [], finishedAt: deploys.length ? null : now,
    };
    await this.repo.saveRollout(em, rollout);
    await this.repo.insertDeploys(em, deploys);
    if (rollout.status === 'in-progress') await this.dispatcher.dispatch(em, rollout, 0);
  }

  /** The track is free: its newest queued rollout, if any, takes over what waits and starts. The caller holds the track's lock. */
  async startNext(em: EntityManager, track: RolloutTrack): Promise<void> {
    if (!isTrack(track) || (await this.repo.trackHeld(em, track))) return;
    const next = (await this.repo.rolloutsIn(em, ['queued'], track)).pop();
    if (!next) return;
    await this.takeOver(em, next);
    await this.begin(em, next);
  }
}
