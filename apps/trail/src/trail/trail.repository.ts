/**
 * The only place trail touches Postgres. Entries go in by the batch, in one statement, and an
 * event already recorded is skipped (its id is unique), so a redelivered batch changes nothing.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Events, type TrailActor } from '@runway/contracts';

/** An entry as it is written. */
export interface NewEntry {
  eventId: string;
  type: string;
  time: string;
  source: string;
  subject: string | null;
  actor: TrailActor;
  reason: string | null;
  correlationId: string | null;
  causationId: string | null;
  summary: string;
  revisions: string[];
  hosts: string[];
  rolloutId: string | null;
  track: string | null;
  revno: number | null;
  event: unknown;
}

/** An entry as it is read. */
export interface EntryRow {
  seq: string;
  event_id: string;
  type: string;
  time: Date;
  source: string;
  subject: string | null;
  actor: string;
  actor_kind: string;
  actor_roles: string[];
  reason: string | null;
  correlation_id: string | null;
  summary: string;
  revisions: string[];
  hosts: string[];
  rollout_id: string | null;
  track: string | null;
  revno: number | null;
  event: unknown;
}

export interface LandedRevision {
  sha: string;
  branch: string;
  revno: number | null;
  landedAt: string;
  landedWith: string | null;
  buildUrl: string | null;
  message: string | null;
  author: string | null;
}

export interface RevisionRow {
  sha: string;
  branch: string;
  revno: number | null;
  landed_at: Date;
  landed_with: string | null;
  build_url: string | null;
  message: string | null;
  author: string | null;
}

export interface TrailFilter {
  revision?: string;
  server?: string;
  actor?: string;
  type?: string;
  since?: Date;
  until?: Date;
  /** Entries strictly older than this position (time, seq), for the next page. */
  before?: { time: Date; seq: string };
}

/**
 * JSON text Postgres can store: jsonb and text refuse the NUL character (`\u0000`), which a
 * malformed message or a payload string may hold. It is kept visible as U+FFFD. Only an escape
 * preceded by an even number of backslashes is a NUL (an odd number makes it literal text).
 */
