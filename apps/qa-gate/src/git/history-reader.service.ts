/**
 * Reads git in the background, so landings answer at once and git's time is spent apart.
 *
 * Landings on the QA branch: each queued landing is placed on the branch's first-parent
 * history against the recorded tip. The first-parent commits after the tip up to it are
 * recorded, each as a revision of its own (so a commit buildbot never reported is still
 * recorded and needs QA); a commit already recorded changes nothing; a commit the branch has
 * only through a merge, or one that does not follow the recorded tip (rewritten history), is
 * refused, the latter shown as a blocker for an operator. git is read outside any transaction;
 * the result is recorded under the branch's lock only if the tip is still where git was asked
 * from (another replica may have moved it), else it is read again.
 *
 * Other revisions recorded before git was read (other branches, or from an older version):
 * message, author, parents and changed files are read, `[no-qa]` passes a revision that still
 * needs testing, `[rollback=...]` links the fix, and a changed schema patch makes it a DB
 * revision; until then it blocks the deployable revision.
 *
 * When git cannot be reached, everything stays recorded and is read later, with back-off.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Events, RUNWAY_ACTOR, schemaPatchMatcher } from '@runway/contracts';
import { Outbox, runInScope } from '@runway/messaging';
import { PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { QaGateEnv } from '../config';
import type { LandingEntity } from '../landings/landing.entity';
import { type LandingResolution, LandingsRepository } from '../landings/landings.repository';
import { LandingsService } from '../landings/landings.service';
import { readCommitMarkers } from '../revisions/deployable';
import { DeployableService } from '../revisions/deployable.service';
import { RevisionsRepository } from '../revisions/revisions.repository';
import { type CommitInfo, type FirstParentSpan, GitRepository } from './git.repository';

const BATCH = 200;

/** What one landing turned out to be, before it is written. */
type Placement =
  | { landing: LandingEntity; record: { firstRevno: number; commits: CommitInfo[] } }
  | { landing: LandingEntity; resolution: LandingResolution }
  | { landing: LandingEntity; failed: string };

