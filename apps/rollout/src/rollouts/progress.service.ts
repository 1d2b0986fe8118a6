/**
 * Carries rollouts out from what the agents report: a failed server stops its rollout (the
 * agent has rolled it back); a batch all succeeded lets the next one go; the last one finishes
 * it, and its track's queued rollout starts. A server that now runs a revision containing its
 * cowboys' fixes has them retired. Reports move a deploy forward only.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { type CloudEvent, type DeployReportedV1, Events } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DomainError, PINO_LOGGER } from '@runway/platform';
import { CowboysRepository } from '../cowboys/cowboys.repository';
import { LeadTimeRepository } from '../lead-time/lead-time.repository';
import { nextDeployState, type Progress } from './deploy-state';
import { DispatcherService } from './dispatcher.service';
import { PlannerService } from './planner.service';
import { RolloutsRepository } from './rollouts.repository';

@Injectable()
export class ProgressService {
  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(DispatcherService) private readonly dispatcher: DispatcherService,
    @Inject(PlannerService) private readonly planner: PlannerService,
    @Inject(CowboysRepository) private readonly cowboys: CowboysRepository,
    @Inject(LeadTimeRepository) private readonly leadTime: LeadTimeRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
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
      await this.retireFixedCowboys(em, deploy.rolloutId, r.host);
    }
    if (next === 'succeeded') await this.advanceIfDue(em, deploy.rolloutId);
    else if (next === 'failed' || next === 'rolled-back') await this.advance(em, deploy.rolloutId);
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

  /** A server now runs a revision containing its cowboys' fixes: they are retired, and said so. */
  private async retireFixedCowboys(em: EntityManager, rolloutId: string, host: string): Promise<void> {
    if ((await this.cowboys.live(em, [host])).length === 0) return;
    const rollout = await this.repo.rollout(em, rolloutId);
    if (!rollout) return;
    const decision = (await this.dispatcher.cowboyDecisions(em, [host], [...rollout.revisions, rollout.toSha])).get(host);
    if (!decision?.retire.length) return;
    for (const c of await this.cowboys.live(em, [host])) {
      if (!decision.retire.includes(c.patch_hash)) continue;
      const reason = `its fix ${c.fixed_by!.slice(0, 10)} now runs on ${host}`;
      await this.cowboys.retire(em, c.id, reason, rollout.toSha);
      await this.outbox.enqueue(em, Events.CowboyRemoved, { host, patchHash: c.patch_hash, reason, retiredByRevision: rollout.toSha });
      this.logger.info({ host, patchHash: c.patch_hash }, 'cowboy retired');
    }
  }

  /** Moves a rollout on from what its deploys say; once it has ended, its track's queued rollout starts. */
  async advance(em: EntityManager, rolloutId: string): Promise<void> {
    const seen = await this.repo.rollout(em, rolloutId);
    if (!seen || (seen.status !== 'in-progress' && seen.status !== 'paused')) return;
    await this.repo.lockTrack(em, seen.cause);
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
        ...rollout, status: 'failed', finishedAt: new Date(),
        failure: `${d.host}: ${d.status}${d.outputTail ? `\n${d.outputTail.slice(-2000)}` : ''}`,
      });
      this.logger.warn({ rolloutId, host: d.host, status: d.status }, 'rollout stopped: a server failed');
      await this.planner.startNext(em, rollout.cause);
      return;
    }
    if (progress.kind === 'batch-running' || rollout.status === 'paused') return;
    if (progress.next === null) {
      const at = new Date();
      await this.repo.saveRollout(em, { ...rollout, status: 'succeeded', finishedAt: at });
      if (rollout.cause === 'promoted') await this.leadTime.mark(em, 'deployed_at', rollout.revisions.map((sha) => ({ sha })), at);
      await this.planner.startNext(em, rollout.cause);
      return;
    }
    await this.dispatcher.dispatch(em, rollout, progress.next);
  }
}
