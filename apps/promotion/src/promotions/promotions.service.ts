/**
 * Moves production-stable in the real repository the moment QA approves, and never backwards.
 * What to do is decided by `decide` (promotion-decision.ts) from the facts gathered here; this
 * class does the I/O: Postgres, git, and the events in and out.
 *
 * Every change goes through `advance`, under the production branch's advisory lock (so
 * replicas take turns), after fetching the remote:
 *   1. If the remote branch moved without us (a person, or a push whose record a crash lost),
 *      a forward move is adopted and announced; anything else holds.
 *   2. Security fixes not yet in production go first, even when locked or frozen.
 *   3. Approvals QA withdrew are dropped; unless locked or frozen, the newest live approval
 *      goes: a fast-forward when production is its ancestor; otherwise a merge commit made by
 *      Runway, so no security fix is ever dropped; on a conflict, nothing is pushed and the
 *      promotion is held with the reason.
 * Whether a move needs downtime is read from git: the paths it changes. The push is a
 * compare-and-set on the remote ref. The promotion, its `promoted` event and the approvals it
 * ships commit together. If git cannot be reached, approvals wait and are retried.
 *
 * Without a repository (`PROMOTION_GIT_REMOTE` unset), promotions, security fixes included, are
 * recorded and announced as they would be made; an approval is held while production carries a
 * fix nobody has confirmed merged back, since nothing can tell whether the approval has it.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import {
  type ApprovalWithdrawnV1, type CloudEvent, type DeployKind, Events, type HoldReason, type ProductionQaChangedV1, type PromotionCause, type QaPassedV1,
  type PromotionStatus, type RevisionLandedV1, type RevisionRef, schemaPatchMatcher,
} from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DomainError, PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { PromotionEnv } from '../config';
import { ProductionRepository } from '../git/production.repository';
import { activeFreeze, type FreezeWindow, parseFreezeWindows } from './freeze-windows';
import type { PromotionKind } from './promotion.entity';
import { type ApprovalDecision, type ApprovalFacts, decide, deployKindFor, liveApprovals, rangeUpTo, shipsSchemaChange, target } from './promotion-decision';
import { type Approval, PromotionsRepository, type SecurityFix } from './promotions.repository';

interface Move {
  cause: PromotionCause;
  requestedBy: string;
  revno: number | null;
  revisions: RevisionRef[];
  forced?: boolean;
  reason?: string;
  /** Treat the range as holding a DB revision even if none is listed. */
  assumeDb?: boolean;
}

const short = (sha: string) => sha.slice(0, 10);

