/** trail's queries: pages of the record, a revision's story, DORA's figures, and retention. */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { allEventDefinitions, type Dora, type Story, TRAIL_DEAD_LETTER_TYPE, type TrailPage } from '@runway/contracts';
import { DomainError, PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import type { TrailEnv } from '../config';
import { computeDora, rolloutsFrom } from './dora';
import { entryView, rolloutWindow, tellStory } from './story';
import { type RevisionRow, type TrailFilter, TrailRepository } from './trail.repository';

export interface TrailQuery {
  revision?: string;
  server?: string;
  actor?: string;
  type?: string;
  since?: Date;
  until?: Date;
  cursor?: string;
  limit: number;
}

const invalid = (field: string, message: string) => new DomainError('VALIDATION_FAILED', `${field}: ${message}`, { fields: [{ field, errors: [message] }] });

@Injectable()
export class TrailService implements OnApplicationBootstrap, OnApplicationShutdown {
  private trimTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(TrailRepository) private readonly repo: TrailRepository,
    @Inject(RUNWAY_ENV) private readonly env: TrailEnv,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.TRAIL_RETENTION_DAYS <= 0) return;
    const trim = () => {
      const before = new Date(Date.now() - this.env.TRAIL_RETENTION_DAYS * 86_400_000);
      this.repo.trim(before).then(
        (n) => n && this.logger.info({ entries: n, before }, 'trail trimmed'),
        (e) => this.logger.warn({ err: (e as Error).message }, 'trail trim failed; will retry'),
      );
    };
    trim();
    this.trimTimer = setInterval(trim, 3600_000);
    this.trimTimer.unref();
  }

  onApplicationShutdown(): void {
    if (this.trimTimer) clearInterval(this.trimTimer);
  }

  async page(q: TrailQuery): Promise<TrailPage> {
    const filter: TrailFilter = { server: q.server, actor: q.actor, since: q.since, until: q.until };
    if (q.revision) filter.revision = (await this.resolve(q.revision, 'revision')).sha;
    if (q.type) filter.type = typeNamed(q.type);
    if (q.cursor) filter.before = decodeCursor(q.cursor);
    const rows = await this.repo.page(filter, q.limit + 1);
    const entries = rows.slice(0, q.limit);
    const last = entries[entries.length - 1];
    return { entries: entries.map(entryView), next: rows.length > q.limit && last ? encodeCursor(new Date(last.time), last.seq) : null };
  }

  async story(ref: string): Promise<Story> {
    const revision = await this.resolve(ref, 'revision');
    const own = await this.repo.storyEntries(revision.sha, 'revno' in revision ? revision.revno : null);
    const window = rolloutWindow(own, new Date());
    const surroundings = window ? await this.repo.surroundings(window.hosts, window.from, window.to) : [];
    return tellStory(revision, own, surroundings);
  }

  async dora(since: Date, until: Date, environment: string): Promise<Dora> {
    if (until <= since) throw invalid('until', 'must be after since');
    const tracks = environment === 'production' ? ['promoted', 'manual'] : environment === 'qa' ? ['qa-tip'] : null;
    const raw = await this.repo.doraInputs(since, tracks, tracks ? null : environment);
    const hosts = new Map(raw.hosts.map((h) => [h.rollout_id, h.hosts]));
    return computeDora({
      since, until, environment,
      rollouts: rolloutsFrom(raw.rollouts, hosts),
      everywhere: raw.everywhere.flatMap((e) => e.event.data.revisions.map((r) => ({ sha: r.sha, revno: r.revno ?? null, at: e.event.data.at }))),
      landedAt: new Map(raw.landed.map((l) => [l.sha, new Date(l.landed_at).toISOString()])),
      badMarks: raw.bad.map((b) => ({ sha: b.event.data.sha, revno: b.event.data.revno, by: b.event.data.by, at: new Date(b.time).toISOString() })),
      cowboys: raw.cowboys.flatMap((c) => c.hosts.map((host) => ({ host, at: new Date(c.time).toISOString(), patchHash: c.event.data.patchHash }))),
    });
  }

  /** A revision named by `r<revno>` (on the QA branch), a sha, or a sha prefix of 7 or more. */
  private async resolve(ref: string, field: string): Promise<RevisionRow | { sha: string }> {
    const r = /^r([1-9][0-9]{0,9})$/.exec(ref);
    if (r) {
      const [row] = await this.repo.revisionByRevno(this.env.QA_BRANCH, Number(r[1]));
      if (!row) throw new DomainError('NOT_FOUND', `no r${r[1]} on ${this.env.QA_BRANCH} in the trail`);
      return row;
    }
    if (!/^[0-9a-f]{7,64}$/.test(ref)) throw invalid(field, 'must be r<revno>, a sha or a sha prefix of at least 7 hex digits');
    const rows = await this.repo.revisionsByPrefix(ref);
    if (rows.length > 1) throw new DomainError('CONFLICT', `${ref} names several revisions (${rows.map((x) => x.sha.slice(0, 12)).join(', ')}…): give more of the sha`);
    if (rows.length === 1) return rows[0];
    if (await this.repo.mentioned(ref)) return { sha: ref };
    throw new DomainError('NOT_FOUND', `the trail knows no revision ${ref}`);
  }
}

/** `qa-status-changed`, or a full type such as `runway.qa.status-changed.v1`, or `dead-letter`. */
function typeNamed(name: string): string {
  if (name === 'dead-letter' || name === TRAIL_DEAD_LETTER_TYPE) return TRAIL_DEAD_LETTER_TYPE;
  const def = allEventDefinitions().find((d) => d.name === name || d.type === name);
  if (!def) throw invalid('type', `unknown event type ${name}; one of ${allEventDefinitions().map((d) => d.name).join(', ')}, dead-letter`);
  return def.type;
}

function encodeCursor(time: Date, seq: string): string {
  return Buffer.from(`${time.toISOString()}|${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): { time: Date; seq: string } {
  const [time, seq] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!time || !seq || !/^[0-9]{1,19}$/.test(seq) || Number.isNaN(Date.parse(time))) throw invalid('cursor', 'is not a cursor this trail gave');
  return { time: new Date(time), seq };
}
