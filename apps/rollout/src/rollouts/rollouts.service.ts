/**
 * Turns each promotion into one deploy per production server, and each move of the QA tip
 * into one deploy per QA-environment server; records what agents report, and keeps each
 * server's running revision. Planning is idempotent per cause; reports move a deploy forward only.
 */
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  type AgentHeartbeatV1, type CloudEvent, type DeployKind, type DeployReportedV1, Events, type PromotedV1, type QaTipMovedV1,
} from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DomainError, type Principal, RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { nextDeployState, rolloutStateOf } from './deploy-state';
import type { DeployEntity, RolloutCause, ServerEntity } from './rollout.entity';
import { RolloutsRepository } from './rollouts.repository';
import type { RegisterAgentDto } from './dto/register-agent.dto';

@Injectable()
export class RolloutsService {
  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
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

  async onHeartbeat(event: CloudEvent<AgentHeartbeatV1>, em: EntityManager): Promise<void> {
    await this.repo.heartbeat(em, event.data.host, new Date(event.time), event.data.runningRevision);
  }

  /** Production servers follow production-stable. */
  async onPromoted(event: CloudEvent<PromotedV1>, em: EntityManager): Promise<void> {
    const p = event.data;
    await this.plan(em, {
      sourceId: p.promotionId, cause: 'promoted', sha: p.toSha, revno: p.toRevno, kind: p.deployKind,
      servers: (s) => !this.env.isQaEnvironment(s.environment),
    });
  }

  /** The QA environments follow the tip of the QA branch, after every landing, with no one asked. */
  async onQaTipMoved(event: CloudEvent<QaTipMovedV1>, em: EntityManager): Promise<void> {
    const t = event.data;
    await this.plan(em, {
      sourceId: event.id, cause: 'qa-tip', sha: t.sha, revno: t.revno, kind: t.containsDbRevision ? 'downtime' : 'no-downtime',
      servers: (s) => this.env.isQaEnvironment(s.environment),
    });
  }

  private async plan(
    em: EntityManager,
    p: { sourceId: string; cause: RolloutCause; sha: string; revno?: number; kind: DeployKind; servers: (s: ServerEntity) => boolean },
  ): Promise<void> {
    if (await this.repo.rolloutFor(em, p.sourceId)) return;
    const servers = (await this.repo.servers(em)).filter(p.servers);
    const rolloutId = randomUUID();
    const now = new Date();
    const deploys: DeployEntity[] = servers.map((s) => ({
      id: randomUUID(), rolloutId, host: s.host, revision: p.sha, previousRevision: s.runningRevision, status: 'requested',
      outputTail: null, requestedAt: now, updatedAt: now,
    }));
    await this.repo.insertRollout(em, {
      id: rolloutId, sourceId: p.sourceId, cause: p.cause, toSha: p.sha, toRevno: p.revno ?? null, kind: p.kind,
      status: rolloutStateOf(deploys.map((d) => d.status)), createdAt: now, finishedAt: deploys.length ? null : now,
    }, deploys);
    await this.outbox.enqueueMany(
      em,
      deploys.map((d) => ({
        def: Events.DeployRequested,
        data: {
          deployId: d.id, rolloutId, host: d.host, environment: servers.find((s) => s.host === d.host)!.environment, revision: p.sha,
          revno: p.revno, previousRevision: d.previousRevision ?? undefined, kind: p.kind, carryCowboys: [],
        },
      })),
    );
  }

  async onDeployReported(event: CloudEvent<DeployReportedV1>, em: EntityManager): Promise<void> {
    const r = event.data;
    const deploy = await this.repo.deployForUpdate(em, r.deployId);
    if (!deploy) throw new DomainError('NOT_FOUND', `no deploy ${r.deployId}`, undefined, false);
    if (deploy.host !== r.host) throw new DomainError('FORBIDDEN', `deploy ${r.deployId} is for ${deploy.host}, not ${r.host}`, undefined, false);
    const next = nextDeployState(deploy.status, r.status);
    if (next === deploy.status) return;
    deploy.status = next;
    deploy.outputTail = r.outputTail ?? deploy.outputTail;
    deploy.updatedAt = new Date();
    await this.repo.saveDeploy(em, deploy);
    if (next === 'succeeded') {
      const server = await this.repo.server(em, r.host);
      if (server) await this.repo.saveServer(em, { ...server, runningRevision: r.revision });
    }
    const rollout = (await this.repo.rollout(em, deploy.rolloutId))!;
    const state = rolloutStateOf((await this.repo.deploysOf(em, rollout.id)).map((d) => d.status));
    if (state !== rollout.status) {
      await this.repo.saveRollout(em, { ...rollout, status: state, finishedAt: state === 'in-progress' ? null : new Date() });
    }
  }

  async servers() {
    const now = Date.now();
    return (await this.repo.servers()).map((s) => {
      const age = s.lastHeartbeatAt ? Math.round((now - s.lastHeartbeatAt.getTime()) / 1000) : null;
      return { ...s, heartbeatAgeSeconds: age, reachable: age !== null && age <= this.env.AGENT_HEARTBEAT_TIMEOUT_SECONDS };
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
