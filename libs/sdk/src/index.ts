/**
 * Runway feature flags for applications and for Runway's own services: the rule model, the
 * rules-as-text format, the evaluator, and (for applications) a client kept current over NATS
 * and an OpenFeature provider.
 */
export * from './rules';
export * from './rules-text';
export * from './murmur3';
export * from './evaluator';
export * from './client';
export * from './provider';
