/**
 * Keeps each QA branch's deployable revision current. `recompute` runs in the transaction of
 * every landing, status change, fix link, enrichment and promotion, under the branch's lock.
 *
 * The deployable revision is decided above the last promoted one. A change above the current
 * deployable revision can only move it forward, so the walk starts there; a change at or below
 * it (a late `bad`, a mark back to `needs-testing`, a new promotion) walks again from the last
 * promoted revision, and may move it backwards. Forward, `qa-passed` carries the new range;
 * backwards, `approval-withdrawn` tells promotion to drop what it has not acted on. Each takes
 * the branch's next decision number (`seq`), so promotion can order them however they arrive.
 *
 * Every recompute also checks what production runs: a bad revision at or below the last
 * promoted one, with no passing fix in production, is announced (`production-qa-changed`)
 * until it is fixed there. `explain` answers what blocks and who must act.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Events, type PayloadOf, type QaStatus, type RevisionRef, RUNWAY_ACTOR } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { RUNWAY_ENV } from '@runway/platform';
import type { QaGateEnv } from '../config';
import { LandingsRepository } from '../landings/landings.repository';
import { badInProduction, computeDeployable, DeployableWalk, nextAction, type DeployableResult, type RevisionQa } from './deployable';
import { RevisionsRepository } from './revisions.repository';

/** The walk reads a few rows first (the blocker is usually close), then more and more. */
const FIRST_CHUNK = 64;
const MAX_CHUNK = 4096;
/** A qa-passed event lists at most this many revisions (plus every DB one), to stay small on the wire. */
export const MAX_RANGE_LISTED = 2000;

/** What changed, so the walk knows where it may start. */
export interface Change {
  /** The revision whose status or fix changed; at or below the deployable one, the walk starts again from the last promoted. */
  revno?: number;
  /** Walk again from the last promoted revision whatever changed (production moved). */
  full?: boolean;
  /** Who changed what, for a withdrawal's reason. */
  cause?: { revno: number; sha: string; status: QaStatus; by: string };
}

interface Ref {
  revno: number;
  sha: string;
}

/**
 * What the deployable revision does is Runway's decision, whoever's mark or landing prompted it
 * (the trail links the two by correlation id): its events are by Runway.
 */
const DECIDED = { actor: RUNWAY_ACTOR };

@Injectable()
export class DeployableService {
  constructor(
    @Inject(RevisionsRepository) private readonly repo: RevisionsRepository,
    @Inject(LandingsRepository) private readonly landings: LandingsRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: QaGateEnv,
  ) {}

  isQaBranch(branch: string): boolean {
    return branch === this.env.QA_BRANCH;
  }

  /** Call with the branch locked. Returns what the walk found. */
  async recompute(em: EntityManager, branch: string, change: Change = {}): Promise<DeployableResult> {
    const s = await this.repo.branchState(em, branch);
    const lastLanded = s?.tipRevno ?? (await this.repo.maxRevno(em, branch));
    const production: Ref | null = s?.lastPromotedRevno != null && s.lastPromotedSha ? { revno: s.lastPromotedRevno, sha: s.lastPromotedSha } : null;
    const base = production?.revno ?? 0;
    const approved: Ref | null = s?.deployableRevno != null && s.deployableSha ? { revno: s.deployableRevno, sha: s.deployableSha } : null;
    // What production runs is deployable by definition: the frontier is never below it.
    const current = approved && approved.revno >= base ? approved : production;
    const full = change.full === true || (change.revno !== undefined && current !== null && change.revno <= current.revno) || current !== approved;
    const from = full ? base : (current?.revno ?? 0);

    const walk = new DeployableWalk(lastLanded);
    for (let cursor = from, size = FIRST_CHUNK; ; size = Math.min(size * 4, MAX_CHUNK)) {
      const chunk = await this.repo.walkChunk(em, branch, cursor, size);
      if (chunk.length === 0 || !walk.feed(chunk) || chunk.length < size) break;
      cursor = chunk[chunk.length - 1].revno;
    }
    const result = walk.finish();
    const found: Ref | null = result.deployable ? { revno: result.deployable.revno, sha: result.deployable.sha } : full ? production : current;
    let seq = s?.seq ?? 0;

    if (found && found.revno > (current?.revno ?? 0)) {
      const range = result.range.filter((r) => r.revno > (current?.revno ?? 0));
      await this.repo.saveDeployable(em, branch, found, ++seq);
      await this.outbox.enqueue(em, Events.QaPassed, {
        branch, sha: found.sha, revno: found.revno, previousSha: current?.sha, range: shorten(range),
        rangeCount: range.length, containsDbRevision: range.some((r) => r.db), seq,
      }, DECIDED);
    } else if (current && approved && current === approved && (found?.revno ?? 0) < current.revno && current.revno > base) {
      await this.repo.saveDeployable(em, branch, found, ++seq);
      await this.outbox.enqueue(em, Events.ApprovalWithdrawn, this.withdrawal(branch, seq, found, current, production, result, change), DECIDED);
    } else if (current !== approved) {
      // Production moved past the approved revision (or there was none): the frontier starts there.
      await this.repo.saveDeployable(em, branch, current, seq);
    }

    if (this.isQaBranch(branch)) seq = await this.checkProduction(em, branch, production, s?.productionBad ?? [], seq);
    return result;
  }

