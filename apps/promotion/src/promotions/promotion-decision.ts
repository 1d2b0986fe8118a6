/** The promotion rule that needs neither git nor a database. */
import type { DeployKind } from '@runway/contracts';

/** A range holding a schema change needs a downtime deploy; anything else does not. */
export function deployKindFor(containsDbRevision: boolean): DeployKind {
  return containsDbRevision ? 'downtime' : 'no-downtime';
}
