/**
 * Keeps each QA branch's deployable revision current. `recompute` runs in the transaction of
 * every landing, status change, fix link and enrichment, under the branch's lock; it walks
 * from the last deployable revision to the first blocker and, when the frontier moves,
 * publishes `qa-passed` with the range. `explain` answers what blocks and who must act.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Events, type RevisionRef } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { RUNWAY_ENV } from '@runway/platform';
import type { QaGateEnv } from '../config';
import { computeDeployable, DeployableWalk, nextAction, type DeployableResult, type RevisionQa } from './deployable';
import { RevisionsRepository } from './revisions.repository';

/** The walk reads a few rows first (the blocker is usually close), then more and more. */
const FIRST_CHUNK = 64;
const MAX_CHUNK = 4096;
/** A qa-passed event lists at most this many revisions (plus every DB one), to stay small on the wire. */
export const MAX_RANGE_LISTED = 2000;

@Injectable()
export class DeployableService {
  constructor(
    @Inject(RevisionsRepository) private readonly repo: RevisionsRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: QaGateEnv,
  ) {}

  isQaBranch(branch: string): boolean {
    return branch === this.env.QA_BRANCH;
  }

  /**
   * Call with the branch locked. Returns what the walk found. A caller that has just read the
   * branch's state passes it, to spare a round trip.
   */
  async recompute(
    em: EntityManager,
    branch: string,
    known?: { deployableRevno: number | null; deployableSha: string | null; lastLandedRevno: number },
  ): Promise<DeployableResult> {
    const state = known ?? (await this.stateOf(em, branch));
    const from = state.deployableRevno ?? 0;
    const walk = new DeployableWalk(state.lastLandedRevno);
    for (let cursor = from, size = FIRST_CHUNK; ; size = Math.min(size * 4, MAX_CHUNK)) {
      const chunk = await this.repo.walkChunk(em, branch, cursor, size);
      if (chunk.length === 0 || !walk.feed(chunk) || chunk.length < size) break;
      cursor = chunk[chunk.length - 1].revno;
    }
    const result = walk.finish();
    const d = result.deployable;
    if (d && d.revno > from) {
      await this.repo.saveDeployable(em, branch, d.revno, d.sha);
      const listed = shorten(result.range);
      await this.outbox.enqueue(em, Events.QaPassed, {
        branch, sha: d.sha, revno: d.revno, previousSha: state.deployableSha ?? undefined, range: listed,
        rangeCount: result.range.length, containsDbRevision: result.range.some((r) => r.db),
      });
    }
    return result;
  }

  private async stateOf(em: EntityManager, branch: string) {
    const s = await this.repo.branchState(em, branch);
    return {
      deployableRevno: s?.deployableRevno ?? null, deployableSha: s?.deployableSha ?? null,
      lastLandedRevno: s?.tipRevno ?? (await this.repo.maxRevno(em, branch)),
    };
  }

  async explain(branch = this.env.QA_BRANCH) {
    const state = await this.repo.branchState(null, branch);
    const from = state?.deployableRevno ?? 0;
    const window = await this.repo.walkChunk(null, branch, from, 5000);
    const current = computeDeployable(window);
    const action = nextAction(window, current);
    const b = current.blocker;
    const blockerRev = b ? await this.repo.getByRevno(branch, b.revno) : null;
    const waitingSince = blockerRev ? (blockerRev.statusChangedAt ?? blockerRev.landedAt) : null;
    return {
      branch,
      lastPromoted: state?.lastPromotedSha
        ? { revno: state.lastPromotedRevno, sha: state.lastPromotedSha, at: state.lastPromotedAt }
        : null,
      deployable: state?.deployableRevno ? { revno: state.deployableRevno, sha: state.deployableSha } : null,
      tip: state?.tipRevno ? { revno: state.tipRevno, sha: state.tipSha } : null,
      waiting: window.length,
      blocker: b && blockerRev
        ? {
            ...b,
            id: blockerRev.id,
            author: blockerRev.author,
            landedAt: blockerRev.landedAt,
            waitingSeconds: Math.max(0, Math.round((Date.now() - waitingSince!.getTime()) / 1000)),
          }
        : null,
      nextAction: action,
    };
  }
}

/** Keeps the newest revisions of a long range, and every DB revision whatever its age. */
export function shorten(range: RevisionQa[]): RevisionRef[] {
  const refs = range.map((r) => ({ sha: r.sha, revno: r.revno, db: r.db }));
  if (refs.length <= MAX_RANGE_LISTED) return refs;
  const cut = refs.length - MAX_RANGE_LISTED;
  return [...refs.slice(0, cut).filter((r) => r.db), ...refs.slice(cut)];
}
