/**
 * Carries rollouts out from what the agents report, and from their silence: a failed server
 * (or one with no report within the deadline) stops its rollout; a batch all done lets the next
 * one go; the last one finishes it, and its track's queued rollout starts. A server that now
 * runs a revision containing its cowboys' fixes has them retired; one an operator's rollout
 * put a revision on by hand is pinned there; a revision every production server now runs is
 * stamped as running everywhere. A track's rollout that succeeded is its new baseline, the
 * revision convergence keeps its servers on. Reports move a deploy forward only.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { type CloudEvent, type DeployReportedV1, Events } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DomainError, PINO_LOGGER } from '@runway/platform';
import { CowboysRepository } from '../cowboys/cowboys.repository';
import { LeadTimeService } from '../lead-time/lead-time.service';
import { Clock } from './clock';
import { nextDeployState, type Progress } from './deploy-state';
import { DispatcherService } from './dispatcher.service';
import { PlannerService } from './planner.service';
import type { DeployEntity, RolloutEntity } from './rollout.entity';
import { RolloutsRepository } from './rollouts.repository';

@Injectable()
export class ProgressService {
  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(DispatcherService) private readonly dispatcher: DispatcherService,
    @Inject(PlannerService) private readonly planner: PlannerService,
    @Inject(CowboysRepository) private readonly cowboys: CowboysRepository,
    @Inject(LeadTimeService) private readonly leadTime: LeadTimeService,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  async onDeployReported(event: CloudEvent<DeployReportedV1>, em: EntityManager): Promise<void> {
    const r = event.data;
    const deploy = await this.repo.deployForUpdate(em, r.deployId);
    if (!deploy) throw new DomainError('NOT_FOUND', `no deploy ${r.deployId}`, undefined, false);
    if (deploy.host !== r.host) throw new DomainError('FORBIDDEN', `deploy ${r.deployId} is for ${deploy.host}, not ${r.host}`, undefined, false);
    const next = nextDeployState(deploy.status, r.status);
    if (next === deploy.status) return;
    await this.repo.setDeployStatus(em, deploy.id, next, r.outputTail);
    if (next === 'succeeded') {
      await this.repo.setRunning(em, r.host, r.revision);
      const rollout = await this.repo.rollout(em, deploy.rolloutId);
      if (rollout?.cause === 'manual' && rollout.hosts) await this.repo.pin(em, r.host, r.revision, this.clock.now());
      if (rollout) await this.retireFixedCowboys(em, rollout, r.host);
      await this.leadTime.markEverywhere(em, this.clock.now());
      await this.advanceIfDue(em, deploy.rolloutId);
    } else if (next === 'failed' || next === 'rolled-back') await this.advance(em, deploy.rolloutId);
  }

  /** A deploy with no report within its deadline has failed: its server is gone, or hangs. */
  async failOverdue(em: EntityManager, deploy: DeployEntity, deadlineS: number): Promise<void> {
    const locked = await this.repo.deployForUpdate(em, deploy.id);
    if (!locked || (locked.status !== 'requested' && locked.status !== 'started')) return;
    await this.repo.setDeployStatus(em, deploy.id, 'failed', `${locked.outputTail ? `${locked.outputTail}\n` : ''}[runway] no report from ${deploy.host} within ${deadlineS} s: failed`);
    this.logger.warn({ host: deploy.host, deployId: deploy.id, rolloutId: deploy.rolloutId }, 'deploy failed: no report within its deadline');
    await this.advance(em, deploy.rolloutId);
  }

  /**
   * Most successes change nothing for their rollout (others in the batch still run), so look
   * before taking the rollout's lock: a thousand reports must not queue on one row. Two last
   * reports committing together each still see the other running; the scheduler's tick
   * catches that batch within a tick.
   */
  async advanceIfDue(em: EntityManager, rolloutId: string): Promise<void> {
    const rollout = await this.repo.rollout(em, rolloutId);
    if (!rollout || rollout.status !== 'in-progress') return;
    const counts = await this.repo.progressCounts(em, rolloutId, rollout.currentBatch);
    if (!counts.failedHost && counts.running > 0) return;
    await this.advance(em, rolloutId);
  }

  /** A server now runs a revision containing its cowboys' fixes (by ancestry): they are retired, and said so. */
  private async retireFixedCowboys(em: EntityManager, rollout: RolloutEntity, host: string): Promise<void> {
    const live = await this.cowboys.live(em, [host]);
    if (live.length === 0) return;
    const decision = (await this.dispatcher.cowboyDecisions(em, [host], rollout.toSha)).get(host);
    if (!decision?.retire.length) return;
    for (const c of live) {
      if (!decision.retire.includes(c.patch_hash)) continue;
      const reason = `its fix ${c.fixed_by!.slice(0, 10)} is in ${rollout.toSha.slice(0, 10)}, which now runs on ${host}`;
      await this.cowboys.retire(em, c.id, reason, rollout.toSha);
      await this.outbox.enqueue(em, Events.CowboyRemoved, { host, patchHash: c.patch_hash, reason, retiredByRevision: rollout.toSha });
      this.logger.info({ host, patchHash: c.patch_hash }, 'cowboy retired');
    }
  }

  /** Moves a rollout on from what its deploys say; once it has ended, its track's queued rollout starts. */
  async advance(em: EntityManager, rolloutId: string): Promise<void> {
    const seen = await this.repo.rollout(em, rolloutId);
    if (!seen || (seen.status !== 'in-progress' && seen.status !== 'paused')) return;
    await this.repo.lockTrack(em, seen.track);
    const rollout = await this.repo.rolloutForUpdate(em, rolloutId);
    if (!rollout || (rollout.status !== 'in-progress' && rollout.status !== 'paused')) return;
    const counts = await this.repo.progressCounts(em, rollout.id, rollout.currentBatch);
    const progress: Progress = counts.failedHost
      ? { kind: 'failed', deploy: (await this.repo.failedDeploy(em, rollout.id, counts.failedHost))! }
      : counts.running > 0
        ? { kind: 'batch-running' }
        : { kind: 'batch-done', next: counts.next };
    if (progress.kind === 'failed') {
      const d = progress.deploy;
      await this.repo.cancelPending(em, rollout.id);
      await this.repo.saveRollout(em, {
        ...rollout, status: 'failed', finishedAt: this.clock.now(),
        failure: `${d.host}: ${d.status}${d.outputTail ? `\n${d.outputTail.slice(-2000)}` : ''}`,
      });
      this.logger.warn({ rolloutId, host: d.host, status: d.status }, 'rollout stopped: a server failed');
      await this.planner.startNext(em, rollout.track);
      return;
    }
    if (progress.kind === 'batch-running' || rollout.status === 'paused') return;
    if (progress.next === null) {
      const at = this.clock.now();
      await this.repo.saveRollout(em, { ...rollout, status: 'succeeded', finishedAt: at });
      // What a whole track (or an operator, for all of production) rolled out is what its servers converge on.
      if (!rollout.hosts && rollout.cause !== 'catch-up') await this.repo.setBaseline(em, rollout.track === 'manual' ? 'promoted' : rollout.track, rollout.toSha, rollout.id, at);
      await this.planner.startNext(em, rollout.track);
      return;
    }
    await this.dispatcher.dispatch(em, rollout, progress.next);
  }
}
