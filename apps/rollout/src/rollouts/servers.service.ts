/**
 * The servers agents register, what they report between deploys (heartbeats, deploy output,
 * what their cowboy scan finds), and how they are shown: reachable or not, held or not, what
 * they should run and whether they drifted from what Runway put there.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { type AgentHeartbeatV1, type CloudEvent, type DeployProgressV1, Events } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DomainError, PINO_LOGGER, type Principal, RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { CowboysRepository } from '../cowboys/cowboys.repository';
import { Clock } from './clock';
import { desired, drifted } from './convergence';
import { deadlineOf } from './deploy-state';
import { inRolloutOrder } from './planning';
import type { RegisterAgentDto } from './dto/register-agent.dto';
import type { ServerEntity } from './rollout.entity';
import { RolloutsRepository } from './rollouts.repository';
import type { Track } from './track';

@Injectable()
export class ServersService {
  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(CowboysRepository) private readonly cowboys: CowboysRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  /** An agent registers (again): a deregistered server comes back. */
  async register(dto: RegisterAgentDto, who: Principal): Promise<ServerEntity> {
    if (!who.roles.includes('admin') && who.host !== dto.host) {
      throw new DomainError('FORBIDDEN', `this token acts for ${who.host ?? 'no host'}, not ${dto.host}`);
    }
    return this.repo.transaction(async (em) => {
      const existing = await this.repo.server(em, dto.host);
      const server: ServerEntity = {
        ...existing,
        host: dto.host, environment: dto.environment, wave: dto.wave ?? null,
        runningRevision: dto.runningRevision ?? existing?.runningRevision ?? null, agentVersion: dto.agentVersion,
        registeredBy: who.name, registeredAt: existing && !existing.deregisteredAt ? existing.registeredAt : new Date(), lastHeartbeatAt: new Date(),
        deregisteredAt: null, deregisteredBy: null,
      };
      await this.repo.saveServer(em, server);
      if (!existing || existing.deregisteredAt) await this.repo.announceServer(em, { host: dto.host, change: 'registered', environment: dto.environment });
      return server;
    });
  }

  async onProgress(event: CloudEvent<DeployProgressV1>, em: EntityManager): Promise<void> {
    await this.repo.setProgress(em, event.data.deployId, event.data.host, event.data.outputTail);
  }

  /**
   * A heartbeat: the server is alive, runs what it says. With the agent's last complete cowboy
   * scan, a cowboy the scan had found and no longer finds is gone, and retired with that reason.
   */
  async onHeartbeat(event: CloudEvent<AgentHeartbeatV1>, em: EntityManager): Promise<void> {
    const d = event.data;
    const fresh = await this.repo.heartbeat(em, d.host, new Date(event.time), d.runningRevision);
    if (!fresh || !d.cowboyScan) return;
    const found = new Set(d.cowboyScan);
    const sentAt = new Date(event.time).getTime();
    for (const c of await this.cowboys.live(em, [d.host])) {
      // Heartbeats and the scan's `cowboy-applied` reports travel on different streams: a
      // heartbeat sent before the report (its scan taken before the patch was found) can be
      // read after it. Only a heartbeat sent after the cowboy was found (both stamped by the
      // agent's clock) speaks of it.
      if (!c.detected || found.has(c.patch_hash) || sentAt <= new Date(c.applied_at).getTime()) continue;
      const reason = `the agent's scan on ${d.host} no longer finds it`;
      await this.cowboys.retire(em, c.id, reason, null);
      await this.outbox.enqueue(em, Events.CowboyRemoved, { host: d.host, patchHash: c.patch_hash, reason });
      this.logger.info({ host: d.host, patchHash: c.patch_hash }, 'cowboy gone: the scan no longer finds it');
    }
  }

  /** A server is reachable while its heartbeats keep coming. */
  reachable(s: ServerEntity, now: Date): boolean {
    return s.lastHeartbeatAt !== null && now.getTime() - s.lastHeartbeatAt.getTime() <= this.env.AGENT_HEARTBEAT_TIMEOUT_SECONDS * 1000;
  }

  trackOf(s: Pick<ServerEntity, 'environment'>): Track {
    return this.env.isQaEnvironment(s.environment) ? 'qa-tip' : 'promoted';
  }

  /** Every registered server in rollout order (by wave as configured, then host), with whether it is reachable and held, what it should run, and any drift. */
  async servers(withDeregistered = false) {
    const now = this.clock.now();
    const holds = new Map((await this.repo.activeHolds(null, now)).map((h) => [h.host, h]));
    const baselines = { promoted: await this.repo.baseline(null, 'promoted'), 'qa-tip': await this.repo.baseline(null, 'qa-tip') };
    const deadlineMs = this.env.ROLLOUT_DEPLOY_DEADLINE_SECONDS * 1000;
    const deploying = new Map((await this.repo.openDeploys(null)).map((d) => [d.host, {
      rolloutId: d.rolloutId, deployId: d.id, revision: d.revision, status: d.status, requestedAt: d.requestedAt, deadlineAt: deadlineOf(d, deadlineMs),
    }]));
    return inRolloutOrder(await this.repo.servers(null, withDeregistered), this.env.waveOrder).map((s) => {
      const age = s.lastHeartbeatAt ? Math.round((now.getTime() - s.lastHeartbeatAt.getTime()) / 1000) : null;
      const track = this.trackOf(s);
      const pin = s.pinnedRevision && s.pinnedAt ? { sha: s.pinnedRevision, at: s.pinnedAt } : null;
      const isDrifted = drifted({ running: s.runningRevision, lastDeployed: s.lastDeployedRevision ?? null });
      return {
        ...s, heartbeatAgeSeconds: age, reachable: this.reachable(s, now), hold: holds.get(s.host) ?? null, track,
        desiredRevision: s.deregisteredAt ? null : desired({ pin }, baselines[track]),
        drift: isDrifted ? { expected: s.lastDeployedRevision ?? null, running: s.runningRevision, since: s.driftSince ?? null } : null,
        deploying: deploying.get(s.host) ?? null,
      };
    });
  }
}
