/** flags: feature-flag rules, their history, and evaluation for applications. */
import type { ServiceDefinition } from '@runway/platform';
import { AppModule } from './app.module';
import { FlagsEnv } from './config';
import { migrations } from './db/migrations';
import { FlagsService } from './flags/flags.service';
import { ofrepRoutes } from './flags/ofrep.routes';

export const flags: ServiceDefinition<FlagsEnv> = {
  name: 'flags',
  schema: 'flags',
  title: 'Feature flags',
  env: FlagsEnv,
  migrations,
  module: AppModule,
  fastRoutes: (app) => ofrepRoutes(app.get(FlagsService)),
};
