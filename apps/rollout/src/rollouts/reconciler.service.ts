/**
 * Keeps servers converged (see convergence.ts). Each tick, for each track that is free (no
 * rollout of it queued, waiting or deploying), under the track's lock so one replica acts: the
 * servers that fell behind its baseline or drifted from what Runway put there, and can be
 * deployed now (reachable, unheld, no cowboy holding them, no rollout on its way, no recent
 * failure to reach that revision), get a catch-up rollout. Drift is recorded with its start, for
 * GET /servers. Then what runs everywhere is stamped for lead time.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { LeadTimeService } from '../lead-time/lead-time.service';
import { PositionsRepository } from '../positions/positions.repository';
import { Clock } from './clock';
import { catchUps, type ConvergeServer, drifted } from './convergence';
import { DispatcherService } from './dispatcher.service';
import { PlannerService } from './planner.service';
import { RolloutsRepository } from './rollouts.repository';
import { ServersService } from './servers.service';
import { type Track, TRACKS } from './track';

@Injectable()
export class ReconcilerService {
  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(PlannerService) private readonly planner: PlannerService,
    @Inject(DispatcherService) private readonly dispatcher: DispatcherService,
    @Inject(ServersService) private readonly servers: ServersService,
    @Inject(PositionsRepository) private readonly positions: PositionsRepository,
    @Inject(LeadTimeService) private readonly leadTime: LeadTimeService,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  async reconcile(): Promise<void> {
    for (const track of TRACKS) await this.repo.transaction((em) => this.reconcileTrack(em, track));
    await this.repo.transaction((em) => this.leadTime.markEverywhere(em, this.clock.now()));
  }

  private trackOf(environment: string): Track {
    return this.env.isQaEnvironment(environment) ? 'qa-tip' : 'promoted';
  }

  private async reconcileTrack(em: EntityManager, track: Track): Promise<void> {
    await this.repo.lockTrack(em, track);
    const now = this.clock.now();
    const registered = (await this.repo.servers(em)).filter((s) => this.trackOf(s.environment) === track);
    for (const s of registered) {
      const drift = drifted({ running: s.runningRevision, lastDeployed: s.lastDeployedRevision ?? null });
      if (drift !== Boolean(s.driftSince)) await this.repo.setDrift(em, s.host, drift ? now : null);
    }
    if (registered.length === 0 || (await this.repo.trackBusy(em, track))) return;
    const baseline = await this.repo.baseline(em, track);
    const holds = new Set((await this.repo.activeHolds(em, now)).map((h) => h.host));
    const busy = await this.repo.busyHosts(em);
    const servers: ConvergeServer[] = registered.map((s) => ({
      host: s.host, track, reachable: this.servers.reachable(s, now), held: holds.has(s.host), busy: busy.has(s.host), running: s.runningRevision,
      lastDeployed: s.lastDeployedRevision ?? null, pin: s.pinnedRevision && s.pinnedAt ? { sha: s.pinnedRevision, at: s.pinnedAt } : null,
    }));
    const shas = [...new Set([baseline?.sha, ...servers.flatMap((s) => [s.running, s.pin?.sha])].filter((x): x is string => Boolean(x)))];
    const contents = await this.positions.contents(em, shas);
    const plan = catchUps(servers, { [track]: baseline }, (sha) => contents.get(sha));
    if (plan.length === 0) return;
    // One revision at a time: the most common target first; a server whose last try at it failed lately waits.
    const target = [...new Set(plan.map((p) => p.target))].sort((a, b) => plan.filter((p) => p.target === b).length - plan.filter((p) => p.target === a).length)[0];
    const failedLately = await this.repo.failedLately(em, target, new Date(now.getTime() - this.env.ROLLOUT_CATCH_UP_RETRY_SECONDS * 1000));
    const candidates = plan.filter((p) => p.target === target && !failedLately.has(p.host));
    const cowboys = await this.dispatcher.cowboyDecisions(em, candidates.map((c) => c.host), target);
    const hosts = candidates.filter((c) => !cowboys.get(c.host)?.holdBecause).map((c) => c.host);
    if (hosts.length === 0) return;
    const rollout = await this.planner.catchUp(em, track, hosts, target);
    this.logger.info({ rolloutId: rollout.id, track, target, hosts: candidates.filter((c) => hosts.includes(c.host)).map((c) => `${c.host} (${c.why})`) }, 'catching servers up');
  }
}
