/**
 * Recording landings, from every source, in batches: each batch is one transaction per branch
 * under the branch's lock. A revision is recorded once per branch (by sha); re-sent landings
 * change nothing.
 *
 * With a repository, landings on the QA branch follow git: a landing is queued, and the
 * history reader places it on the branch's first-parent history. Every first-parent commit
 * between the recorded tip and the landed one becomes a revision of its own, numbered by its
 * first-parent position, with its own markers and DB detection, naming the landing that
 * brought it (buildbot collapses builds, so one landing may cover several). Without a
 * repository, or on other branches, a landing is recorded as reported: its revno as given,
 * else the next one.
 *
 * Publishes `revision-landed` for each revision recorded, the QA tip for the QA environments,
 * and lets the deployable revision move.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { Events, type QaStatus, schemaPatchMatcher } from '@runway/contracts';
import { Outbox, type OutgoingEvent } from '@runway/messaging';
import { PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { QaGateEnv } from '../config';
import type { CommitInfo } from '../git/git.repository';
import { readCommitMarkers } from '../revisions/deployable';
import { DeployableService } from '../revisions/deployable.service';
import { type NewRevision, RevisionsRepository } from '../revisions/revisions.repository';
import type { Landing, LandingOutcome } from './landing';
import type { LandingEntity } from './landing.entity';
import { LandingsRepository } from './landings.repository';

@Injectable()
export class LandingsService {
  private readonly isDbPatch: (path: string) => boolean;

  constructor(
    @Inject(RevisionsRepository) private readonly repo: RevisionsRepository,
    @Inject(LandingsRepository) private readonly queue: LandingsRepository,
    @Inject(DeployableService) private readonly deployable: DeployableService,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: QaGateEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {
    this.isDbPatch = schemaPatchMatcher(env.QA_DB_PATCH_PATTERN);
  }

  get gitEnabled(): boolean {
    return Boolean(this.env.QA_GIT_REPOSITORY);
  }

  /** Whether landings on `branch` wait for git to place them on its first-parent history. */
  followsGit(branch: string): boolean {
    return this.gitEnabled && this.deployable.isQaBranch(branch);
  }

  /** Records landings in the caller's transaction; outcomes come back in the same order. */
  async record(em: EntityManager, landings: Landing[]): Promise<LandingOutcome[]> {
    const outcomes = new Map<Landing, LandingOutcome>();
    const byBranch = new Map<string, Landing[]>();
    for (const l of landings) byBranch.set(l.branch, [...(byBranch.get(l.branch) ?? []), l]);
    for (const [branch, list] of byBranch) {
      await this.repo.lockBranch(em, branch);
      const done = this.followsGit(branch) ? await this.enqueue(em, branch, list) : await this.recordAsReported(em, branch, list);
      for (const [l, o] of done) outcomes.set(l, o);
    }
    return landings.map((l) => outcomes.get(l)!);
  }

  /** Queues landings for the history reader; a sha already recorded answers with its revno. */
  private async enqueue(em: EntityManager, branch: string, landings: Landing[]): Promise<Map<Landing, LandingOutcome>> {
    const out = new Map<Landing, LandingOutcome>();
    const { existing } = await this.repo.landingContext(em, branch, landings.map((l) => l.sha), []);
    const fresh = new Map<string, Landing>();
    for (const l of landings) if (!existing.has(l.sha) && !fresh.has(l.sha)) fresh.set(l.sha, l);
    const queued = await this.queue.queue(em, [...fresh.values()].map((l) => ({
      branch, sha: l.sha, claimedRevno: l.revno ?? null, author: l.author ?? null, landedAt: l.landedAt, buildUrl: l.buildUrl ?? null,
      buildId: l.buildId ?? null, reportedBy: l.reportedBy ?? null,
    })));
    const claimed = new Set<string>();
    for (const l of landings) {
      const revno = existing.get(l.sha);
      if (revno !== undefined) {
        out.set(l, { branch, sha: l.sha, recorded: false, revno });
        continue;
      }
      const q = queued.get(l.sha)!;
      const first = q.queued && !claimed.has(l.sha);
      claimed.add(l.sha);
      if (q.state === 'refused') out.set(l, { branch, sha: l.sha, recorded: false, refused: q.reason ?? `${l.sha} was refused` });
      else out.set(l, { branch, sha: l.sha, recorded: first, pending: true });
    }
    return out;
  }

  /** Without git to ask: the revno as reported, else the next one. */
  private async recordAsReported(em: EntityManager, branch: string, landings: Landing[]): Promise<Map<Landing, LandingOutcome>> {
    const out = new Map<Landing, LandingOutcome>();
    const context = await this.repo.landingContext(em, branch, landings.map((l) => l.sha), landings.flatMap((l) => (l.revno ? [l.revno] : [])));
    const { existing, taken, state } = context;
    let max = context.max;
    const fresh: NewRevision[] = [];
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
      const status: QaStatus = readCommitMarkers(l.message).noQa ? 'no-qa' : 'needs-testing';
      const files = l.files ?? null;
      fresh.push({
        branch, revno, sha: l.sha, message: l.message ?? null, author: l.author ?? null, landedAt: l.landedAt, buildUrl: l.buildUrl ?? null,
        buildId: l.buildId ?? null, reportedBy: l.reportedBy ?? null, qaStatus: status, db: (files ?? []).some(this.isDbPatch),
        changedFiles: files, enriched: !this.gitEnabled,
      });
      out.set(l, { branch, sha: l.sha, recorded: true, revno, qaStatus: status });
    }
    await this.commit(em, branch, fresh, { tipRevno: state?.tip_revno ?? null, tipSha: state?.tip_sha ?? null, lastLandedRevno: max });
    return out;
  }

  /**
   * Records what git said a landing covers, in the caller's transaction with the branch
   * locked: `commits` are the first-parent commits after the recorded tip, oldest first, the
   * first numbered `firstRevno`. The landed commit keeps the author buildbot named.
   */
  async recordFromGit(em: EntityManager, branch: string, parts: { landing: LandingEntity; firstRevno: number; commits: CommitInfo[] }[]): Promise<void> {
    const rows: NewRevision[] = [];
    for (const { landing, firstRevno, commits } of parts) {
      commits.forEach((c, i) => {
        const landed = i === commits.length - 1;
        rows.push({
          branch, revno: firstRevno + i, sha: c.sha, message: c.message, author: (landed ? landing.author : null) ?? c.author, landedAt: landing.landedAt,
          buildUrl: landing.buildUrl, buildId: landing.buildId, reportedBy: landing.reportedBy, qaStatus: readCommitMarkers(c.message).noQa ? 'no-qa' : 'needs-testing',
          db: c.files.some(this.isDbPatch), changedFiles: c.files, parents: c.parents, enriched: true, landedWith: commits[commits.length - 1].sha,
          brings: c.brought,
        });
      });
    }
    const state = await this.repo.branchState(em, branch);
    const max = rows.length ? rows[rows.length - 1].revno : (state?.tipRevno ?? 0);
    await this.commit(em, branch, rows, { tipRevno: state?.tipRevno ?? null, tipSha: state?.tipSha ?? null, lastLandedRevno: max });
  }

  /** Inserts new revisions in revno order and publishes what follows from them. */
  private async commit(em: EntityManager, branch: string, fresh: NewRevision[], state: { tipRevno: number | null; tipSha: string | null; lastLandedRevno: number }): Promise<void> {
    if (fresh.length === 0) return;
    fresh.sort((a, b) => a.revno - b.revno);
    await this.repo.insertRevisions(em, fresh);

    const events: OutgoingEvent[] = [];
    for (const row of fresh) {
      events.push({
        def: Events.RevisionLanded,
        data: {
          branch, sha: row.sha, revno: row.revno, message: row.message ?? undefined, author: row.author ?? undefined, landedAt: row.landedAt.toISOString(),
          buildUrl: row.buildUrl ?? undefined, reportedBy: row.reportedBy ?? undefined, buildId: row.buildId ?? undefined,
          landedWith: row.landedWith && row.landedWith !== row.sha ? row.landedWith : undefined,
          brings: row.brings?.length ? row.brings : undefined,
        },
        // The landing is the reporter's act (buildbot's token), whenever git lets Runway record it.
        opts: { actor: { name: row.reportedBy ?? 'buildbot', kind: 'token' } },
      });
      if (row.qaStatus === 'no-qa') {
        events.push({ def: Events.QaStatusChanged, data: { branch, sha: row.sha, revno: row.revno, to: 'no-qa', by: 'commit message' } });
      }
      await this.applyRollbackMarker(em, branch, row.revno, row.message);
    }
    if (!this.deployable.isQaBranch(branch)) {
      await this.outbox.enqueueMany(em, events);
      return;
    }
    const tip = fresh[fresh.length - 1];
    if (!state.tipRevno || tip.revno > state.tipRevno) {
      await this.repo.saveTip(em, branch, tip.revno, tip.sha);
      events.push({
        def: Events.QaTipMoved,
        data: { branch, sha: tip.sha, revno: tip.revno, previousSha: state.tipSha ?? undefined, containsDbRevision: fresh.some((f) => f.db) },
      });
    }
    await this.outbox.enqueueMany(em, events);
    await this.deployable.recompute(em, branch);
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
