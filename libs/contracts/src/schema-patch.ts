/**
 * What makes a change a schema change. qa-gate marks DB revisions by it and promotion decides
 * downtime by it, so both read the same glob the same way: it is part of the contract between
 * them, not a detail of either.
 */

/** Launchpad's schema patches. */
export const DEFAULT_SCHEMA_PATCH_GLOB = 'database/schema/patch-*.sql';

/** Whether a changed path is a schema patch, by a glob (`*` within one directory, `**` across them). */
export function schemaPatchMatcher(glob: string = DEFAULT_SCHEMA_PATCH_GLOB): (path: string) => boolean {
  const re = new RegExp(
    `^${glob.split('**').map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*')}$`,
  );
  return (path) => re.test(path);
}
