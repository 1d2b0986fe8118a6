/**
 * The body of every 2xx answer of the four services, and of every error, as TypeBox schemas
 * (JSON Schema) with their static types. The services annotate their routes with these for
 * /docs and return these types; the CLI and the dashboard read answers as these types.
 *
 * Depends on TypeBox and plain constants only: the dashboard imports this module's types
 * (`@runway/contracts/http`) without the decorated event classes of the rest of the library.
 */
export * from './common';
export * from './errors';
export * from './platform';
export * from './qa-gate';
export * from './promotion';
export * from './rollout';
export * from './flags';
export * from './trail';
