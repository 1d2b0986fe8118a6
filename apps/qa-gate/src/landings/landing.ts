/** A revision reported as landed, from buildbot, the generic API or NATS, before it is recorded. */
import type { QaStatus } from '@runway/contracts';

export interface Landing {
  branch: string;
  sha: string;
  revno?: number;
  message?: string | null;
  author?: string | null;
  landedAt: Date;
  buildUrl?: string | null;
  buildId?: number | null;
  reportedBy?: string | null;
  files?: string[];
}

export interface LandingOutcome {
  branch: string;
  sha: string;
  /** True when this call recorded it (or queued it to be read from git); false when it was already there. */
  recorded: boolean;
  /** It waits to be read from git, which decides its revno and the commits it covers. */
  pending?: boolean;
  revno?: number;
  qaStatus?: QaStatus;
  /** Why it was refused (a revno already taken by another revision, say). */
  refused?: string;
}
