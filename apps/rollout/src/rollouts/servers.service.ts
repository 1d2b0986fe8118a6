/**
 * The servers agents register, what they report between deploys (heartbeats, deploy output),
 * and how they are shown: reachable or not, held or not.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AgentHeartbeatV1, CloudEvent, DeployProgressV1 } from '@runway/contracts';
import { DomainError, type Principal, RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { Clock } from './clock';
import type { RegisterAgentDto } from './dto/register-agent.dto';
import type { ServerEntity } from './rollout.entity';
import { RolloutsRepository } from './rollouts.repository';

@Injectable()
export class ServersService {
  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

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

  /** A server is reachable while its heartbeats keep coming. */
  reachable(s: ServerEntity, now: Date): boolean {
    return s.lastHeartbeatAt !== null && now.getTime() - s.lastHeartbeatAt.getTime() <= this.env.AGENT_HEARTBEAT_TIMEOUT_SECONDS * 1000;
  }

  async servers() {
    const now = this.clock.now();
    const holds = new Map((await this.repo.activeHolds(null, now)).map((h) => [h.host, h]));
    return (await this.repo.servers()).map((s) => {
      const age = s.lastHeartbeatAt ? Math.round((now.getTime() - s.lastHeartbeatAt.getTime()) / 1000) : null;
      return { ...s, heartbeatAgeSeconds: age, reachable: this.reachable(s, now), hold: holds.get(s.host) ?? null };
    });
  }
}
