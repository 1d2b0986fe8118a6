/**
 * QA state of landed revisions. Every landing, from any source, arrives as a `revision-landed`
 * event and is recorded once (by branch and sha); after each landing or status change the
 * deployable revision is recomputed and, when it moves forward, `qa-passed` is published.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type CloudEvent, Events, type QaStatus, type RevisionLandedV1 } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DomainError, PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { Logger } from 'pino';
import type { QaGateEnv } from '../config';
import { computeDeployable, readCommitMarkers, type RevisionQa } from './deployable';
import type { LandRevisionDto, SetQaStatusDto } from './dto/revision.dto';
import type { RevisionEntity } from './revision.entity';
import { RevisionsRepository } from './revisions.repository';

@Injectable()
export class RevisionsService {
  constructor(
    @Inject(RevisionsRepository) private readonly repo: RevisionsRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: QaGateEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  /** A landing reported over HTTP becomes a `revision-landed` event, like one published on NATS. */
  async acceptLanding(dto: LandRevisionDto, reportedBy: string): Promise<{ eventId: string }> {
    const data: RevisionLandedV1 = {
      branch: dto.branch, sha: dto.sha, revno: dto.revno, message: dto.message, author: dto.author,
      landedAt: dto.landedAt ?? new Date().toISOString(), buildUrl: dto.buildUrl, reportedBy,
    };
    const event = await this.repo.transaction((em) => this.outbox.enqueue(em, Events.RevisionLanded, data));
    return { eventId: event.id };
  }

  /** Records a landing once; re-sent landings (same branch and sha) change nothing. */
  async recordLanding(event: CloudEvent<RevisionLandedV1>, em: EntityManager): Promise<void> {
    const d = event.data;
    await this.repo.lockBranch(em, d.branch);
    if (await this.repo.findBySha(em, d.branch, d.sha)) return;
    const revno = d.revno ?? (await this.repo.maxRevno(em, d.branch)) + 1;
    const clash = await this.repo.findByRevno(em, d.branch, revno);
    if (clash) {
      throw new DomainError('CONFLICT', `r${revno} on ${d.branch} is already ${clash.sha}, not ${d.sha}`, undefined, false);
    }
    const markers = readCommitMarkers(d.message);
    const rev = await this.repo.insert(em, {
      branch: d.branch, revno, sha: d.sha, message: d.message ?? null, author: d.author ?? null, landedAt: new Date(d.landedAt),
      buildUrl: d.buildUrl ?? null, reportedBy: d.reportedBy ?? null, qaStatus: markers.noQa ? 'no-qa' : 'needs-testing', db: false,
      fixedByRevno: null,
    });
    if (markers.rollbackOf) {
      const target = 'revno' in markers.rollbackOf
        ? await this.repo.findByRevno(em, d.branch, markers.rollbackOf.revno)
        : await this.repo.findByShaPrefix(em, d.branch, markers.rollbackOf.sha);
      if (target && target.revno < revno) await this.repo.setFixedBy(em, target.id, revno);
      else this.logger.warn({ sha: d.sha, rollbackOf: markers.rollbackOf }, 'rollback marker names no earlier revision on this branch');
    }
    if (markers.noQa) {
      await this.outbox.enqueue(em, Events.QaStatusChanged, { branch: rev.branch, sha: rev.sha, revno, to: 'no-qa', by: 'commit message' });
    }
    if (d.branch === this.env.QA_BRANCH) await this.recompute(em, d.branch);
  }

  async setStatus(idOrSha: string, dto: SetQaStatusDto, by: string): Promise<RevisionEntity> {
    const found = await this.repo.get(idOrSha);
    if (!found) throw new DomainError('NOT_FOUND', `no revision ${idOrSha}`);
    return this.repo.transaction(async (em) => {
      await this.repo.lockBranch(em, found.branch);
      const rev = (await this.repo.findBySha(em, found.branch, found.sha))!;
      if (dto.fixedBy) {
        if (dto.status !== 'bad') throw new DomainError('VALIDATION_FAILED', 'fixedBy: only a bad revision has a fix', { fields: [{ field: 'fixedBy', errors: ['only with status bad'] }] });
        const ref = dto.fixedBy.replace(/^r/, '');
        const fix = /^\d{1,9}$/.test(ref) && ref.length < 7
          ? await this.repo.findByRevno(em, rev.branch, Number(ref))
          : await this.repo.findByShaPrefix(em, rev.branch, dto.fixedBy);
        if (!fix || fix.revno <= rev.revno) throw new DomainError('UNPROCESSABLE', `fixedBy: ${dto.fixedBy} is not a later revision on ${rev.branch}`);
        await this.repo.setFixedBy(em, rev.id, fix.revno);
      }
      if (rev.qaStatus !== dto.status) {
        await this.repo.setStatus(em, rev, dto.status, by, dto.note ?? null);
        await this.outbox.enqueue(em, Events.QaStatusChanged, {
          branch: rev.branch, sha: rev.sha, revno: rev.revno, from: rev.qaStatus, to: dto.status, by, note: dto.note, fixedBy: undefined,
        });
      }
      if (rev.branch === this.env.QA_BRANCH) await this.recompute(em, rev.branch);
      return (await this.repo.findBySha(em, rev.branch, rev.sha))!;
    });
  }

  /** Recomputes the branch's deployable revision; publishes `qa-passed` when it moves forward. */
  private async recompute(em: EntityManager, branch: string): Promise<void> {
    const state = await this.repo.branchState(em, branch);
    const from = state?.deployableRevno ?? 0;
    const candidates = await this.repo.above(em, branch, from);
    const { deployable, range } = computeDeployable(candidates.map(toQa));
    if (!deployable) return;
    await this.repo.saveBranchState(em, { branch, deployableRevno: deployable.revno, deployableSha: deployable.sha, updatedAt: new Date() });
    await this.outbox.enqueue(em, Events.QaPassed, {
      branch, sha: deployable.sha, revno: deployable.revno, previousSha: state?.deployableSha ?? undefined,
      range: range.map((r) => ({ sha: r.sha, revno: r.revno, db: r.db })),
      containsDbRevision: range.some((r) => r.db),
    });
  }

  async deployable(branch = this.env.QA_BRANCH) {
    const state = await this.repo.branchState(null, branch);
    const candidates = await this.repo.transaction((em) => this.repo.above(em, branch, state?.deployableRevno ?? 0));
    const { blocker } = computeDeployable(candidates.map(toQa));
    return {
      branch,
      deployable: state?.deployableRevno ? { revno: state.deployableRevno, sha: state.deployableSha } : null,
      waiting: candidates.length,
      blocker,
    };
  }

  list = this.repo.list.bind(this.repo);

  async get(idOrSha: string) {
    const rev = await this.repo.get(idOrSha);
    if (!rev) throw new DomainError('NOT_FOUND', `no revision ${idOrSha}`);
    return { ...rev, history: await this.repo.history(rev.id) };
  }

  async statusOf(idOrSha: string): Promise<QaStatus> {
    return (await this.get(idOrSha)).qaStatus;
  }
}

function toQa(r: RevisionEntity): RevisionQa {
  return { revno: r.revno, sha: r.sha, status: r.qaStatus, fixedByRevno: r.fixedByRevno, db: r.db };
}
