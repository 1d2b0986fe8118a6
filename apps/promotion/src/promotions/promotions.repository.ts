/** The only place promotion touches TypeORM. */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ProductionStateEntity, PromotionEntity } from './promotion.entity';

@Injectable()
export class PromotionsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /** Serialises promotions of one branch across every replica, until the transaction ends. */
  async lock(em: EntityManager, branch: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`promotion.${branch}`]);
  }

  state(em: EntityManager | null, branch: string): Promise<ProductionStateEntity | null> {
    return (em ?? this.ds.manager).findOne(ProductionStateEntity, { where: { branch } });
  }

  async record(em: EntityManager, p: Omit<PromotionEntity, 'createdAt'>): Promise<void> {
    await em.insert(PromotionEntity, p);
    await em.save(ProductionStateEntity, { branch: p.branch, sha: p.toSha, revno: p.toRevno, promotionId: p.id, updatedAt: new Date() });
  }

  history(branch: string, limit: number): Promise<PromotionEntity[]> {
    return this.ds.manager.find(PromotionEntity, { where: { branch }, order: { createdAt: 'DESC' }, take: limit });
  }
}
