/** flags: feature-flag rules, their history, and evaluation for applications. */
import { registerFastRoute, type ServiceDefinition } from '@runway/platform';
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
  onStart: async (app, infra) => {
    for (const route of ofrepRoutes(app.get(FlagsService))) registerFastRoute(app, infra.logger, route);
  },
};
