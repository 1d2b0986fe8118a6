/**
 * What every Runway service stands on: validated environment, structured logs, errors with
 * codes, HTTP validation, bearer-token auth with roles, health, metrics, OpenAPI (every route's
 * answers, with the schemas of libs/contracts), and the service bootstrap that wires them to
 * Postgres and NATS JetStream.
 */
export * from './auth/auth.decorators';
export * from './auth/auth.guard';
export * from './auth/authenticator';
export * from './auth/token.repository';
export * from './auth/tokens.controller';
export * from './env';
export * from './errors';
export * from './heap';
export * from './health/health.controller';
export * from './health/metrics.controller';
export * from './http/error.filter';
export * from './http/fast-route';
export * from './http/json';
export * from './http/openapi';
export * from './http/validation';
export * from './logging';
export * from './platform.module';
export * from './service';
