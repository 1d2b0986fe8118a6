/**
 * Moves production to each revision QA approves, in order and once: every replica takes the
 * branch's advisory lock, reads where production stands, and promotes only forward. The
 * promotion and its `promoted` event commit together.
 */
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { type CloudEvent, Events, type QaPassedV1 } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { PromotionEnv } from '../config';
import { decidePromotion, deployKindFor } from './promotion-rules';
import { PromotionsRepository } from './promotions.repository';

@Injectable()
export class PromotionsService {
  constructor(
    @Inject(PromotionsRepository) private readonly repo: PromotionsRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: PromotionEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  async onQaPassed(event: CloudEvent<QaPassedV1>, em: EntityManager): Promise<void> {
    const branch = this.env.PRODUCTION_BRANCH;
    const d = event.data;
    await this.repo.lock(em, branch);
    const current = await this.repo.state(em, branch);
    const decision = decidePromotion(current, { revno: d.revno, sha: d.sha });
    if (decision.action === 'skip') {
      this.logger.info({ revno: d.revno, sha: d.sha }, decision.reason);
      return;
    }
    const id = randomUUID();
    const deployKind = deployKindFor(d.containsDbRevision);
    await this.repo.record(em, {
      id, branch, fromSha: current?.sha ?? null, fromRevno: current?.revno ?? null, toSha: d.sha, toRevno: d.revno, cause: 'qa-passed',
      revisions: d.range, containsDb: d.containsDbRevision, deployKind, requestedBy: 'qa-gate',
    });
    await this.outbox.enqueue(em, Events.Promoted, {
      promotionId: id, branch, fromSha: current?.sha, toSha: d.sha, toRevno: d.revno, revisions: d.range,
      containsDbRevision: d.containsDbRevision, deployKind, cause: 'qa-passed', pendingMergeBack: [],
    });
  }

  async status() {
    const branch = this.env.PRODUCTION_BRANCH;
    const state = await this.repo.state(null, branch);
    return { branch, productionStable: state ? { sha: state.sha, revno: state.revno, since: state.updatedAt, promotionId: state.promotionId } : null };
  }

  history(limit: number) {
    return this.repo.history(this.env.PRODUCTION_BRANCH, limit);
  }
}
