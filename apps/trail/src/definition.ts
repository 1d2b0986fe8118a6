/** trail: the append-only record of every event, the story of each revision, and DORA's four keys. */
import type { ServiceDefinition } from '@runway/platform';
import { AppModule } from './app.module';
import { TrailEnv } from './config';
import { migrations } from './db/migrations';

export const trail: ServiceDefinition<TrailEnv> = {
  name: 'trail',
  schema: 'trail',
  title: 'Trail',
  env: TrailEnv,
  migrations,
  module: AppModule,
};
