/**
 * Sends a rollout's batches out: `deploy-requested` for each server of the batch, telling each
 * agent which cowboys to re-apply; and decides, for a set of servers and what a rollout ships,
 * what each server's cowboys mean (retire, carry, or hold the server out).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Events } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { type CowboyDecision, decideCowboys } from '../cowboys/cowboy-decision';
import { CowboysRepository } from '../cowboys/cowboys.repository';
import { Clock } from './clock';
import type { RolloutEntity } from './rollout.entity';
import { RolloutsRepository } from './rollouts.repository';

@Injectable()
export class DispatcherService {
  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(CowboysRepository) private readonly cowboys: CowboysRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * Each server's cowboys against a revision that ships `shipping` (on top of everything
   * promoted before): what to retire, carry, or hold the server for.
   */
  async cowboyDecisions(em: EntityManager, hosts: string[], shipping: string[]): Promise<Map<string, CowboyDecision>> {
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
  async dispatch(em: EntityManager, rollout: RolloutEntity, batch: number): Promise<void> {
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
}
