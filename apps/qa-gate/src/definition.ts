/**
 * qa-gate: records every revision that lands, keeps its QA status, and decides by Launchpad's
 * rule which revision is deployable, publishing `qa-passed` when that moves forward.
 */
import type { ServiceDefinition } from '@runway/platform';
import { AppModule } from './app.module';
import { QaGateEnv } from './config';
import { migrations } from './db/migrations';
import { BranchStateEntity, QaHistoryEntity, RevisionEntity } from './revisions/revision.entity';

export const qaGate: ServiceDefinition<QaGateEnv> = {
  name: 'qa-gate',
  schema: 'qa_gate',
  title: 'QA gate',
  env: QaGateEnv,
  migrations,
  entities: [RevisionEntity, QaHistoryEntity, BranchStateEntity],
  module: AppModule,
};