  private withdrawal(
    branch: string, seq: number, now: Ref | null, was: Ref, production: Ref | null, result: DeployableResult, change: Change,
  ): PayloadOf<typeof Events.ApprovalWithdrawn> {
    const b = result.blocker;
    // The walk started from the last promoted revision, so its range is what the new deployable one would ship.
    const range = now && now.revno > (production?.revno ?? 0) ? result.range : [];
    const cause = change.cause ?? (b ? { revno: b.revno, sha: b.sha, status: b.status, by: 'runway' } : { revno: was.revno, sha: was.sha, status: 'needs-testing' as QaStatus, by: 'runway' });
    return {
      branch, seq, ...(now ? { revno: now.revno, sha: now.sha } : {}), previousSha: production?.sha, range: shorten(range), containsDbRevision: range.some((r) => r.db),
      withdrawnRevno: was.revno, withdrawnSha: was.sha,
      cause: { revno: cause.revno, sha: cause.sha, db: false }, causeStatus: cause.status, by: cause.by,
      reason: `r${cause.revno} is ${cause.status} (marked by ${cause.by}): ${b?.reason ?? 'it no longer passes'}; r${was.revno} is no longer deployable${now ? `, r${now.revno} is` : ''}`,
    };
  }

  /** Announces what production runs that QA found bad, when that changed. Returns the decision number. */
  private async checkProduction(em: EntityManager, branch: string, production: Ref | null, before: unknown[], seq: number): Promise<number> {
    const rows = production ? await this.repo.badInProduction(em, branch, production.revno) : [];
    const bad = badInProduction(rows.map((r) => ({ revno: r.revno, sha: r.sha, fixedByRevno: r.fixed_by_revno, fixStatus: r.fix_status })), production?.revno ?? 0);
    if (JSON.stringify(bad) === JSON.stringify(before)) return seq;
    await this.repo.saveProductionBad(em, branch, bad, ++seq);
    await this.outbox.enqueue(em, Events.ProductionQaChanged, {
      branch, seq, productionRevno: production?.revno, productionSha: production?.sha, bad,
    }, DECIDED);
    return seq;
  }

  async explain(branch = this.env.QA_BRANCH) {
    const state = await this.repo.branchState(null, branch);
    const from = state?.deployableRevno ?? state?.lastPromotedRevno ?? 0;
    const window = await this.repo.walkChunk(null, branch, from, 5000);
    const current = computeDeployable(window);
    const action = nextAction(window, current);
    const b = current.blocker;
    const blockerRev = b ? await this.repo.getByRevno(branch, b.revno) : null;
    const waitingSince = blockerRev ? (blockerRev.statusChangedAt ?? blockerRev.landedAt) : null;
    const landings = this.isQaBranch(branch) ? await this.landings.open(branch) : { pending: 0, oldestPending: null, refused: [] };
    const seconds = (since: Date) => Math.max(0, Math.round((Date.now() - since.getTime()) / 1000));
    // Past the last recorded revision, what holds the branch is a landing git has not placed, or refused.
    const refused = landings.refused[0];
    const waiting = landings.oldestPending;
    const landingBlocker = refused
      ? {
          kind: 'landing-refused' as const, actor: 'operator' as const, revno: null, sha: refused.sha, landingId: refused.id, status: null,
          reason: `${refused.reason ?? `${refused.sha.slice(0, 10)} was refused`}; an operator must set ${branch} right in the repository, or dismiss this landing`,
          author: refused.author, landedAt: refused.landedAt, waitingSeconds: seconds(refused.resolvedAt ?? refused.receivedAt),
        }
      : waiting
        ? {
            kind: 'landing-pending' as const, actor: 'runway' as const, revno: null, sha: waiting.sha, landingId: waiting.id, status: null,
            reason: `the landing of ${waiting.sha.slice(0, 10)} waits to be read from git${waiting.reason ? ` (${waiting.reason})` : ''}`,
            author: waiting.author, landedAt: waiting.landedAt, waitingSeconds: seconds(waiting.receivedAt),
          }
        : null;
    const productionBad = state?.productionBad ?? [];
    const walkBlocker = b && blockerRev
      ? { ...b, id: blockerRev.id, author: blockerRev.author, landedAt: blockerRev.landedAt, waitingSeconds: seconds(waitingSince!) }
      : null;
    // A rewritten branch comes first: until an operator sets it right nothing new can land. Then
    // the first revision QA's walk stops at; then a landing git has not placed yet.
    const blockers = [refused ? landingBlocker : null, walkBlocker, refused ? null : landingBlocker].filter((x) => x !== null);
    const refusedAction = refused && landingBlocker
      ? { description: `Operator: ${landingBlocker.reason}`, actor: 'operator' as const, revno: null, wouldMakeDeployable: null, wouldRelease: 0 }
      : null;
    return {
      branch,
      lastPromoted: state?.lastPromotedSha
        ? { revno: state.lastPromotedRevno, sha: state.lastPromotedSha, at: state.lastPromotedAt }
        : null,
      deployable: state?.deployableRevno ? { revno: state.deployableRevno, sha: state.deployableSha } : null,
      tip: state?.tipRevno ? { revno: state.tipRevno, sha: state.tipSha } : null,
      waiting: window.length,
      blocker: blockers[0] ?? null,
      /** Everything that blocks, most urgent first (the first is `blocker`). */
      blockers,
      nextAction: refusedAction ?? action,
      /** Production runs a revision QA found bad: who must act, for each. */
      productionRunsBad: productionBad.length ? { revisions: productionBad, actor: productionBad[0].actor, reason: productionBad[0].reason } : null,
      landings: { pending: landings.pending, refused: landings.refused.map((l) => ({ id: l.id, sha: l.sha, reason: l.reason, buildId: l.buildId, at: l.resolvedAt })) },
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
