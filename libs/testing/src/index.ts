/** Test support: where Postgres and NATS come from, per-file isolation, fixture builders. Imported by tests only. */
export * from './infrastructure';
export * from './isolation';
export * from './fixtures';
export * from './api-client';
export * from './nats-server';
export * from './service-under-test';
export * from './git-fixture';
