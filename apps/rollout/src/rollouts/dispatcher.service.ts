/**
 * Sends a rollout's batches out. Holds, cowboys and reachability are decided for each batch as
 * it goes, not once at planning: a hold placed while the rollout waited for its window, or
 * between batches, keeps that server out. Each server of the batch is either skipped (the
 * reason kept on its deploy and the rollout) or sent `deploy-requested`, with the cowboys its
 * agent must re-apply. Cowboys are judged by containment (positions.ts): a server's cowboy is
 * fixed by a revision when that revision contains the fix by ancestry, merges included.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Events } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { type CowboyDecision, decideCowboys } from '../cowboys/cowboy-decision';
import { CowboysRepository } from '../cowboys/cowboys.repository';
import { contains } from '../positions/positions';
import { PositionsRepository } from '../positions/positions.repository';
import { Clock } from './clock';
import type { RolloutEntity } from './rollout.entity';
import { RolloutsRepository } from './rollouts.repository';
import { ServersService } from './servers.service';

@Injectable()
export class DispatcherService {
  constructor(
    @Inject(RolloutsRepository) private readonly repo: RolloutsRepository,
    @Inject(CowboysRepository) private readonly cowboys: CowboysRepository,
    @Inject(PositionsRepository) private readonly positions: PositionsRepository,
    @Inject(ServersService) private readonly servers: ServersService,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Each server's cowboys against `target`: what to retire, carry, or hold the server for. */
  async cowboyDecisions(em: EntityManager, hosts: string[], target: string): Promise<Map<string, CowboyDecision>> {
    const live = await this.cowboys.live(em, hosts);
    if (live.length === 0) return new Map();
    const content = await this.positions.content(em, target);
    const fixed = new Set<string>();
    for (const sha of new Set(live.flatMap((c) => (c.fixed_by ? [c.fixed_by] : [])))) {
      if (contains(content, await this.positions.place(em, sha))) fixed.add(sha);
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

  /**
   * Sends one batch out, deciding each server as it goes. Returns how many deploys went out; a
   * batch whose servers were all skipped is done, and the scheduler's tick moves the rollout on.
   */
  async dispatch(em: EntityManager, rollout: RolloutEntity, batch: number): Promise<number> {
    const now = this.clock.now();
    const pending = await this.repo.pendingOfBatch(em, rollout.id, batch);
    const servers = new Map((await this.repo.servers(em)).map((s) => [s.host, s]));
    const holds = new Map((await this.repo.activeHolds(em, now)).map((h) => [h.host, h]));
    const cowboys = await this.cowboyDecisions(em, pending.map((d) => d.host), rollout.toSha);
    const skips: { id: string; host: string; reason: string }[] = [];
    for (const d of pending) {
      const s = servers.get(d.host);
      const hold = holds.get(d.host);
      const reason = !s ? 'deregistered'
        : hold ? `held: ${hold.reason} (${hold.author})`
        : !this.servers.reachable(s, now) ? 'unreachable: no heartbeat'
        : cowboys.get(d.host)?.holdBecause ? `held: ${cowboys.get(d.host)!.holdBecause}`
        : null;
      if (reason) skips.push({ id: d.id, host: d.host, reason });
    }
    await this.repo.skipDeploys(em, skips);
    const skipped = new Set(skips.map((s) => s.id));
    const deploys = await this.repo.requestDeploys(em, rollout.id, pending.filter((d) => !skipped.has(d.id)).map((d) => d.id));
    await this.repo.saveRollout(em, {
      ...rollout, currentBatch: batch, startedAt: rollout.startedAt ?? now,
      skipped: [...rollout.skipped.filter((x) => !skips.some((s) => s.host === x.host)), ...skips.map(({ host, reason }) => ({ host, reason }))],
    });
    await this.outbox.enqueueMany(
      em,
      deploys.map((d) => ({
        def: Events.DeployRequested,
        data: {
          deployId: d.id, rolloutId: rollout.id, host: d.host, environment: servers.get(d.host)?.environment ?? 'unknown', revision: d.revision,
          revno: rollout.toRevno ?? undefined, previousRevision: d.previousRevision ?? undefined, kind: rollout.kind,
          carryCowboys: cowboys.get(d.host)?.carry ?? [], wave: d.wave ?? undefined, batch: d.batch,
        },
      })),
    );
    return deploys.length;
  }
}