@Injectable()
export class PromotionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly git: ProductionRepository | null;
  private readonly freezes: FreezeWindow[];
  private readonly branch: string;
  private readonly isDbPatch: (path: string) => boolean;
  private timer: NodeJS.Timeout | null = null;
  private lastGitError: { at: Date; message: string } | null = null;

  constructor(
    @Inject(PromotionsRepository) private readonly repo: PromotionsRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: PromotionEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {
    this.branch = env.PRODUCTION_BRANCH;
    this.freezes = parseFreezeWindows(env.PROMOTION_FREEZES);
    this.isDbPatch = schemaPatchMatcher(env.PROMOTION_DB_PATCH_PATTERN);
    this.git = env.PROMOTION_GIT_REMOTE
      ? new ProductionRepository(env.PROMOTION_GIT_REMOTE, env.PROMOTION_GIT_WORKDIR, { name: env.PROMOTION_GIT_AUTHOR_NAME, email: env.PROMOTION_GIT_AUTHOR_EMAIL })
      : null;
  }

  onApplicationBootstrap(): void {
    const tick = () => {
      void this.retry().finally(() => {
        this.timer = setTimeout(tick, this.env.PROMOTION_RETRY_SECONDS * 1000);
        this.timer.unref();
      });
    };
    this.timer = setTimeout(tick, this.env.PROMOTION_RETRY_SECONDS * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  // ---- what comes in ------------------------------------------------------------------------

  async onQaPassed(event: CloudEvent<QaPassedV1>, em: EntityManager): Promise<void> {
    const d = event.data;
    if (d.branch !== this.env.QA_BRANCH) return;
    await this.repo.lock(em, this.branch);
    // A withdrawal that arrived first may already have taken this approval back.
    const view = await this.repo.qaView(em, d.branch);
    const dead = view && d.seq !== undefined && d.seq < view.withdrawn_seq && d.revno > (view.withdrawn_to_revno ?? 0);
    await this.repo.addApproval(em, {
      sha: d.sha, branch: d.branch, revno: d.revno, range: d.range, containsDb: d.containsDbRevision, previousSha: d.previousSha ?? null, seq: d.seq ?? null,
      withdrawn: dead ? `QA withdrew it before it arrived: the deployable revision went back to ${view.withdrawn_to_revno ? `r${view.withdrawn_to_revno}` : 'none'}` : undefined,
    });
    await this.advance(em, 'qa-gate');
    // An approved revision is on stable: any fix it contains has been merged back.
    if ((await this.repo.pendingMergeBack(em)).length) await this.detectMergeBack(em, d.sha).catch(() => undefined);
  }

  /**
   * QA took its approval back: every approval given before it above the revision it went back
   * to is dropped, and that revision, deployable now, is approved by the withdrawal itself.
   */
  async onWithdrawn(event: CloudEvent<ApprovalWithdrawnV1>, em: EntityManager): Promise<void> {
    const d = event.data;
    if (d.branch !== this.env.QA_BRANCH) return;
    await this.repo.lock(em, this.branch);
    await this.repo.saveWithdrawal(em, d.branch, d.seq, d.revno ?? null);
    const pending = await this.repo.pendingApprovals(em);
    const reason = `QA withdrew it: ${d.reason}`;
    await this.repo.withdrawApprovals(em, pending.filter((a) => (a.seq ?? 0) < d.seq && a.revno > (d.revno ?? 0)).map((a) => ({ sha: a.sha, reason })));
    if (d.revno && d.sha && d.range.length) {
      await this.repo.addApproval(em, {
        sha: d.sha, branch: d.branch, revno: d.revno, range: d.range, containsDb: d.containsDbRevision, previousSha: d.previousSha ?? null, seq: d.seq,
      });
    }
    this.logger.warn({ withdrawn: d.withdrawnRevno, to: d.revno ?? null, cause: d.cause.revno, by: d.by }, 'QA withdrew an approval');
    await this.advance(em, 'qa-gate');
  }

  /** qa-gate's word on what production runs that QA found bad, kept for GET /status. */
  async onProductionQa(event: CloudEvent<ProductionQaChangedV1>, em: EntityManager): Promise<void> {
    const d = event.data;
    if (d.branch !== this.env.QA_BRANCH) return;
    await this.repo.saveProductionQa(em, d.branch, { seq: d.seq, revno: d.productionRevno ?? null, sha: d.productionSha ?? null, bad: d.bad });
  }

  /** Security fixes landing on production-devel go out at once; landings on stable may merge fixes back. */
  async onLanded(event: CloudEvent<RevisionLandedV1>, em: EntityManager): Promise<void> {
    const d = event.data;
    if (d.branch === this.env.SECURITY_BRANCH) {
      await this.repo.lock(em, this.branch);
      await this.repo.addSecurityFix(em, d.sha, d.branch, d.reportedBy ?? event.source);
      await this.advance(em, d.reportedBy ?? event.source);
    } else if (d.branch === this.env.QA_BRANCH && (await this.repo.pendingMergeBack(em)).length) {
      await this.repo.lock(em, this.branch);
      await this.detectMergeBack(em, d.sha);
    }
  }

  /**
   * An operator says a security fix is in stable (merged back by hand in a way git cannot
   * recognise, or there is no repository to ask). Audited with the reason.
   */
  async confirmMergeBack(sha: string, who: string, reason: string) {
    await this.repo.transaction(async (em) => {
      await this.repo.lock(em, this.branch);
      const fix = await this.repo.fix(em, sha);
      if (!fix) throw new DomainError('NOT_FOUND', `no security fix ${sha}`);
      if (!(await this.repo.markMergedBack(em, fix.sha, null, 'operator', `${who}: ${reason}`))) throw new DomainError('CONFLICT', `security fix ${short(fix.sha)} is already merged back`);
      await this.advance(em, who);
    });
    return this.securityFix(sha);
  }

  async reportSecurityFix(sha: string, who: string) {
    await this.repo.transaction(async (em) => {
      await this.repo.lock(em, this.branch);
      await this.repo.addSecurityFix(em, sha, this.env.SECURITY_BRANCH, who);
      await this.advance(em, who);
    });
    return this.status();
  }

  async addLock(reason: string, author: string, createdBy: string, until: Date | null) {
    if (until && until.getTime() <= Date.now()) throw new DomainError('VALIDATION_FAILED', 'until: must be in the future', { fields: [{ field: 'until', errors: ['must be in the future'] }] });
    const id = randomUUID();
    await this.repo.transaction(async (em) => {
      await this.repo.lock(em, this.branch);
      await this.repo.addLock(em, { id, reason, author, createdBy, until });
    });
    return { id, reason, author, until };
  }

  async releaseLock(id: string, by: string): Promise<void> {
    await this.repo.transaction(async (em) => {
      await this.repo.lock(em, this.branch);
      if (!(await this.repo.releaseLock(em, id, by))) throw new DomainError('NOT_FOUND', `no active lock ${id}`);
      await this.advance(em, by);
    });
  }

  /** An operator promotes one revision. It must be approved by QA, unless forced with a reason. */
  async promoteManually(revision: string, who: string, force: boolean, reason: string | undefined) {
    if (force && !reason) throw new DomainError('VALIDATION_FAILED', 'reason: a forced promotion needs a reason', { fields: [{ field: 'reason', errors: ['required with force'] }] });
    return this.repo.transaction(async (em) => {
      await this.repo.lock(em, this.branch);
      // `r42` or up to six digits is a revno; a longer run of digits is a sha prefix.
      const approval = /^(r\d{1,9}|\d{1,6})$/.test(revision)
        ? await this.repo.approvalByRevno(em, Number(revision.replace(/^r/, '')))
        : await this.repo.approval(em, revision);
      if (!approval && !force) {
        throw new DomainError('UNPROCESSABLE', `${revision} has not been approved by QA; promote it with force and a reason if you must`);
      }
      const live = liveApprovals((await this.repo.pendingApprovals(em)).map(facts), null).live;
      const move: Move = {
        cause: 'manual', requestedBy: who, revno: approval?.revno ?? null, forced: !approval, reason,
        revisions: approval ? rangeUpTo(live, facts(approval)) : [],
      };
      if (!this.git) {
        if (!approval) throw new DomainError('UNPROCESSABLE', 'without a git remote only approved revisions can be promoted');
        return this.recordOnly(em, approval, move);
      }
      // An operator's promotion is rare and deliberate: always look at the remote first.
      const current = await this.syncAndReconcile(em, who);
      if (current === false) throw new DomainError('CONFLICT', 'production-stable moved outside Runway; see GET /status');
      const target = approval?.sha ?? (await this.git.resolve(revision));
      if (!target) throw new DomainError('NOT_FOUND', `${revision} is not in ${this.git.displayName}`);
      const moved = await this.promoteCommit(em, current, target, move);
      if (moved === 'contained') throw new DomainError('CONFLICT', `${short(target)} is already in production; production never moves backwards`);
      if (moved === 'missing') throw new DomainError('NOT_FOUND', `${revision} is not in ${this.git.displayName}`);
      if (!moved) throw new DomainError('CONFLICT', 'the promotion is held; see GET /status');
      if (approval) await this.repo.settleApprovals(em, approval.revno, null);
      return { promoted: moved };
    });
  }

  /** Looks again at what waits: a lock expired, a freeze ended, git came back. */
  async retry(): Promise<void> {
    try {
      await this.repo.transaction(async (em) => {
        await this.repo.lock(em, this.branch);
        await this.advance(em, 'runway');
      });
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'promotion retry failed');
    }
  }

  // ---- the decision ---------------------------------------------------------------------------

  /** Call with the branch lock held. */
  private async advance(em: EntityManager, requestedBy: string): Promise<void> {
    // One transaction is one connection: its queries go one after another.
    const fixes = await this.repo.unpromotedFixes(em);
    const pending = await this.repo.pendingApprovals(em);
    const view = await this.repo.qaView(em, this.env.QA_BRANCH);
    if (fixes.length === 0 && pending.length === 0) return;
    const { live, dead } = liveApprovals(pending.map(facts), view ? { seq: view.withdrawn_seq, revno: view.withdrawn_to_revno } : null);
    await this.repo.withdrawApprovals(em, dead.map((d) => ({ sha: d.approval.sha, reason: d.reason })));
    const newest = target(live);
    const blocked = await this.blockedBy(em);
    if (!this.git) {
      const unmerged = (await this.repo.pendingMergeBack(em)).filter((f) => f.promoted_at !== null).map((f) => f.sha);
      const gap = newest ? await this.missingLink(em, live, newest, null) : null;
      const decision = decide({
        now: new Date(), unpromotedFixes: fixes.map((f) => f.sha), live, blocked, gap, chainWaitMs: this.env.PROMOTION_CHAIN_WAIT_SECONDS * 1000,
        fixesNotKnownMerged: [...unmerged, ...fixes.map((f) => f.sha)],
      });
      for (const fix of fixes) await this.recordOnlyFix(em, fix);
      await this.carryOut(em, decision.approval, requestedBy, null);
      return;
    }
    try {
      let current = await this.knownHead(em, requestedBy);
      if (current === false) return;
      const gap = newest ? await this.missingLink(em, live, newest, current) : null;
      const decision = decide({
        now: new Date(), unpromotedFixes: fixes.map((f) => f.sha), live, blocked, gap, chainWaitMs: this.env.PROMOTION_CHAIN_WAIT_SECONDS * 1000, fixesNotKnownMerged: [],
      });
      for (const fix of fixes) {
        const moved = await this.promoteCommit(em, current, fix.sha, {
          cause: 'security-fix', requestedBy: fix.reported_by, revno: null, revisions: [{ sha: fix.sha, db: false }],
        });
        if (moved === 'missing') await this.hold(em, fix.sha, null, 'not-approved', `security fix ${short(fix.sha)} is not in ${this.git.displayName}`);
        else if (moved === 'contained') await this.repo.markFixesPromoted(em, [fix.sha], null);
        else if (moved) current = moved;
      }
      await this.carryOut(em, decision.approval, requestedBy, current);
      this.lastGitError = null;
    } catch (e) {
      // Nothing was pushed, or the push's record is adopted next time: approvals wait and are retried.
      this.lastGitError = { at: new Date(), message: (e as Error).message };
      this.logger.warn({ err: (e as Error).message }, 'promotion could not reach git; approvals wait');
    }
  }

  /** Does what the decision says about approvals: promote, hold, or nothing (waiting is nothing). */
  private async carryOut(em: EntityManager, d: ApprovalDecision, requestedBy: string, current: string | null): Promise<void> {
    if (d.kind === 'hold') {
      await this.hold(em, d.approval.sha, d.approval.revno, d.code, d.reason);
      return;
    }
    if (d.kind !== 'promote') return;
    const move: Move = { cause: 'qa-passed', requestedBy, revno: d.approval.revno, revisions: d.revisions, assumeDb: d.assumeDb, reason: d.reason };
    const approval = (await this.repo.approval(em, d.approval.sha))!;
    if (!this.git) {
      await this.recordOnly(em, approval, move);
      return;
    }
    const moved = await this.promoteCommit(em, current, d.approval.sha, move);
    if (moved === 'missing') await this.hold(em, d.approval.sha, d.approval.revno, 'not-approved', `r${d.approval.revno} (${short(d.approval.sha)}) is not in ${this.git.displayName}`);
    else if (moved) await this.repo.settleApprovals(em, d.approval.revno, null);
  }

  /**
   * Production's head as the mirror knows it, without fetching when it agrees with our
   * record (the push's lease catches a remote that moved since). Fetches and reconciles
   * otherwise. Returns the head, null when there is none yet, or false when held.
   */
  private async knownHead(em: EntityManager, requestedBy: string): Promise<string | null | false> {
    const git = this.git!;
    await git.ensure();
    const state = await this.repo.state(em, this.branch);
    const mirror = git.head(this.branch);
    if (state && mirror === state.sha) return mirror;
    return this.syncAndReconcile(em, requestedBy);
  }

  /**
   * Puts one commit on production if it is not there yet, fetching only when the mirror lacks
   * it, and going round once more through fetch and reconcile if the remote moved under us.
   * Returns the new head, 'contained' when production already has it, 'missing' when the
   * repository does not, or null when held.
   */
  private async promoteCommit(em: EntityManager, current: string | null, target: string, move: Move): Promise<string | 'contained' | 'missing' | null> {
    const git = this.git!;
    for (let attempt = 0; attempt < 2; attempt++) {
      let relation = current ? await git.relation(current, target) : 'fast-forward';
      if (relation === 'missing' || (!current && !(await git.hasCommit(target)))) {
        const refs = await git.sync([this.branch]);
        if (refs[this.branch] !== current) {
          const head = await this.syncAndReconcile(em, move.requestedBy);
          if (head === false) return null;
          current = head;
        }
        relation = current ? await git.relation(current, target) : (await git.hasCommit(target)) ? 'fast-forward' : 'missing';
      }
      if (relation === 'missing') return 'missing';
      if (relation === 'contained') return 'contained';
      const moved = await this.move(em, current, target, move, relation === 'fast-forward');
      if (moved !== 'lease-lost') return moved;
      // Someone moved the remote since our view: look again, once.
      const head = await this.syncAndReconcile(em, move.requestedBy);
      if (head === false) return null;
      current = head;
    }
    await this.hold(em, target, move.revno, 'remote-moved', `${this.branch} keeps moving in the repository while Runway promotes; it will look again`);
    return null;
  }

  /**
   * Fetches, and compares the remote production branch with what we recorded. A forward move
   * made outside Runway (or a push whose record was lost to a crash) is adopted and announced;
   * a move backwards or sideways holds everything. Returns the branch head, or false when held.
   */
  private async syncAndReconcile(em: EntityManager, requestedBy: string): Promise<string | null | false> {
    const git = this.git!;
    const refs = await git.sync([this.branch, this.env.QA_BRANCH]);
    const remote = refs[this.branch];
    const qaTip = refs[this.env.QA_BRANCH];
    if (qaTip) await this.detectMergeBack(em, qaTip);
    const state = await this.repo.state(em, this.branch);
    if (!state) {
      if (remote) {
        // First sight of an existing production branch: it is where we start from.
        const id = randomUUID();
        await this.repo.record(em, {
          id, branch: this.branch, fromSha: null, fromRevno: null, toSha: remote, toRevno: null, cause: 'manual', revisions: [], containsDb: false,
          deployKind: 'no-downtime', requestedBy: 'git', kind: 'adopted', pushedSha: remote, forced: false, reason: 'production branch found in the repository',
        }, remote);
      }
      return remote;
    }
    if (remote === state.sha) return remote;
    if (remote && (await git.isAncestor(state.sha, remote))) {
      const commits = await git.between(state.sha, remote, true);
      await this.announce(em, {
        id: randomUUID(), from: state.sha, fromRevno: state.revno, head: remote, target: remote, kind: 'adopted',
        move: { cause: 'manual', requestedBy: 'git', revno: null, revisions: commits.map((sha) => ({ sha, db: false })), reason: `found moved from ${short(state.sha)} outside Runway` },
      });
      return remote;
    }
    await this.hold(em, remote ?? state.sha, null, 'remote-moved',
      remote ? `${this.branch} in the repository is at ${short(remote)}, not a descendant of ${short(state.sha)}: it was moved outside Runway; nothing is promoted until an operator sets it right`
        : `${this.branch} no longer exists in the repository`);
    this.logger.warn({ requestedBy }, 'promotion held: production branch moved outside Runway');
    return false;
  }

  /** Puts `target` on production: fast-forward, or a merge keeping what production has. Returns the new head, null when held, or 'lease-lost'. */
  private async move(em: EntityManager, current: string | null, target: string, move: Move, fastForward: boolean): Promise<string | null | 'lease-lost'> {
    const git = this.git!;
    let head = target;
    let kind: PromotionKind = 'fast-forward';
    if (current && !fastForward) {
      const what = move.cause === 'security-fix' ? `security fix ${short(target)}` : `${this.env.QA_BRANCH} r${move.revno ?? '?'} (${short(target)})`;
      const merged = await git.merge(current, target, `Runway: promote ${what} to ${this.branch}\n\n${this.branch} carries commits that ${short(target)} does not\n(security fixes waiting to be merged back), so this merge keeps them.\n`);
      if (!merged.ok) {
        await this.hold(em, target, move.revno, 'conflict', `merging ${what} into ${this.branch} conflicts in ${merged.conflicts.join(', ') || 'some files'}; nothing was pushed`);
        return null;
      }
      head = merged.commit;
      kind = 'merge';
    }
    if (!(await git.push(this.branch, head, current))) return 'lease-lost';
    await this.announce(em, { id: randomUUID(), from: current, fromRevno: (await this.repo.state(em, this.branch))?.revno ?? null, head, target, kind, move });
    return head;
  }

  /** Records a promotion and publishes `promoted`, in the caller's transaction. */
  private async announce(
    em: EntityManager,
    p: { id: string; from: string | null; fromRevno: number | null; head: string; target: string; kind: PromotionKind; move: Move },
  ): Promise<void> {
    // What ships decides: with a repository, the paths the move changes; without, the revisions listed.
    const containsDb = this.git && p.kind !== 'record-only'
      ? shipsSchemaChange(await this.git.changedPaths(p.from, p.head), this.isDbPatch)
      : p.move.assumeDb === true || p.move.revisions.some((r) => r.db);
    const deployKind: DeployKind = deployKindFor(containsDb);
    // A move QA did not name (adopted, forced by sha) still stands somewhere on the QA branch: rollout orders by it.
    if (p.move.revno === null && p.move.cause !== 'security-fix' && this.git && p.kind !== 'record-only') {
      p.move.revno = await this.git.positionIn(this.env.QA_BRANCH, p.head).catch(() => null);
    }
    await this.repo.record(em, {
      id: p.id, branch: this.branch, fromSha: p.from, fromRevno: p.fromRevno, toSha: p.target, toRevno: p.move.revno, cause: p.move.cause,
      revisions: p.move.revisions, containsDb, deployKind, requestedBy: p.move.requestedBy, kind: p.kind, pushedSha: p.head,
      forced: p.move.forced ?? false, reason: p.move.reason ?? null,
    }, p.head);
    if (p.move.cause === 'security-fix') await this.repo.markFixesPromoted(em, [p.target], p.id);
    const pendingMergeBack = (await this.repo.pendingMergeBack(em)).map((f) => f.sha);
    await this.outbox.enqueue(em, Events.Promoted, {
      promotionId: p.id, branch: this.branch, fromSha: p.from ?? undefined, toSha: p.head, toRevno: p.move.revno ?? undefined,
      revisions: p.move.revisions, containsDbRevision: containsDb, deployKind, cause: p.move.cause, pendingMergeBack, move: p.kind,
      approvedSha: p.target !== p.head ? p.target : undefined,
    }, { reason: p.move.reason });
    this.logger.info({ promotionId: p.id, kind: p.kind, from: p.from, to: p.head, cause: p.move.cause }, `${this.branch} moved`);
  }

  private async recordOnly(em: EntityManager, approval: Approval, move: Move) {
    const state = await this.repo.state(em, this.branch);
    if (state?.revno != null && approval.revno <= state.revno) {
      await this.repo.settleApprovals(em, approval.revno, null);
      return { promoted: null };
    }
    await this.announce(em, { id: randomUUID(), from: state?.sha ?? null, fromRevno: state?.revno ?? null, head: approval.sha, target: approval.sha, kind: 'record-only', move });
    await this.repo.settleApprovals(em, approval.revno, null);
    return { promoted: approval.sha };
  }

  /** Without a repository, a security fix is recorded and announced as production's new head, as it would be pushed. */
  private async recordOnlyFix(em: EntityManager, fix: SecurityFix): Promise<void> {
    const state = await this.repo.state(em, this.branch);
    await this.announce(em, {
      id: randomUUID(), from: state?.sha ?? null, fromRevno: state?.revno ?? null, head: fix.sha, target: fix.sha, kind: 'record-only',
      move: { cause: 'security-fix', requestedBy: fix.reported_by, revno: null, revisions: [{ sha: fix.sha, db: false }] },
    });
  }

  private async hold(em: EntityManager, sha: string, revno: number | null, code: HoldReason, reason: string): Promise<void> {
    const last = await this.repo.lastHold();
    if (last && last.sha === sha && last.code === code && last.reason === reason) return;
    await this.repo.addHold(em, { sha, revno, code, reason });
    await this.outbox.enqueue(em, Events.PromotionHeld, { branch: this.branch, sha, revno: revno ?? undefined, code, reason });
    this.logger.warn({ sha, code, reason }, 'promotion held');
  }

  /**
   * Looks for pending security fixes in a commit of stable: by ancestry (merged), or by patch
   * identity (cherry-picked: another sha, the same change). Each is recorded with the first
   * commit of stable's first-parent line that has it, so it is the same whichever landing is
   * looked at first. Without a repository, only a landing of the fix's own sha can tell.
   */
  private async detectMergeBack(em: EntityManager, stableSha: string): Promise<void> {
    const pending = await this.repo.pendingMergeBack(em);
    if (pending.length === 0) return;
    if (!this.git) {
      for (const fix of pending.filter((f) => f.sha === stableSha || f.sha.startsWith(stableSha) || stableSha.startsWith(f.sha))) {
        await this.repo.markMergedBack(em, fix.sha, stableSha, 'ancestry');
      }
      return;
    }
    const git = this.git;
    if (!(await git.hasCommit(stableSha))) await git.sync([]);
    if (!(await git.hasCommit(stableSha))) return;
    for (const fix of pending) {
      if (!(await git.hasCommit(fix.sha))) continue;
      let found: { commit: string; how: 'ancestry' | 'patch-id' } | null = null;
      if (await git.isAncestor(fix.sha, stableSha)) found = { commit: fix.sha, how: 'ancestry' };
      else {
        const patchId = await git.patchId(fix.sha);
        const same = patchId ? await git.equivalentIn(fix.sha, patchId, stableSha) : null;
        if (same) found = { commit: same, how: 'patch-id' };
      }
      if (!found) continue;
      const by = await git.firstContaining(stableSha, found.commit);
      await this.repo.markMergedBack(em, fix.sha, by, found.how);
      this.logger.info({ fix: fix.sha, by, how: found.how }, 'security fix merged back');
    }
  }

  /**
   * The approval before `approval` that has not arrived yet, if any. qa-gate sends approvals in
   * order, each naming the one before; redelivery or two replicas can hand them to us out of
   * order, and promoting past a missing one would ship its revisions unseen (a DB change in a
   * no-downtime deploy). A link is satisfied by an approval we hold, or by production already
   * containing it.
   */
  private async missingLink(em: EntityManager, live: ApprovalFacts[], approval: ApprovalFacts, current: string | null): Promise<string | null> {
    const bySha = new Map(live.map((a) => [a.sha, a]));
    for (let link = approval.previousSha, hops = 0; link && hops < 10_000; hops++) {
      const mine = bySha.get(link);
      if (mine) {
        link = mine.previousSha;
        continue;
      }
      const held = await this.repo.approval(em, link);
      // Promoted, included or withdrawn: it arrived, and what it brought is accounted for.
      if (held && held.sha === link && held.state !== 'pending') return null;
      if (current && this.git && (await this.git.relation(current, link)) === 'contained') return null;
      return link;
    }
    return null;
  }

  private async blockedBy(em: EntityManager) {
    const locks = await this.repo.activeLocks(em);
    const freeze = activeFreeze(this.freezes, new Date());
    return locks.length || freeze ? { locks, freeze } : null;
  }

  // ---- what goes out ---------------------------------------------------------------------------

  async status() {
    const [state, pending, fixes, locks, lastHold, withdrawn, view, mergedBack] = await Promise.all([
      this.repo.state(null, this.branch), this.repo.pendingApprovals(null), this.repo.pendingMergeBack(null), this.repo.activeLocks(null), this.repo.lastHold(),
      this.repo.recentlyWithdrawn(20), this.repo.qaView(null, this.env.QA_BRANCH), this.repo.recentlyMergedBack(10),
    ]);
    const now = Date.now();
    const freeze = activeFreeze(this.freezes, new Date());
    const automaticPromotion: PromotionStatus['automaticPromotion'] = locks.length ? 'locked' : freeze ? 'frozen' : 'on';
    return {
      branch: this.branch,
      repository: this.git?.displayName ?? null,
      productionStable: state ? { sha: state.sha, revno: state.revno, since: state.updatedAt, promotionId: state.promotionId } : null,
      automaticPromotion,
      locks,
      freeze,
      pendingApprovals: pending.map((a) => ({ sha: a.sha, revno: a.revno, approvedAt: a.approved_at, containsDb: a.contains_db })),
      waiting: pending.length ? { newest: pending[pending.length - 1].revno, count: pending.length } : null,
      /** Approvals QA took back (a late bad mark, a mark back to needs-testing), newest first. */
      withdrawnApprovals: withdrawn.map((a) => ({ sha: a.sha, revno: a.revno, approvedAt: a.approved_at, withdrawnAt: a.withdrawn_at, reason: a.withdrawn_reason })),
      pendingMergeBack: fixes.map((f) => ({
        sha: f.sha, reportedAt: f.reported_at, promotedAt: f.promoted_at, ageSeconds: Math.round((now - new Date(f.reported_at).getTime()) / 1000),
        ...(this.git ? {} : { detection: 'without a repository, only a landing of this very commit on stable, or an operator, can tell' }),
      })),
      /** The last fixes merged back, with how: by ancestry (merged), patch identity (cherry-picked), or an operator's word. */
      recentlyMergedBack: mergedBack.map(fixView),
      /** Production runs a revision QA found bad: from qa-gate, with who must act. */
      productionRunsBad: view?.production_bad.length
        ? { revisions: view.production_bad, actor: view.production_bad[0].actor, reason: view.production_bad[0].reason, since: view.production_bad_since, productionRevno: view.production_revno }
        : null,
      lastHold: lastHold && (pending.some((a) => a.sha === lastHold.sha) || lastHold.code === 'remote-moved') ? lastHold : null,
      gitError: this.lastGitError,
    };
  }

  history(limit: number) {
    return this.repo.history(this.branch, limit);
  }

  async securityFixes() {
    return (await this.repo.allFixes()).map(fixView);
  }

  async securityFix(sha: string) {
    const fix = await this.repo.fix(null, sha);
    if (!fix) throw new DomainError('NOT_FOUND', `no security fix ${sha}`);
    return fixView(fix);
  }
}

/** An approval row as the decision sees it. */
function facts(a: Approval): ApprovalFacts {
  return {
    sha: a.sha, revno: a.revno, seq: a.seq ?? null, previousSha: a.previous_sha, approvedAt: new Date(a.approved_at), range: a.range, containsDb: a.contains_db,
  };
}

/** A security fix as the API shows it: where it is, and how it came back to stable. */
function fixView(f: SecurityFix) {
  return {
    sha: f.sha, branch: f.branch, reportedBy: f.reported_by, reportedAt: f.reported_at, promotedAt: f.promoted_at,
    mergedBackAt: f.merged_back_at, mergedBackBy: f.merged_back_by, mergedBackHow: f.merged_back_how, mergedBackNote: f.merged_back_note,
  };
}