export function jsonbSafe(json: string): string {
  return json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

const COLUMNS = `seq::text AS seq, event_id, type, time, source, subject, actor, actor_kind, actor_roles, reason, correlation_id, summary,
  revisions, hosts, rollout_id, track, revno, event`;

@Injectable()
export class TrailRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  /** Writes entries (one statement), skipping those recorded already; returns how many were new. */
  async insert(em: EntityManager, entries: NewEntry[], landed: LandedRevision[]): Promise<number> {
    if (entries.length === 0) return 0;
    const rows = entries.map((e) => ({
      event_id: e.eventId, type: e.type, time: e.time, source: e.source, subject: e.subject, actor: e.actor.name, actor_kind: e.actor.kind,
      actor_roles: e.actor.roles, reason: e.reason, correlation_id: e.correlationId, causation_id: e.causationId, summary: e.summary,
      revisions: e.revisions, hosts: e.hosts, rollout_id: e.rolloutId, track: e.track, revno: e.revno, event: e.event,
    }));
    const inserted: unknown[] = await em.query(
      `INSERT INTO entries (event_id, type, time, source, subject, actor, actor_kind, actor_roles, reason, correlation_id, causation_id, summary,
                            revisions, hosts, rollout_id, track, revno, event)
       SELECT event_id, type, time, source, subject, actor, actor_kind, actor_roles, reason, correlation_id, causation_id, summary,
              revisions, hosts, rollout_id, track, revno, event
         FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, type text, time timestamptz, source text, subject text, actor text, actor_kind text,
              actor_roles text[], reason text, correlation_id text, causation_id text, summary text, revisions text[], hosts text[], rollout_id text,
              track text, revno int, event jsonb)
       ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
      [jsonbSafe(JSON.stringify(rows))],
    );
    if (landed.length) {
      await em.query(
        `INSERT INTO revisions (sha, branch, revno, landed_at, landed_with, build_url, message, author)
         SELECT DISTINCT ON (sha) sha, branch, revno, landed_at, landed_with, build_url, message, author
           FROM jsonb_to_recordset($1::jsonb) AS r(sha text, branch text, revno int, landed_at timestamptz, landed_with text, build_url text, message text, author text)
          ORDER BY sha
         ON CONFLICT (sha) DO NOTHING`,
        [jsonbSafe(JSON.stringify(landed.map((l) => ({
          sha: l.sha, branch: l.branch, revno: l.revno, landed_at: l.landedAt, landed_with: l.landedWith, build_url: l.buildUrl, message: l.message, author: l.author,
        }))))],
      );
    }
    return inserted.length;
  }

  /** Newest first, `limit` of them, after `before`. */
  page(f: TrailFilter, limit: number): Promise<EntryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (f.revision) where.push(`revisions @> ARRAY[${p(f.revision)}]::text[]`);
    if (f.server) where.push(`hosts @> ARRAY[${p(f.server)}]::text[]`);
    if (f.actor) where.push(`actor = ${p(f.actor)}`);
    if (f.type) where.push(`type = ${p(f.type)}`);
    if (f.since) where.push(`time >= ${p(f.since)}`);
    if (f.until) where.push(`time < ${p(f.until)}`);
    if (f.before) where.push(`(time, seq) < (${p(f.before.time)}::timestamptz, ${p(f.before.seq)}::bigint)`);
    return this.ds.query(
      `SELECT ${COLUMNS} FROM entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, seq DESC LIMIT ${p(limit)}`,
      params,
    );
  }

  /** A landed revision by full sha, or the revisions a prefix names (at most 2: enough to see it is ambiguous). */
  revisionsByPrefix(prefix: string): Promise<RevisionRow[]> {
    return this.ds.query(`SELECT * FROM revisions WHERE sha LIKE $1 ORDER BY sha LIMIT 2`, [`${prefix}%`]);
  }

  revisionByRevno(branch: string, revno: number): Promise<RevisionRow[]> {
    return this.ds.query(`SELECT * FROM revisions WHERE branch = $1 AND revno = $2 LIMIT 1`, [branch, revno]);
  }

  /** Whether any entry concerns this exact sha (a revision that never landed on a watched branch: a security fix, a merge). */
  async mentioned(sha: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(`SELECT 1 FROM entries WHERE revisions @> ARRAY[$1]::text[] LIMIT 1`, [sha]);
    return rows.length > 0;
  }

  /**
   * Every entry about the revision, and every entry of the rollouts that carried it: those that
   * name it, and the first QA rollout at or above its revno (a QA tip often moves past several).
   */
  storyEntries(sha: string, revno: number | null): Promise<EntryRow[]> {
    // Positions first, narrow; the wide rows (the events themselves) are read once each.
    return this.ds.query(
      `WITH carried AS (
         SELECT DISTINCT rollout_id FROM entries WHERE revisions @> ARRAY[$1]::text[] AND rollout_id IS NOT NULL AND type = $3
         UNION
         (SELECT rollout_id FROM entries WHERE $2::int IS NOT NULL AND track = 'qa-tip' AND revno >= $2 AND type = $3 ORDER BY revno, time LIMIT 1)
       ), wanted AS (
         SELECT seq FROM entries WHERE revisions @> ARRAY[$1]::text[]
         UNION
         SELECT seq FROM entries WHERE rollout_id IN (SELECT rollout_id FROM carried)
       )
       SELECT ${COLUMNS} FROM entries WHERE seq IN (SELECT seq FROM wanted) ORDER BY time, seq`,
      [sha, revno, Events.RolloutChanged.type],
    );
  }

  /** What touched `hosts` (holds, cowboys) and every flag change, between two moments: the story's surroundings. */
  surroundings(hosts: string[], from: Date, to: Date): Promise<EntryRow[]> {
    return this.ds.query(
      `SELECT ${COLUMNS} FROM entries
        WHERE time >= $1 AND time <= $2
          AND ((type = ANY($3) AND hosts && $4::text[]) OR type = $5)
        ORDER BY time, seq LIMIT 1000`,
      [from, to, [Events.ServerChanged.type, Events.CowboyApplied.type, Events.CowboyRemoved.type], hosts, Events.FlagChanged.type],
    );
  }

  /** What DORA's figures are computed from, for rollouts on `tracks` (or deploying to `environment`) since `since`. */
  async doraInputs(since: Date, tracks: string[] | null, environment: string | null) {
    // Rollouts on the tracks, or with a deploy to the environment (then `$3` is that environment).
    const rollouts: EntryRow[] = environment
      ? await this.ds.query(
        `SELECT ${COLUMNS} FROM entries WHERE type = $1 AND time >= $2
            AND rollout_id IN (SELECT rollout_id FROM entries WHERE type = $4 AND time >= $2 AND event->'data'->>'environment' = $3)
          ORDER BY time, seq`,
        [Events.RolloutChanged.type, since, environment, Events.DeployRequested.type],
      )
      : await this.ds.query(
        `SELECT ${COLUMNS} FROM entries WHERE type = $1 AND time >= $2 AND track = ANY($3) ORDER BY time, seq`,
        [Events.RolloutChanged.type, since, tracks ?? []],
      );
    const ids = [...new Set(rollouts.map((r) => r.rollout_id!))];
    const hosts: { rollout_id: string; hosts: string[] }[] = ids.length
      ? await this.ds.query(
        `SELECT rollout_id, array_agg(DISTINCT h) AS hosts FROM entries, unnest(hosts) AS h WHERE type = $1 AND rollout_id = ANY($2) GROUP BY rollout_id`,
        [Events.DeployRequested.type, ids],
      )
      : [];
    const everywhere: { event: { data: { revisions: { sha: string; revno?: number }[]; at: string } } }[] = await this.ds.query(
      `SELECT event FROM entries WHERE type = $1 AND time >= $2 ORDER BY time, seq`, [Events.RunningEverywhere.type, since],
    );
    const shas = [...new Set(everywhere.flatMap((e) => e.event.data.revisions.map((r) => r.sha)))];
    const landed: { sha: string; landed_at: Date }[] = shas.length ? await this.ds.query(`SELECT sha, landed_at FROM revisions WHERE sha = ANY($1)`, [shas]) : [];
    const bad: { event: { data: { sha: string; revno: number; by: string } }; time: Date }[] = await this.ds.query(
      `SELECT event, time FROM entries WHERE type = $1 AND time >= $2 AND event->'data'->>'to' = 'bad' ORDER BY time`, [Events.QaStatusChanged.type, since],
    );
    const cowboys: { hosts: string[]; time: Date; event: { data: { patchHash: string } } }[] = await this.ds.query(
      `SELECT hosts, time, event FROM entries WHERE type = $1 AND time >= $2 ORDER BY time`, [Events.CowboyApplied.type, since],
    );
    return { rollouts, hosts, everywhere, landed, bad, cowboys };
  }

  /**
   * Retention: removes entries older than `before`, except those about a revision that still has
   * a newer entry (a story is trimmed whole or not at all), then revisions nothing names any more.
   * The append-only trigger lets only this through. Returns how many entries went.
   */
  async trim(before: Date): Promise<number> {
    return this.ds.transaction(async (em) => {
      await em.query(`SELECT set_config('runway.trail_trim', 'on', true)`);
      const [, deleted]: [unknown[], number] = await em.query(
        `DELETE FROM entries e WHERE e.time < $1
           AND NOT EXISTS (SELECT 1 FROM entries n WHERE n.time >= $1 AND n.revisions && e.revisions AND e.revisions <> '{}')`,
        [before],
      );
      await em.query(`DELETE FROM revisions r WHERE r.landed_at < $1 AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.revisions @> ARRAY[r.sha])`, [before]);
      return deleted;
    });
  }
}