@Injectable()
export class HistoryReaderService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly git: GitRepository | null;
  private readonly isDbPatch: (path: string) => boolean;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    @Inject(RevisionsRepository) private readonly repo: RevisionsRepository,
    @Inject(LandingsRepository) private readonly landingsRepo: LandingsRepository,
    @Inject(DeployableService) private readonly deployable: DeployableService,
    @Inject(LandingsService) private readonly landings: LandingsService,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: QaGateEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {
    this.git = env.QA_GIT_REPOSITORY ? new GitRepository(env.QA_GIT_REPOSITORY, env.QA_GIT_CACHE_DIR) : null;
    this.isDbPatch = schemaPatchMatcher(env.QA_DB_PATCH_PATTERN);
  }

  onApplicationBootstrap(): void {
    if (!this.git) return;
    this.logger.info({ repository: this.git.displayName }, 'reading landings from git');
    const tick = () => {
      if (this.stopped) return;
      void this.kick().finally(() => {
        this.timer = setTimeout(tick, Math.min(this.env.QA_ENRICH_RETRY_SECONDS * 1000, 10_000));
        this.timer.unref();
      });
    };
    tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Reads whatever waits now; resolves when nothing is left that can be read. */
  kick(): Promise<void> {
    if (!this.git || this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    // Its own scope: what git reveals is Runway's finding, not the act of whichever request woke the reader.
    this.running = runInScope({ actor: RUNWAY_ACTOR, correlationId: undefined, requestId: undefined, eventId: undefined }, async () => {
      do {
        this.again = false;
        while (!this.stopped && (await this.placeLandings()) === BATCH);
        while (!this.stopped && (await this.readUnread()) === BATCH);
      } while (this.again && !this.stopped);
    })
      .catch((e) => this.logger.warn({ err: (e as Error).message }, 'reading git failed; will retry'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  // ---- landings on the QA branch -----------------------------------------------------------

  /** Places the due landings; returns how many it looked at. */
  private async placeLandings(): Promise<number> {
    const due = await this.landingsRepo.due(BATCH);
    if (due.length === 0) return 0;
    const byBranch = new Map<string, LandingEntity[]>();
    for (const l of due) byBranch.set(l.branch, [...(byBranch.get(l.branch) ?? []), l]);
    for (const [branch, list] of byBranch) await this.placeOnBranch(branch, list);
    return due.length;
  }

  private async placeOnBranch(branch: string, due: LandingEntity[]): Promise<void> {
    const git = this.git!;
    const start = await this.repo.recordedTip(null, branch);
    let tip = start;
    const placements: Placement[] = [];
    for (const landing of due) {
      let span: FirstParentSpan;
      try {
        span = await git.firstParentSpan(tip?.sha ?? null, landing.sha);
      } catch (e) {
        // git is away: this landing and the rest wait, in order.
        const message = (e as Error).message;
        this.logger.warn({ err: message, waiting: due.length }, 'git unavailable; landings stay queued and will be read later');
        for (const l of due.slice(due.indexOf(landing))) placements.push({ landing: l, failed: message });
        break;
      }
      const placed = this.place(landing, span, tip);
      placements.push(placed);
      if ('record' in placed) {
        const commits = placed.record.commits;
        tip = { revno: placed.record.firstRevno + commits.length - 1, sha: commits[commits.length - 1].sha };
      }
    }
    const moved = await this.repo.transaction(async (em) => {
      await this.repo.lockBranch(em, branch);
      const now = await this.repo.recordedTip(em, branch);
      if (now?.sha !== start?.sha) return true;
      const records = placements.flatMap((p) => ('record' in p ? [{ landing: p.landing, ...p.record }] : []));
      await this.landings.recordFromGit(em, branch, records);
      for (const p of placements) {
        if ('record' in p) {
          const last = p.record.firstRevno + p.record.commits.length - 1;
          await this.landingsRepo.resolve(em, p.landing.id, { state: 'recorded', revnoFrom: p.record.firstRevno, revnoTo: last });
        } else if ('resolution' in p) {
          // A commit already recorded (named by a prefix, or recorded by this very batch) is known, not refused.
          await this.landingsRepo.resolve(em, p.landing.id, await this.known(em, branch, p.landing, p.resolution));
        }
      }
      const failed = placements.filter((p): p is Extract<Placement, { failed: string }> => 'failed' in p);
      for (const reason of new Set(failed.map((f) => f.failed))) {
        await this.landingsRepo.failed(em, failed.filter((f) => f.failed === reason).map((f) => f.landing.id), reason, this.env.QA_ENRICH_RETRY_SECONDS);
      }
      return false;
    });
    // Another replica recorded meanwhile: read again from its tip.
    if (moved) this.again = true;
  }

  /** What git's answer means for one landing, given the tip it was asked against. */
  private place(landing: LandingEntity, span: FirstParentSpan, tip: { revno: number; sha: string } | null): Placement {
    const short = landing.sha.slice(0, 10);
    switch (span.kind) {
      case 'first':
        return { landing, record: { firstRevno: span.revno, commits: [span.commit] } };
      case 'descendant':
        if (landing.claimedRevno && landing.claimedRevno !== tip!.revno + span.commits.length) {
          this.logger.warn({ sha: landing.sha, claimed: landing.claimedRevno, revno: tip!.revno + span.commits.length }, 'the landing named another revno than its first-parent position; git decides');
        }
        return { landing, record: { firstRevno: tip!.revno + 1, commits: span.commits } };
      case 'contained':
        return {
          landing,
          resolution: {
            state: 'refused', refusal: 'not-first-parent',
            reason: `${short} is not a first-parent commit of ${landing.branch} after r${tip!.revno}: ${landing.branch} has it only through a merge, or from before Runway watched it`,
          },
        };
      case 'rewritten':
        return {
          landing,
          resolution: {
            state: 'refused', refusal: 'rewritten',
            reason: `${short} does not follow r${tip!.revno} (${tip!.sha.slice(0, 10)}) on ${landing.branch}'s first-parent history: the branch was rewritten (a force-push?)`,
          },
        };
      case 'missing':
        return { landing, failed: `commit ${short} not found in ${this.git!.displayName}` };
    }
  }

  /** A landing of a commit that is already a recorded revision is `known`, whatever git said of it. */
  private async known(em: EntityManager, branch: string, landing: LandingEntity, r: LandingResolution): Promise<LandingResolution> {
    const rev = (await this.repo.findBySha(em, branch, landing.sha)) ?? (await this.repo.findByShaPrefix(em, branch, landing.sha));
    return rev ? { state: 'known', revnoFrom: rev.revno, revnoTo: rev.revno } : r;
  }

  // ---- revisions recorded before git was read ----------------------------------------------

  private async readUnread(): Promise<number> {
    const git = this.git!;
    const claimed = await this.repo.transaction((em) => this.repo.claimUnenriched(em, BATCH));
    if (claimed.length === 0) return 0;
    let commits: Map<string, CommitInfo>;
    try {
      commits = await git.read([...new Set(claimed.map((c) => c.sha))]);
    } catch (e) {
      const message = (e as Error).message;
      this.logger.warn({ err: message, waiting: claimed.length }, 'git unavailable; landings stay recorded and will be read later');
      await this.repo.transaction((em) => this.repo.markEnrichFailed(em, claimed.map((c) => c.id), message, this.env.QA_ENRICH_RETRY_SECONDS));
      return 0;
    }
    const byBranch = new Map<string, typeof claimed>();
    for (const c of claimed) byBranch.set(c.branch, [...(byBranch.get(c.branch) ?? []), c]);
    for (const [branch, revs] of byBranch) {
      await this.repo.transaction(async (em) => {
        await this.repo.lockBranch(em, branch);
        const unknown: string[] = [];
        for (const r of revs.sort((a, b) => a.revno - b.revno)) {
          const c = commits.get(r.sha);
          if (!c) {
            unknown.push(r.id);
            continue;
          }
          await this.repo.markEnriched(em, r.id, { message: c.message, author: c.author, parents: c.parents, changedFiles: c.files, db: c.files.some(this.isDbPatch) });
          const markers = readCommitMarkers(c.message);
          const current = await this.repo.findByRevno(em, branch, r.revno);
          if (markers.noQa && current?.qaStatus === 'needs-testing') {
            await this.repo.setStatus(em, current, 'no-qa', 'commit message', '[no-qa] in the commit message');
            await this.outbox.enqueue(em, Events.QaStatusChanged, { branch, sha: r.sha, revno: r.revno, from: 'needs-testing', to: 'no-qa', by: 'commit message' });
          }
          await this.landings.applyRollbackMarker(em, branch, r.revno, c.message);
        }
        if (unknown.length) {
          await this.repo.markEnrichFailed(em, unknown, `commit not found in ${git.displayName}`, this.env.QA_ENRICH_RETRY_SECONDS);
        }
        if (this.deployable.isQaBranch(branch)) await this.deployable.recompute(em, branch);
      });
    }
    return claimed.length;
  }
}
