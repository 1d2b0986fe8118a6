/**
 * QA's side of revisions: setting a status (with who, when and why kept, and published as
 * `qa-status-changed`), linking a bad revision to its fix (published too: a change whose
 * status stays and whose `fixedBy` names the fix), and reading revisions with their history.
 * Every change recomputes the branch's deployable revision in the same transaction.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Events } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DomainError } from '@runway/platform';
import { DeployableService } from './deployable.service';
import type { SetQaStatusDto } from './dto/revision.dto';
import type { RevisionEntity } from './revision.entity';
import { RevisionsRepository, type RevisionQuery } from './revisions.repository';

@Injectable()
export class RevisionsService {
  constructor(
    @Inject(RevisionsRepository) private readonly repo: RevisionsRepository,
    @Inject(DeployableService) private readonly deployable: DeployableService,
    @Inject(Outbox) private readonly outbox: Outbox,
  ) {}

  async setStatus(idOrSha: string, dto: SetQaStatusDto, by: string): Promise<RevisionEntity> {
    if (dto.fixedBy && dto.status !== 'bad') {
      throw new DomainError('VALIDATION_FAILED', 'fixedBy: only a bad revision has a fix', { fields: [{ field: 'fixedBy', errors: ['only with status bad'] }] });
    }
    return this.change(idOrSha, by, async (em, rev) => {
      const fix = dto.fixedBy ? await this.link(em, rev, dto.fixedBy, by, rev.qaStatus === dto.status) : null;
      const changed: Partial<RevisionEntity> = fix ? { fixedByRevno: fix.revno } : {};
      if (rev.qaStatus !== dto.status) {
        await this.repo.setStatus(em, rev, dto.status, by, dto.note ?? null);
        await this.outbox.enqueue(em, Events.QaStatusChanged, {
          branch: rev.branch, sha: rev.sha, revno: rev.revno, from: rev.qaStatus, to: dto.status, by, note: dto.note, fixedBy: fix?.sha,
        }, { reason: dto.note });
        Object.assign(changed, { qaStatus: dto.status, statusChangedAt: new Date() });
      }
      return changed;
    });
  }

  /** Links a bad revision to the later revision that fixes it. */
  linkFix(idOrSha: string, fixedBy: string, by: string): Promise<RevisionEntity> {
    return this.change(idOrSha, by, async (em, rev) => ({ fixedByRevno: (await this.link(em, rev, fixedBy, by, true)).revno }));
  }

  /**
   * One transaction: find and lock, read fresh, change, recompute. Every round trip counts here.
   * A change at or below the deployable revision may move it backwards: the recompute knows
   * which revision changed, and who changed it, for the withdrawal it may publish.
   */
  private async change(idOrSha: string, by: string, fn: (em: EntityManager, rev: RevisionEntity) => Promise<Partial<RevisionEntity>>): Promise<RevisionEntity> {
    return this.repo.transaction(async (em) => {
      const id = await this.repo.lockRevision(em, idOrSha);
      if (!id) throw new DomainError('NOT_FOUND', `no revision ${idOrSha}`);
      const rev = (await this.repo.findById(em, id))!;
      const changed = await fn(em, rev);
      const after = { ...rev, ...changed };
      if (this.deployable.isQaBranch(rev.branch)) {
        await this.deployable.recompute(em, rev.branch, { revno: rev.revno, cause: { revno: rev.revno, sha: rev.sha, status: after.qaStatus, by } });
      }
      return after;
    });
  }

  /** Links `rev` to its fix; `announce`: publish the link on its own (no status change carries it). */
  private async link(em: EntityManager, rev: RevisionEntity, fixedBy: string, by: string, announce: boolean): Promise<{ revno: number; sha: string }> {
    const ref = fixedBy.replace(/^r/, '');
    const fix = /^\d{1,6}$/.test(ref) ? await this.repo.findByRevno(em, rev.branch, Number(ref)) : await this.repo.findByShaPrefix(em, rev.branch, fixedBy);
    if (!fix || fix.revno <= rev.revno) {
      throw new DomainError('UNPROCESSABLE', `fixedBy: ${fixedBy} is not a landed revision after r${rev.revno} on ${rev.branch}`, {
        fields: [{ field: 'fixedBy', errors: ['must be a later landed revision'] }],
      });
    }
    await this.repo.linkFix(em, rev.branch, rev.revno, fix.revno);
    const note = `fixed by r${fix.revno}`;
    await this.repo.addHistory(em, rev.id, rev.qaStatus, rev.qaStatus, by, note);
    if (announce) {
      await this.outbox.enqueue(em, Events.QaStatusChanged, {
        branch: rev.branch, sha: rev.sha, revno: rev.revno, from: rev.qaStatus, to: rev.qaStatus, by, note, fixedBy: fix.sha,
      }, { reason: note });
    }
    return { revno: fix.revno, sha: fix.sha };
  }

  /**
   * Production moved. Its revno comes with the event, else from the sha when it is a recorded
   * revision (an adopted or forced move). The deployable revision is decided above it from now
   * on, and what production runs is checked again.
   */
  async promoted(em: EntityManager, branch: string, p: { toRevno?: number; toSha: string; at: Date }): Promise<void> {
    await this.repo.lockBranch(em, branch);
    // A merge promotion's head is Runway's merge commit: what counts here is the stable revision it brought.
    const rev = p.toRevno !== undefined ? await this.repo.findByRevno(em, branch, p.toRevno) : await this.repo.findBySha(em, branch, p.toSha);
    const revno = p.toRevno ?? rev?.revno;
    if (revno === undefined) return;
    await this.repo.savePromoted(em, branch, revno, rev?.sha ?? p.toSha, p.at);
    await this.deployable.recompute(em, branch, { full: true });
  }

  async list(q: RevisionQuery) {
    const items = await this.repo.list(q);
    const last = items[items.length - 1];
    return { items, next: items.length === q.limit && last ? { before: last.revno } : null };
  }

  async get(idOrSha: string) {
    const rev = await this.repo.get(idOrSha);
    if (!rev) throw new DomainError('NOT_FOUND', `no revision ${idOrSha}`);
    const [history, builds] = await Promise.all([this.repo.history(rev.id), this.repo.builds(rev.sha)]);
    return { ...rev, history, builds };
  }
}
