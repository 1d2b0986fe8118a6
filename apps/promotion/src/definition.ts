/**
 * promotion: moves production-stable to each revision QA approves, forward only and once,
 * and publishes `promoted` for rollout.
 */
import type { ServiceDefinition } from '@runway/platform';
import { AppModule } from './app.module';
import { PromotionEnv } from './config';
import { migrations } from './db/migrations';
import { ProductionStateEntity, PromotionEntity } from './promotions/promotion.entity';

export const promotion: ServiceDefinition<PromotionEnv> = {
  name: 'promotion',
  schema: 'promotion',
  title: 'Promotion',
  env: PromotionEnv,
  migrations,
  entities: [PromotionEntity, ProductionStateEntity],
  module: AppModule,
};
