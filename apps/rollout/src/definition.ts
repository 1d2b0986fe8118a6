/**
 * rollout: turns promotions into deploys on every registered server, and records what the
 * agents report and run.
 */
import type { ServiceDefinition } from '@runway/platform';
import { AppModule } from './app.module';
import { RolloutEnv } from './config';
import { migrations } from './db/migrations';
import { DeployEntity, RolloutEntity, ServerEntity, ServerHoldEntity } from './rollouts/rollout.entity';

export const rollout: ServiceDefinition<RolloutEnv> = {
  name: 'rollout',
  schema: 'rollout',
  title: 'Rollout',
  env: RolloutEnv,
  migrations,
  entities: [ServerEntity, RolloutEntity, DeployEntity, ServerHoldEntity],
  module: AppModule,
};
