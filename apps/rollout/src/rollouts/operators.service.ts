/**
 * What operators do to rollouts and servers: pause, resume and cancel a rollout; put a
 * revision on servers now (a redeploy or a rollback); hold a server out of every rollout;
 * deregister a server that is gone for good.
 */
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { DeployKind } from '@runway/contracts';
import { DomainError, PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { Clock } from './clock';
import { deadlineOf } from './deploy-state';
import { PlannerService } from './planner.service';
import { ProgressService } from './progress.service';
import type { RolloutEntity, RolloutState } from './rollout.entity';
import { RolloutsRepository } from './rollouts.repository';

@Injectable()
export class OperatorsService {
  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(PlannerService) private readonly planner: PlannerService,
    @Inject(ProgressService) private readonly progress: ProgressService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  /** A rollout under its track's lock, taken first as everywhere else. */
  private async lockedRollout(em: EntityManager, id: string): Promise<RolloutEntity> {
    const seen = await this.repo.rollout(em, id);
    if (!seen) throw new DomainError('NOT_FOUND', `no rollout ${id}`);
    await this.repo.lockTrack(em, seen.track);
    return (await this.repo.rolloutForUpdate(em, id))!;
  }

  /** Pausing a deploying rollout holds its track: nothing newer deploys until it is resumed. */
  async pause(id: string, who: string) {
    return this.repo.transaction(async (em) => {
      const r = await this.lockedRollout(em, id);
      if (!['in-progress', 'queued', 'waiting-window', 'blocked', 'preflight'].includes(r.status)) throw new DomainError('CONFLICT', `rollout ${id} is ${r.status}`);
      const paused = { ...r, status: 'paused' as const, pausedFrom: r.status, pausedBy: who };
      await this.repo.saveRollout(em, paused);
      return paused;
    });
  }

  /** Resumes a paused rollout where it was, or sends a blocked one back to wait for its window. */
  async resume(id: string) {
    return this.repo.transaction(async (em) => {
      const r = await this.lockedRollout(em, id);
      if (r.status !== 'paused' && r.status !== 'blocked') throw new DomainError('CONFLICT', `rollout ${id} is ${r.status}`);
      const back: RolloutState =
        r.status === 'blocked' || (r.pausedFrom !== null && ['waiting-window', 'blocked', 'preflight'].includes(r.pausedFrom))
          ? 'waiting-window'
          : r.pausedFrom === 'queued' ? 'queued' : 'in-progress';
      const resumed = { ...r, status: back, pausedFrom: null, pausedBy: null, failure: null };
      await this.repo.saveRollout(em, resumed);
      if (back === 'in-progress') await this.progress.advance(em, id);
      if (back === 'queued') await this.planner.startNext(em, r.track);
      return (await this.repo.rollout(em, id))!;
    });
  }

  /**
   * An operator puts a revision on servers now: the one they run (a redeploy) or an older one
   * (a rollback), on some servers or every production server. Waves, batches, holds and
   * cowboys apply as to any rollout; it goes at once, whatever its kind.
   */
  async manual(dto: { revision: string; hosts?: string[]; kind?: DeployKind; reason: string }, who: string) {
    const id = randomUUID();
    await this.repo.transaction(async (em) => {
      await this.repo.lockTrack(em, 'manual');
      const known = new Set((await this.repo.servers(em)).map((s) => s.host));
      const unknown = (dto.hosts ?? []).filter((h) => !known.has(h));
      if (unknown.length) throw new DomainError('UNPROCESSABLE', `hosts: not registered: ${unknown.join(', ')}`, { fields: [{ field: 'hosts', errors: [`not registered: ${unknown.join(', ')}`] }] });
      const hosts = dto.hosts ? new Set(dto.hosts) : null;
      const now = this.clock.now();
      const rollout: RolloutEntity = {
        id, sourceId: id, cause: 'manual', track: 'manual', hosts: hosts ? [...hosts].sort() : null, toSha: dto.revision, toRevno: null,
        kind: dto.kind ?? 'no-downtime', status: 'queued', batches: 0, currentBatch: 0, scheduledFor: null, failure: null, pausedFrom: null, pausedBy: null,
        cancelledBy: null, skipped: [], revisions: [], createdAt: now, startedAt: null, finishedAt: null,
      };
      await this.repo.insertRollout(em, rollout, dto.reason);
      await this.planner.begin(em, rollout);
      this.logger.info({ rollout: id, revision: dto.revision, hosts: dto.hosts ?? 'production', who, reason: dto.reason }, 'manual rollout');
    });
    return this.rollout(id);
  }

  /**
   * Stops a rollout for good, with a reason: what has not gone out is cancelled, and its track
   * is free for the next. Deploys already running finish on their servers (their reports still
   * say what each server runs); the rollout is not moved on by them.
   */
  async cancel(id: string, who: string, reason: string) {
    return this.repo.transaction(async (em) => {
      const r = await this.lockedRollout(em, id);
      if (['succeeded', 'failed', 'no-servers', 'superseded', 'cancelled'].includes(r.status)) throw new DomainError('CONFLICT', `rollout ${id} is ${r.status}`);
      await this.repo.cancelPending(em, id);
      const cancelled = { ...r, status: 'cancelled' as const, cancelledBy: who, failure: `cancelled by ${who}: ${reason}`, finishedAt: this.clock.now(), pausedFrom: null };
      await this.repo.saveRollout(em, cancelled);
      this.logger.warn({ rolloutId: id, who, reason }, 'rollout cancelled');
      await this.planner.startNext(em, r.track);
      return (await this.repo.rollout(em, id))!;
    });
  }

  /**
   * A server gone for good leaves every rollout: its deploys that have not ended are cancelled, so
   * no batch waits for it, and it no longer counts for convergence or lead time. Its agent
   * registering again brings it back.
   */
  async deregister(host: string, who: string, reason: string) {
    return this.repo.transaction(async (em) => {
      if (!(await this.repo.deregister(em, host, who))) throw new DomainError('NOT_FOUND', `no registered server ${host}`);
      await this.repo.announceServer(em, { host, change: 'deregistered', reason });
      for (const rolloutId of await this.repo.cancelOpenFor(em, host)) await this.progress.advanceIfDue(em, rolloutId);
      this.logger.warn({ host, who, reason }, 'server deregistered');
      return { host, deregisteredBy: who, reason };
    });
  }

  async hold(host: string, reason: string, author: string, until: Date | null) {
    await this.repo.transaction(async (em) => {
      await this.repo.setHold(em, { host, reason, author, until });
      await this.repo.announceServer(em, { host, change: 'held', reason, until: until?.toISOString() });
    });
    return { host, reason, author, until };
  }

  async releaseHold(host: string): Promise<void> {
    await this.repo.transaction(async (em) => {
      if (!(await this.repo.releaseHold(em, host))) throw new DomainError('NOT_FOUND', `no hold on ${host}`);
      await this.repo.announceServer(em, { host, change: 'released' });
    });
  }

  // ---- reading --------------------------------------------------------------------------------------

  rollouts(limit: number) {
    return this.repo.rollouts(limit);
  }

  async rollout(id: string) {
    const r = await this.repo.rollout(null, id);
    if (!r) throw new DomainError('NOT_FOUND', `no rollout ${id}`);
    const deadlineMs = this.env.ROLLOUT_DEPLOY_DEADLINE_SECONDS * 1000;
    const deploys = await this.repo.deploysOf(null, id);
    return { ...r, deploys: deploys.map((d) => ({ ...d, deadlineAt: deadlineOf(d, deadlineMs) })) };
  }
}
