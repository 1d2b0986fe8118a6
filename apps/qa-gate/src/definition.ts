/**
 * qa-gate: records every revision that lands (from buildbot, the API or NATS), placing it on
 * the branch's first-parent history in git, keeps its QA status, and decides by Launchpad's rule which revision is deployable,
 * publishing `qa-passed` when that moves forward and the QA tip for the QA environments.
 */
import type { ServiceDefinition } from '@runway/platform';
import { LandingBatcher } from './landings/landing-batcher';
import { buildbotRoute } from './landings/landings.controller';
import { AppModule } from './app.module';
import { QaGateEnv } from './config';
import { migrations } from './db/migrations';
import { LandingEntity } from './landings/landing.entity';
import { BranchStateEntity, BuildEventEntity, QaHistoryEntity, RevisionEntity } from './revisions/revision.entity';

export const qaGate: ServiceDefinition<QaGateEnv> = {
  name: 'qa-gate',
  schema: 'qa_gate',
  title: 'QA gate',
  env: QaGateEnv,
  migrations,
  entities: [RevisionEntity, QaHistoryEntity, BuildEventEntity, BranchStateEntity, LandingEntity],
  module: AppModule,
  fastRoutes: (app, infra) => [buildbotRoute(app.get(LandingBatcher), infra.env as QaGateEnv)],
};
