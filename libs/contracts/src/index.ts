/**
 * Runway's contracts: the CloudEvents envelope, the catalogue of every event and its payload
 * class, the subjects they travel on, and the body of every HTTP answer (`./http`). Depends on
 * nothing else in Runway.
 */
import 'reflect-metadata';
export * from './vocabulary';
export * from './envelope';
export * from './catalogue';
export * from './subjects';
export * from './validation';
export * from './events/common';
export * from './events/revision.events';
export * from './events/promotion.events';
export * from './events/rollout.events';
export * from './events/cowboy.events';
export * from './events/flag.events';
export * from './events/auth.events';
export * from './agent-permissions';
export * from './schema-patch';
export * from './http';
