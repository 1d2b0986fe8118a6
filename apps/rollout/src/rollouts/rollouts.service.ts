/**
 * Turns each promotion into a rollout over the production servers, and each move of the QA
 * tip into one over the QA environments; then carries it out in waves and batches.
 *
 *   plan      servers by wave (configured order) in batches; held and unreachable ones skipped
 *   wait      a downtime rollout (a DB change in its range) waits for the downtime window,
 *             runs the preflight command (fails closed), and only then goes
 *   dispatch  one batch at a time: `deploy-requested` for each of its servers
 *   advance   on each report: a failed server stops the rollout (the agent has rolled it
 *             back); a batch all succeeded lets the next one go; the last one finishes it
 *
 * A scheduler tick (one replica at a time, by advisory lock) opens windows. Planning is
 * idempotent per cause; reports move a deploy forward only.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import {
  type AgentHeartbeatV1, type CloudEvent, type DeployKind, type DeployProgressV1, type DeployReportedV1, Events, type PromotedV1, type QaTipMovedV1,
} from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DomainError, PINO_LOGGER, type Principal, RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { Clock } from './clock';
import { nextDeployState, type Progress } from './deploy-state';
import type { RegisterAgentDto } from './dto/register-agent.dto';
import {
  type Cadence, type DowntimeWindow, nextCadenceSlot, nextWindowOpening, parseCadence, parseDowntimeWindow, planRollout, windowOpen,
} from './planning';
import type { DeployEntity, RolloutCause, RolloutEntity, RolloutState, ServerEntity } from './rollout.entity';
import { arrive, isTrack, NOT_STARTED_STATES, notStarted, type Track } from './track';
import { RolloutsRepository } from './rollouts.repository';
import { LeadTimeRepository } from '../lead-time/lead-time.repository';
import { type CowboyDecision, decideCowboys } from '../cowboys/cowboy-decision';
import { CowboysRepository } from '../cowboys/cowboys.repository';

@Injectable()
export class RolloutsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly window: DowntimeWindow;
  private readonly cadence: Cadence;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
    @Inject(LeadTimeRepository) private readonly leadTime: LeadTimeRepository,
    @Inject(CowboysRepository) private readonly cowboys: CowboysRepository,
  ) {
    this.window = parseDowntimeWindow(env.ROLLOUT_DOWNTIME_WINDOW);
    this.cadence = parseCadence(env.ROLLOUT_CADENCE);
  }

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

  // ---- agents ---------------------------------------------------------------------------------

  async register(dto: RegisterAgentDto, who: Principal): Promise<ServerEntity> {
    if (!who.roles.includes('admin') && who.host !== dto.host) {
      throw new DomainError('FORBIDDEN', `this token acts for ${who.host ?? 'no host'}, not ${dto.host}`);
    }
    return this.repo.transaction(async (em) => {
      const existing = await this.repo.server(em, dto.host);
      const server: ServerEntity = {
        host: dto.host, environment: dto.environment, wave: dto.wave ?? null,
        runningRevision: dto.runningRevision ?? existing?.runningRevision ?? null, agentVersion: dto.agentVersion,
        registeredBy: who.name, registeredAt: existing?.registeredAt ?? new Date(), lastHeartbeatAt: new Date(),
      };
      await this.repo.saveServer(em, server);
      return server;
    });
  }

  async onProgress(event: CloudEvent<DeployProgressV1>, em: EntityManager): Promise<void> {
    await this.repo.setProgress(em, event.data.deployId, event.data.host, event.data.outputTail);
  }

  async onHeartbeat(event: CloudEvent<AgentHeartbeatV1>, em: EntityManager): Promise<void> {
    await this.repo.heartbeat(em, event.data.host, new Date(event.time), event.data.runningRevision);
  }

  // ---- planning ---------------------------------------------------------------------------------

  /** Production servers follow production-stable. */
  async onPromoted(event: CloudEvent<PromotedV1>, em: EntityManager): Promise<void> {
    const p = event.data;
    await this.leadTime.mark(em, 'promoted_at', p.revisions, new Date(event.time));
    await this.arrive(em, {
      sourceId: p.promotionId, cause: 'promoted', sha: p.toSha, revno: p.toRevno ?? null, kind: p.deployKind, revisions: p.revisions.map((r) => r.sha),
    });
  }

  /** The QA environments follow the tip of the QA branch, after every landing, with no one asked. */
  async onQaTipMoved(event: CloudEvent<QaTipMovedV1>, em: EntityManager): Promise<void> {
    const t = event.data;
    await this.arrive(em, {
      sourceId: event.id, cause: 'qa-tip', sha: t.sha, revno: t.revno, kind: t.containsDbRevision ? 'downtime' : 'no-downtime', revisions: [],
    });
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
    const rollout: RolloutEntity = {
      id: randomUUID(), sourceId: a.sourceId, cause: a.cause, toSha: a.sha, toRevno: a.revno, kind: a.kind, status: 'queued',
      batches: 0, currentBatch: 0, scheduledFor: null, failure: null, pausedFrom: null, pausedBy: null, skipped: [], revisions: [...a.revisions],
      createdAt: now, startedAt: null, finishedAt: null,
    };
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
    if (arrival.kind === 'start') await this.begin(em, rollout, this.serversOf(a.cause));
  }

  /**
   * A newer rollout takes the place of every rollout of its track that has not started,
   * carrying their ranges (in order, for lead time) and their downtime, so a DB change never
   * ships outside the window. That includes one an operator paused while it waited, and one
   * blocked by its preflight while the newer one queued behind it.
   */
  private async takeOver(em: EntityManager, newer: RolloutEntity): Promise<void> {
    const now = this.clock.now();
    const older = (await this.repo.rolloutsIn(em, NOT_STARTED_STATES, newer.cause)).filter((r) => r.id !== newer.id && notStarted(r));
    for (const r of older) {
      if (r.kind === 'downtime') newer.kind = 'downtime';
      await this.repo.saveRollout(em, { ...r, status: 'superseded', finishedAt: now, failure: `superseded by ${newer.toSha.slice(0, 10)}` });
      await this.repo.cancelPending(em, r.id);
    }
    newer.revisions = [...older.flatMap((r) => r.revisions), ...newer.revisions];
  }

  /** Which servers a track keeps current. */
  private serversOf(track: Track): (s: ServerEntity) => boolean {
    return track === 'qa-tip' ? (s) => this.env.isQaEnvironment(s.environment) : (s) => !this.env.isQaEnvironment(s.environment);
  }

  /**
   * Plans a rollout over the servers as they are now: by wave and batch, held, unreachable and
   * cowboy-held ones skipped with the reason. Then it waits for its downtime window or cadence
   * slot, or sends its first batch.
   */
  private async begin(em: EntityManager, queued: RolloutEntity, wanted: (s: ServerEntity) => boolean): Promise<void> {
    const now = this.clock.now();
    const servers = (await this.repo.servers(em)).filter(wanted);
    const holds = new Map((await this.repo.activeHolds(em, now)).map((h) => [h.host, h]));
    const cowboys = await this.cowboyDecisions(em, servers.map((s) => s.host), [...queued.revisions, queued.toSha]);
    const plan = planRollout(
      servers.map((s) => ({
        host: s.host, environment: s.environment, wave: s.wave, reachable: this.reachable(s, now),
        heldBecause: holds.has(s.host) ? `${holds.get(s.host)!.reason} (${holds.get(s.host)!.author})` : (cowboys.get(s.host)?.holdBecause ?? null),
      })),
      this.env.waveOrder,
      this.env.ROLLOUT_BATCH_SIZE,
    );
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
      skipped: plan.skipped, finishedAt: deploys.length ? null : now,
    };
    await this.repo.saveRollout(em, rollout);
    await this.repo.insertDeploys(em, deploys);
    if (rollout.status === 'in-progress') await this.dispatch(em, rollout, 0);
  }

  /** The track is free: its newest queued rollout, if any, takes over what waits and starts. The caller holds the track's lock. */
  private async startNext(em: EntityManager, cause: RolloutCause): Promise<void> {
    if (!isTrack(cause) || (await this.repo.trackHeld(em, cause))) return;
    const next = (await this.repo.rolloutsIn(em, ['queued'], cause)).pop();
    if (!next) return;
    await this.takeOver(em, next);
    await this.begin(em, next, this.serversOf(cause));
  }

  private reachable(s: ServerEntity, now: Date): boolean {
    return s.lastHeartbeatAt !== null && now.getTime() - s.lastHeartbeatAt.getTime() <= this.env.AGENT_HEARTBEAT_TIMEOUT_SECONDS * 1000;
  }

  /**
   * Each server's cowboys against a revision that ships `shipping` (on top of everything
   * promoted before): what to retire, carry, or hold the server for.
   */
  private async cowboyDecisions(em: EntityManager, hosts: string[], shipping: string[]): Promise<Map<string, CowboyDecision>> {
    const live = await this.cowboys.live(em, hosts);
    const fixed = new Set<string>();
    for (const sha of new Set(live.flatMap((c) => (c.fixed_by ? [c.fixed_by] : [])))) {
      if (await this.cowboys.shipped(em, sha, shipping)) fixed.add(sha);
    }
    const byHost = new Map<string, typeof live>();
    for (const c of live) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c]);
    return new Map(
      [...byHost].map(([host, cs]) => [
        host,
        decideCowboys(cs.map((c) => ({ patchHash: c.patch_hash, reason: c.reason, policy: c.policy, fixedBy: c.fixed_by })), (sha) => fixed.has(sha)),
      ]),
    );
  }

  /** Sends one batch out, telling each agent which cowboys to re-apply. */
  private async dispatch(em: EntityManager, rollout: RolloutEntity, batch: number): Promise<void> {
    const deploys = await this.repo.requestBatch(em, rollout.id, batch);
    const servers = new Map((await this.repo.servers(em)).map((s) => [s.host, s]));
    const cowboys = await this.cowboyDecisions(em, deploys.map((d) => d.host), [...rollout.revisions, rollout.toSha]);
    await this.repo.saveRollout(em, { ...rollout, currentBatch: batch, startedAt: rollout.startedAt ?? this.clock.now() });
    await this.outbox.enqueueMany(
      em,
      deploys.map((d) => ({
        def: Events.DeployRequested,
        data: {
          deployId: d.id, rolloutId: rollout.id, host: d.host, environment: servers.get(d.host)?.environment ?? 'unknown', revision: d.revision,
          revno: rollout.toRevno ?? undefined, previousRevision: d.previousRevision ?? undefined, kind: rollout.kind,
          carryCowboys: cowboys.get(d.host)?.carry ?? [],
        },
      })),
    );
  }

  // ---- carrying out -----------------------------------------------------------------------------

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
  private async advanceIfDue(em: EntityManager, rolloutId: string): Promise<void> {
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
    const decision = (await this.cowboyDecisions(em, [host], [...rollout.revisions, rollout.toSha])).get(host);
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
  private async advance(em: EntityManager, rolloutId: string): Promise<void> {
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
      await this.startNext(em, rollout.cause);
      return;
    }
    if (progress.kind === 'batch-running' || rollout.status === 'paused') return;
    if (progress.next === null) {
      const at = new Date();
      await this.repo.saveRollout(em, { ...rollout, status: 'succeeded', finishedAt: at });
      if (rollout.cause === 'promoted') await this.leadTime.mark(em, 'deployed_at', rollout.revisions.map((sha) => ({ sha })), at);
      await this.startNext(em, rollout.cause);
      return;
    }
    await this.dispatch(em, rollout, progress.next);
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
        await this.repo.transaction((em) => this.advanceIfDue(em, rollout.id));
      }
      for (const cause of new Set((await this.repo.rolloutsIn(this.repo.manager, ['queued'])).map((r) => r.cause))) {
        await this.repo.transaction(async (em) => {
          await this.repo.lockTrack(em, cause);
          await this.startNext(em, cause);
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
      if (now.getTime() - (rollout.scheduledFor?.getTime() ?? 0) > 10 * 60_000 + this.window.minutes * 60_000) {
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
      await this.dispatch(em, going, 0);
      return null;
    }
    if (!windowOpen(this.window, now)) {
      const opens = nextWindowOpening(this.window, now);
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
        await this.startNext(em, current.cause);
        return;
      }
      const going = { ...current, status: 'in-progress' as const, failure: null };
      await this.repo.saveRollout(em, going);
      await this.dispatch(em, going, 0);
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

  // ---- operators ----------------------------------------------------------------------------------

  /** A rollout under its track's lock, taken first as everywhere else. */
  private async lockedRollout(em: EntityManager, id: string): Promise<RolloutEntity> {
    const seen = await this.repo.rollout(em, id);
    if (!seen) throw new DomainError('NOT_FOUND', `no rollout ${id}`);
    await this.repo.lockTrack(em, seen.cause);
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
      if (back === 'in-progress') await this.advance(em, id);
      if (back === 'queued') await this.startNext(em, r.cause);
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
        id, sourceId: id, cause: 'manual', toSha: dto.revision, toRevno: null, kind: dto.kind ?? 'no-downtime', status: 'queued',
        batches: 0, currentBatch: 0, scheduledFor: null, failure: null, pausedFrom: null, pausedBy: null, skipped: [], revisions: [],
        createdAt: now, startedAt: null, finishedAt: null,
      };
      await this.repo.insertRollout(em, rollout);
      await this.begin(em, rollout, (s) => (hosts ? hosts.has(s.host) : !this.env.isQaEnvironment(s.environment)));
      this.logger.info({ rollout: id, revision: dto.revision, hosts: dto.hosts ?? 'production', who, reason: dto.reason }, 'manual rollout');
    });
    return this.rollout(id);
  }

  async hold(host: string, reason: string, author: string, until: Date | null) {
    await this.repo.transaction((em) => this.repo.setHold(em, { host, reason, author, until }));
    return { host, reason, author, until };
  }

  async releaseHold(host: string): Promise<void> {
    const released = await this.repo.transaction((em) => this.repo.releaseHold(em, host));
    if (!released) throw new DomainError('NOT_FOUND', `no hold on ${host}`);
  }

  // ---- reading --------------------------------------------------------------------------------------

  async servers() {
    const now = this.clock.now();
    const holds = new Map((await this.repo.activeHolds(null, now)).map((h) => [h.host, h]));
    return (await this.repo.servers()).map((s) => {
      const age = s.lastHeartbeatAt ? Math.round((now.getTime() - s.lastHeartbeatAt.getTime()) / 1000) : null;
      return { ...s, heartbeatAgeSeconds: age, reachable: this.reachable(s, now), hold: holds.get(s.host) ?? null };
    });
  }

  rollouts(limit: number) {
    return this.repo.rollouts(limit);
  }

  async rollout(id: string) {
    const r = await this.repo.rollout(null, id);
    if (!r) throw new DomainError('NOT_FOUND', `no rollout ${id}`);
    return { ...r, deploys: await this.repo.deploysOf(null, id) };
  }
}
