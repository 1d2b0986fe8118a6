/**
 * Recording landings, from every source, in batches: each batch is one transaction per branch
 * under the branch's lock. A revision is recorded once per branch (by sha); re-sent landings
 * change nothing. Commit markers are read from the message when it is known; the enricher
 * reads them from git otherwise. Publishes `revision-landed` for what it recorded, the QA
 * tip for the QA environments, and `qa-passed` when the frontier moves.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { Events, type QaStatus } from '@runway/contracts';
import { Outbox, type OutgoingEvent } from '@runway/messaging';
import { PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { QaGateEnv } from '../config';
import { dbPatchMatcher, readCommitMarkers } from '../revisions/deployable';
import { DeployableService } from '../revisions/deployable.service';
import { type NewRevision, RevisionsRepository } from '../revisions/revisions.repository';
import type { Landing, LandingOutcome } from './landing';

@Injectable()
export class LandingsService {
  private readonly isDbPatch: (path: string) => boolean;

  constructor(
    @Inject(RevisionsRepository) private readonly repo: RevisionsRepository,
    @Inject(DeployableService) private readonly deployable: DeployableService,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: QaGateEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {
    this.isDbPatch = dbPatchMatcher(env.QA_DB_PATCH_PATTERN);
  }

  get gitEnabled(): boolean {
    return Boolean(this.env.QA_GIT_REPOSITORY);
  }

  /** Records landings in the caller's transaction; outcomes come back in the same order. */
  async record(em: EntityManager, landings: Landing[]): Promise<LandingOutcome[]> {
    const outcomes = new Map<Landing, LandingOutcome>();
    const byBranch = new Map<string, Landing[]>();
    for (const l of landings) byBranch.set(l.branch, [...(byBranch.get(l.branch) ?? []), l]);
    for (const [branch, list] of byBranch) {
      for (const [l, o] of await this.recordOnBranch(em, branch, list)) outcomes.set(l, o);
    }
    return landings.map((l) => outcomes.get(l)!);
  }

  private async recordOnBranch(em: EntityManager, branch: string, landings: Landing[]): Promise<Map<Landing, LandingOutcome>> {
    await this.repo.lockBranch(em, branch);
    const out = new Map<Landing, LandingOutcome>();
    const context = await this.repo.landingContext(em, branch, landings.map((l) => l.sha), landings.flatMap((l) => (l.revno ? [l.revno] : [])));
    const { existing, taken, state } = context;
    let max = context.max;
    const fresh: { landing: Landing; row: NewRevision }[] = [];
    const inBatch = new Map<string, number>();
    for (const l of landings) {
      const known = existing.get(l.sha) ?? inBatch.get(l.sha);
      if (known !== undefined) {
        out.set(l, { branch, sha: l.sha, recorded: false, revno: known });
        continue;
      }
      const revno = l.revno ?? max + 1;
      if (taken.has(revno) || [...inBatch.values()].includes(revno) || revno <= 0) {
        out.set(l, { branch, sha: l.sha, recorded: false, refused: `r${revno} on ${branch} is already ${taken.get(revno) ?? 'taken'}` });
        continue;
      }
      max = Math.max(max, revno);
      inBatch.set(l.sha, revno);
      const markers = readCommitMarkers(l.message);
      const status: QaStatus = markers.noQa ? 'no-qa' : 'needs-testing';
      const files = l.files ?? null;
      fresh.push({
        landing: l,
        row: {
          branch, revno, sha: l.sha, message: l.message ?? null, author: l.author ?? null, landedAt: l.landedAt, buildUrl: l.buildUrl ?? null,
          buildId: l.buildId ?? null, reportedBy: l.reportedBy ?? null, qaStatus: status, db: (files ?? []).some(this.isDbPatch),
          changedFiles: files, enriched: !this.gitEnabled,
        },
      });
      out.set(l, { branch, sha: l.sha, recorded: true, revno, qaStatus: status });
    }
    if (fresh.length === 0) return out;
    fresh.sort((a, b) => a.row.revno - b.row.revno);
    await this.repo.insertRevisions(em, fresh.map((f) => f.row));

    const events: OutgoingEvent[] = [];
    for (const { landing: l, row } of fresh) {
      events.push({
        def: Events.RevisionLanded,
        data: {
          branch, sha: l.sha, revno: row.revno, message: l.message ?? undefined, author: l.author ?? undefined, landedAt: l.landedAt.toISOString(),
          buildUrl: l.buildUrl ?? undefined, reportedBy: l.reportedBy ?? undefined, buildId: l.buildId ?? undefined,
        },
      });
      if (row.qaStatus === 'no-qa') {
        events.push({ def: Events.QaStatusChanged, data: { branch, sha: l.sha, revno: row.revno, to: 'no-qa', by: 'commit message' } });
      }
      await this.applyRollbackMarker(em, branch, row.revno, l.message);
    }
    if (this.deployable.isQaBranch(branch)) {
      const tip = fresh[fresh.length - 1].row;
      if (!state?.tip_revno || tip.revno > state.tip_revno) {
        await this.repo.saveTip(em, branch, tip.revno, tip.sha);
        events.push({
          def: Events.QaTipMoved,
          data: { branch, sha: tip.sha, revno: tip.revno, previousSha: state?.tip_sha ?? undefined, containsDbRevision: fresh.some((f) => f.row.db) },
        });
      }
      await this.outbox.enqueueMany(em, events);
      await this.deployable.recompute(em, branch, {
        deployableRevno: state?.deployable_revno ?? null, deployableSha: state?.deployable_sha ?? null, lastLandedRevno: max,
      });
      return out;
    }
    await this.outbox.enqueueMany(em, events);
    return out;
  }

  /** `[rollback=<revno|sha>]` in `revno`'s message: it fixes that earlier revision. Call with the branch locked. */
  async applyRollbackMarker(em: EntityManager, branch: string, revno: number, message: string | null | undefined): Promise<void> {
    const { rollbackOf } = readCommitMarkers(message);
    if (!rollbackOf) return;
    const target = 'revno' in rollbackOf
      ? await this.repo.findByRevno(em, branch, rollbackOf.revno)
      : await this.repo.findByShaPrefix(em, branch, rollbackOf.sha);
    if (!target || target.revno >= revno) {
      this.logger.warn({ branch, revno, rollbackOf }, 'rollback marker names no earlier revision on this branch');
      return;
    }
    if (target.fixedByRevno === null) await this.repo.linkFix(em, branch, target.revno, revno);
  }
}
