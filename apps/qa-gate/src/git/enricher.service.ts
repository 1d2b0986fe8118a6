/**
 * Reads landed commits from git in the background: message, author, parents and changed
 * files. From them: `[no-qa]` passes a revision that still needs testing, `[rollback=...]`
 * links the fix, and a changed schema patch makes a DB revision. Until a revision is read it
 * blocks the deployable frontier, so a DB change can never pass unseen. When git cannot be
 * reached, the landing stays recorded and is read later, with back-off.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { Events } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { QaGateEnv } from '../config';
import { LandingsService } from '../landings/landings.service';
import { dbPatchMatcher, readCommitMarkers } from '../revisions/deployable';
import { DeployableService } from '../revisions/deployable.service';
import { RevisionsRepository } from '../revisions/revisions.repository';
import { type CommitInfo, GitRepository } from './git.repository';

const BATCH = 200;

@Injectable()
export class EnricherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly git: GitRepository | null;
  private readonly isDbPatch: (path: string) => boolean;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    @Inject(RevisionsRepository) private readonly repo: RevisionsRepository,
    @Inject(DeployableService) private readonly deployable: DeployableService,
    @Inject(LandingsService) private readonly landings: LandingsService,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(RUNWAY_ENV) private readonly env: QaGateEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {
    this.git = env.QA_GIT_REPOSITORY ? new GitRepository(env.QA_GIT_REPOSITORY, env.QA_GIT_CACHE_DIR) : null;
    this.isDbPatch = dbPatchMatcher(env.QA_DB_PATCH_PATTERN);
  }

  onApplicationBootstrap(): void {
    if (!this.git) return;
    this.logger.info({ repository: this.git.displayName }, 'reading landed commits from git');
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
    this.running = (async () => {
      do {
        this.again = false;
        while (!this.stopped && (await this.enrichBatch()) === BATCH);
      } while (this.again && !this.stopped);
    })()
      .catch((e) => this.logger.warn({ err: (e as Error).message }, 'enrichment failed; will retry'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async enrichBatch(): Promise<number> {
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
