/**
 * The scheduler, on every replica each tick. It opens downtime windows and cadence slots (a
 * downtime rollout runs its preflight first, and goes only if it passes), finishes batches
 * whose last two reports committed together, and starts a queued rollout whose track is free.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { spawn } from 'node:child_process';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { Clock } from './clock';
import { DispatcherService } from './dispatcher.service';
import { nextWindowOpening, windowOpen } from './planning';
import { PlannerService } from './planner.service';
import { ProgressService } from './progress.service';
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
      for (const rollout of await this.repo.rolloutsIn(this.repo.manager, ['in-progress'])) {
        await this.repo.transaction((em) => this.progress.advanceIfDue(em, rollout.id));
      }
      for (const cause of new Set((await this.repo.rolloutsIn(this.repo.manager, ['queued'])).map((r) => r.cause))) {
        await this.repo.transaction(async (em) => {
          await this.repo.lockTrack(em, cause);
          await this.planner.startNext(em, cause);
        });
      }
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'rollout scheduler tick failed');
    }
  }

  /** A waiting rollout whose slot has come goes; a downtime one in its window is claimed for preflight (returned). */
  private async openWindow(em: EntityManager, seen: RolloutEntity): Promise<RolloutEntity | null> {
    await this.repo.lockTrack(em, seen.cause);
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
      await this.repo.lockTrack(em, rollout.cause);
      const current = await this.repo.rolloutForUpdate(em, rollout.id);
      if (current?.status !== 'preflight') return; // paused or superseded while the preflight ran
      if (!preflight.ok) {
        await this.repo.saveRollout(em, { ...current, status: 'blocked', failure: `preflight failed: ${preflight.output}` });
        this.logger.warn({ rolloutId: rollout.id }, 'downtime rollout blocked: preflight failed');
        // A newer promotion queued behind it now takes its place, and its DB change with it.
        await this.planner.startNext(em, current.cause);
        return;
      }
      const going = { ...current, status: 'in-progress' as const, failure: null };
      await this.repo.saveRollout(em, going);
      await this.dispatcher.dispatch(em, going, 0);
    });
  }

  /** Runs the configured preflight; anything but exit 0 within two minutes blocks (fails closed). */
  private preflight(rollout: RolloutEntity): Promise<{ ok: boolean; output: string }> {
    const command = this.env.ROLLOUT_PREFLIGHT_COMMAND;
    if (!command) return Promise.resolve({ ok: true, output: '' });
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], {
        env: { ...process.env, RUNWAY_REVISION: rollout.toSha, RUNWAY_DEPLOY_KIND: rollout.kind, RUNWAY_ROLLOUT_ID: rollout.id },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (b: Buffer) => (output = (output + b.toString('utf8')).slice(-4000));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ ok: false, output: e.message });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ ok: code === 0, output: output.trim() || `exit ${code}` });
      });
    });
  }
}
