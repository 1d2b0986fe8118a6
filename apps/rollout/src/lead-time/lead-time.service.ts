/**
 * When a revision runs everywhere: the first moment every registered, unheld production
 * server runs a revision that contains it (by ancestry: see positions.ts). Whichever rollout
 * brought it there (a promotion's, a catch-up, one after a failed one), the time is stamped
 * when the last server gets it. Held and silent servers are shown as what it waits for.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Events } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { contains } from '../positions/positions';
import { PositionsRepository } from '../positions/positions.repository';
import { commonContent, summarizeLeadTimes } from './lead-time';
import { LeadTimeRepository } from './lead-time.repository';

@Injectable()
export class LeadTimeService {
  constructor(
    @Inject(LeadTimeRepository) private readonly repo: LeadTimeRepository,
    @Inject(PositionsRepository) private readonly positions: PositionsRepository,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
    @Inject(Outbox) private readonly outbox: Outbox,
  ) {}

  private production(em: EntityManager | null, at: Date) {
    return this.repo.productionServers(em, at, this.env.AGENT_HEARTBEAT_TIMEOUT_SECONDS, this.env.QA_ENVIRONMENTS.split(','));
  }

  /** Stamps every promoted revision that now runs everywhere, and says so (`running-everywhere`). Returns how many. */
  async markEverywhere(em: EntityManager, at: Date): Promise<number> {
    const running = await this.repo.unheldProductionRevisions(em, at, this.env.QA_ENVIRONMENTS.split(','));
    if (running.includes(null)) return 0;
    const known = await this.positions.contents(em, running as string[]);
    const everywhere = commonContent(running.map((sha) => known.get(sha!) ?? null));
    if (!everywhere) return 0;
    const stamped = await this.repo.markEverywhere(em, { stableRevno: everywhere.stableRevno!, fixes: everywhere.fixes }, at);
    if (stamped.length) {
      await this.outbox.enqueue(em, Events.RunningEverywhere, {
        revisions: stamped.sort((a, b) => (a.revno ?? Infinity) - (b.revno ?? Infinity) || a.sha.localeCompare(b.sha)).map((r) => ({ sha: r.sha, revno: r.revno ?? undefined })),
        at: at.toISOString(),
      });
    }
    return stamped.length;
  }

  /** Lead times since `since`, each revision not running everywhere yet with the servers it waits for, and why. */
  async view(since: Date, limit: number) {
    const summary = summarizeLeadTimes(await this.repo.since(since, limit));
    const servers = await this.production(null, new Date());
    const known = await this.positions.contents(null, servers.flatMap((s) => (s.running ? [s.running] : [])));
    const contents = new Map(servers.map((s) => [s.host, (s.running && known.get(s.running)) || null]));
    return {
      ...summary,
      revisions: summary.revisions.map((r) => {
        if (r.deployedAt || !r.promotedAt) return r;
        const place = { sha: r.sha, firstStableRevno: r.revno };
        const pendingOn = servers
          .filter((s) => !contains(contents.get(s.host) ?? null, place))
          .map((s) => ({ host: s.host, why: s.held ? 'held' : !s.reachable ? 'unreachable' : `runs ${s.running ? s.running.slice(0, 10) : 'nothing known'}` }));
        return { ...r, pendingOn };
      }),
    };
  }
}
