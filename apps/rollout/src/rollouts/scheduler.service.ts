/**
 * The scheduler, on every replica each tick. It opens downtime windows and cadence slots (a
 * downtime rollout runs its preflight first, and goes only if it passes), fails deploys that
 * outlived their deadline, finishes batches whose last two reports committed together, starts
 * a queued rollout whose track is free, and lets the reconciler catch servers up.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import { parseNames, runCommand } from '@runway/platform/command';
import type { RolloutEnv } from '../config';
import { Clock } from './clock';
import { DispatcherService } from './dispatcher.service';
import { nextWindowOpening, windowOpen } from './planning';
import { PlannerService } from './planner.service';
import { ProgressService } from './progress.service';
import { ReconcilerService } from './reconciler.service';
import type { RolloutEntity } from './rollout.entity';
import { RolloutsRepository } from './rollouts.repository';

@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(PlannerService) private readonly planner: PlannerService,
    @Inject(DispatcherService) private readonly dispatcher: DispatcherService,
    @Inject(ProgressService) private readonly progress: ProgressService,
    @Inject(ReconcilerService) private readonly reconciler: ReconcilerService,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const loop = () => {
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        this.timer = setTimeout(loop, this.env.ROLLOUT_TICK_MS);
        this.timer.unref();
      });
    };
    this.timer = setTimeout(loop, this.env.ROLLOUT_TICK_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  /**
   * The scheduler, on every replica each tick. It opens windows and cadence slots: a due
   * downtime rollout is claimed (status `preflight`, under its track's lock, so one replica
   * wins), its preflight runs outside any transaction, and the outcome applies only if the
   * rollout is still the one claimed: an operator's pause, or a newer promotion superseding it
   * meanwhile, wins. A claim left by a process that died is taken back after ten minutes. It
   * also finishes batches whose last two reports committed together, and starts a queued
   * rollout whose track is free.
   */
  async tick(): Promise<void> {
    try {
      for (const seen of await this.repo.rolloutsIn(this.repo.manager, ['waiting-window', 'preflight'])) {
        const claimed = await this.repo.transaction((em) => this.openWindow(em, seen));
        if (claimed) await this.runPreflight(claimed);
      }
      // Deadlines run on real time, as the database stamps when a deploy went out.
      const deadlineS = this.env.ROLLOUT_DEPLOY_DEADLINE_SECONDS;
      for (const d of await this.repo.overdueDeploys(this.repo.manager, new Date(Date.now() - deadlineS * 1000))) {
        await this.repo.transaction((em) => this.progress.failOverdue(em, d, deadlineS));
      }
      for (const rollout of await this.repo.rolloutsIn(this.repo.manager, ['in-progress'])) {
        await this.repo.transaction((em) => this.progress.advanceIfDue(em, rollout.id));
      }
      for (const track of new Set((await this.repo.rolloutsIn(this.repo.manager, ['queued'])).map((r) => r.track))) {
        await this.repo.transaction(async (em) => {
          await this.repo.lockTrack(em, track);
          await this.planner.startNext(em, track);
        });
      }
      await this.reconciler.reconcile();
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'rollout scheduler tick failed');
    }
  }

  /** A waiting rollout whose slot has come goes; a downtime one in its window is claimed for preflight (returned). */
  private async openWindow(em: EntityManager, seen: RolloutEntity): Promise<RolloutEntity | null> {
    await this.repo.lockTrack(em, seen.track);
    const rollout = await this.repo.rolloutForUpdate(em, seen.id);
    const now = this.clock.now();
    if (rollout?.status === 'preflight') {
      if (now.getTime() - (rollout.scheduledFor?.getTime() ?? 0) > 10 * 60_000 + this.planner.window.minutes * 60_000) {
        await this.repo.saveRollout(em, { ...rollout, status: 'waiting-window' });
      }
      return null;
    }
    if (rollout?.status !== 'waiting-window') return null;
    if (rollout.kind !== 'downtime') {
      // A no-downtime rollout waiting for its cadence slot: no window, no preflight.
      if (rollout.scheduledFor && rollout.scheduledFor.getTime() > now.getTime()) return null;
      const going = { ...rollout, status: 'in-progress' as const };
      await this.repo.saveRollout(em, going);
      await this.dispatcher.dispatch(em, going, 0);
      return null;
    }
    if (!windowOpen(this.planner.window, now)) {
      const opens = nextWindowOpening(this.planner.window, now);
      if (rollout.scheduledFor?.getTime() !== opens.getTime()) await this.repo.saveRollout(em, { ...rollout, scheduledFor: opens });
      return null;
    }
    const claim = { ...rollout, status: 'preflight' as const };
    await this.repo.saveRollout(em, claim);
    return claim;
  }

  private async runPreflight(rollout: RolloutEntity): Promise<void> {
    const preflight = await this.preflight(rollout);
    await this.repo.transaction(async (em) => {
      await this.repo.lockTrack(em, rollout.track);
      const current = await this.repo.rolloutForUpdate(em, rollout.id);
      if (current?.status !== 'preflight') return; // paused or superseded while the preflight ran
      if (!preflight.ok) {
        await this.repo.saveRollout(em, { ...current, status: 'blocked', failure: `preflight failed: ${preflight.output}` });
        this.logger.warn({ rolloutId: rollout.id }, 'downtime rollout blocked: preflight failed');
        // A newer promotion queued behind it now takes its place, and its DB change with it.
        await this.planner.startNext(em, current.track);
        return;
      }
      const going = { ...current, status: 'in-progress' as const, failure: null };
      await this.repo.saveRollout(em, going);
      await this.dispatcher.dispatch(em, going, 0);
    });
  }

  /**
   * Runs the configured preflight; anything but exit 0 within two minutes blocks (fails
   * closed). It sees the rollout's variables and the names ROLLOUT_PREFLIGHT_ENV lists, never
   * rollout's database URL, tokens or NATS credentials.
   */
  private async preflight(rollout: RolloutEntity): Promise<{ ok: boolean; output: string }> {
    const command = this.env.ROLLOUT_PREFLIGHT_COMMAND;
    if (!command) return { ok: true, output: '' };
    const r = await runCommand(
      command, { RUNWAY_REVISION: rollout.toSha, RUNWAY_DEPLOY_KIND: rollout.kind, RUNWAY_ROLLOUT_ID: rollout.id }, 120_000, undefined,
      parseNames(this.env.ROLLOUT_PREFLIGHT_ENV),
    );
    return { ok: r.ok, output: r.tail.trim().slice(-4000) || `exit ${r.code}` };
  }

}
