/**
 * What every service gets from the platform, wired once: its validated environment, logger,
 * DataSource, NATS connection, outbox, the auth guard on every route, health, metrics and
 * token endpoints. Global, so a service's own modules inject what they use and nothing more.
 */
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, Reflector } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Subjects } from '@runway/contracts';
import { Outbox, OutboxRelay } from '@runway/messaging';
import { AuthGuard } from './auth/auth.guard';
import { Authenticator } from './auth/authenticator';
import { hashToken, TokenRepository } from './auth/token.repository';
import { TokensController } from './auth/tokens.controller';
import type { CommonEnv } from './env';
import { HEALTH_CHECKS, HealthController, type HealthCheck } from './health/health.controller';
import { MetricsController } from './health/metrics.controller';
import { ErrorFilter } from './http/error.filter';

export const RUNWAY_ENV = Symbol('RUNWAY_ENV');
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const PINO_LOGGER = Symbol('PINO_LOGGER');

export interface Infrastructure {
  service: string;
  env: CommonEnv;
  logger: Logger;
  dataSource: DataSource;
  nats: NatsConnection;
  subjects: Subjects;
  outbox: Outbox;
  relay: OutboxRelay;
}

@Global()
@Module({})
export class PlatformModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    const checks: HealthCheck[] = [
      { name: 'postgres', check: () => infra.dataSource.query('SELECT 1') },
      {
        name: 'nats',
        check: async () => {
          if (infra.nats.isClosed()) throw new Error('connection closed');
          await infra.nats.rtt();
        },
      },
    ];
    const tokens = new TokenRepository(infra.dataSource);
    const authenticator = new Authenticator(tokens, {
      adminTokenHash: infra.env.RUNWAY_ADMIN_TOKEN ? hashToken(infra.env.RUNWAY_ADMIN_TOKEN) : undefined,
      publicReads: infra.env.RUNWAY_PUBLIC_READS,
    });
    return {
      module: PlatformModule,
      controllers: [HealthController, MetricsController, TokensController],
      providers: [
        { provide: RUNWAY_ENV, useValue: infra.env },
        { provide: PINO_LOGGER, useValue: infra.logger },
        { provide: DataSource, useValue: infra.dataSource },
        { provide: NATS_CONNECTION, useValue: infra.nats },
        { provide: Subjects, useValue: infra.subjects },
        { provide: Outbox, useValue: infra.outbox },
        { provide: OutboxRelay, useValue: infra.relay },
        { provide: TokenRepository, useValue: tokens },
        { provide: Authenticator, useValue: authenticator },
        { provide: HEALTH_CHECKS, useValue: checks },
        { provide: APP_FILTER, useValue: new ErrorFilter(infra.logger) },
        { provide: APP_GUARD, inject: [Reflector], useFactory: (reflector: Reflector) => new AuthGuard(reflector, authenticator) },
      ],
      exports: [RUNWAY_ENV, PINO_LOGGER, DataSource, NATS_CONNECTION, Subjects, Outbox, OutboxRelay, TokenRepository, Authenticator],
    };
  }
}
