/**
 * Lossless event plumbing over NATS JetStream and Postgres: stream provisioning, the
 * transactional outbox and its relay, the inbox that makes consumers idempotent, dead-letters,
 * and a Nest transport so services handle events with `@EventPattern`.
 */
export * from './event-context';
export * from './event-consumer';
export * from './failpoint';
export * from './jetstream.server';
export * from './logger';
export * from './messaging.migration';
export * from './metrics';
export * from './nats';
export * from './outbox';
