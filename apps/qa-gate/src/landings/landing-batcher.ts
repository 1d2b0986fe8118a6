/**
 * Groups landings that arrive together into one transaction. While a batch commits, new
 * landings queue; when it is done they go together in the next. Under load this turns
 * thousands of requests a second into a few dozen commits; alone, a landing waits for
 * nothing. Each caller's promise settles only once its landing is committed.
 */
import { Inject, Injectable } from '@nestjs/common';
import { RevisionsRepository, type NewBuildEvent } from '../revisions/revisions.repository';
import type { Landing, LandingOutcome } from './landing';
import { LandingsService } from './landings.service';
import { HistoryReaderService } from '../git/history-reader.service';

interface Pending {
  landing?: Landing;
  build?: NewBuildEvent;
  resolve(o: { outcome: LandingOutcome | null; duplicateBuild: boolean }): void;
  reject(e: unknown): void;
}

const MAX_BATCH = 500;

@Injectable()
export class LandingBatcher {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    @Inject(RevisionsRepository) private readonly repo: RevisionsRepository,
    @Inject(LandingsService) private readonly landings: LandingsService,
    @Inject(HistoryReaderService) private readonly reader: HistoryReaderService,
  ) {}

  submit(landing: Landing | undefined, build?: NewBuildEvent): Promise<{ outcome: LandingOutcome | null; duplicateBuild: boolean }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ landing, build, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const result = await this.repo.transaction(async (em) => {
            const builds = batch.flatMap((p) => (p.build ? [p.build] : []));
            const inserted = await this.repo.insertBuildEvents(em, builds);
            const landings = batch.flatMap((p) => (p.landing ? [p.landing] : []));
            const outcomes = await this.landings.record(em, landings);
            return { inserted, outcomes: new Map(landings.map((l, i) => [l, outcomes[i]])) };
          });
          // Of several posts of one build in a batch, only the first is new.
          const claimed = new Set<string>();
          for (const p of batch) {
            const key = p.build ? `${p.build.buildId}:${p.build.complete}` : null;
            const isNew = key !== null && result.inserted.has(key) && !claimed.has(key);
            if (key) claimed.add(key);
            p.resolve({ outcome: p.landing ? (result.outcomes.get(p.landing) ?? null) : null, duplicateBuild: key !== null && !isNew });
          }
          if (this.landings.gitEnabled) void this.reader.kick();
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
