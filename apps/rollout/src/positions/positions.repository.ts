/**
 * Where revisions stand, as rollout has learnt it from events (see positions.ts): each
 * commit's first revision on the QA branch, and each deploy target's content. Production's
 * content only grows: its revno never goes back, and it never drops a security fix.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Content, Place } from './positions';

interface Row {
  sha: string;
  first_stable_revno: number | null;
  target_stable_revno: number | null;
  target_fixes: string[];
}

@Injectable()
export class PositionsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /** A revision of the QA branch at `revno`; a merge's `brings` first appear there too. */
  async landed(em: EntityManager, sha: string, revno: number, brings: readonly string[] = []): Promise<void> {
    await em.query(
      `INSERT INTO known_revisions (sha, first_stable_revno, target_stable_revno) VALUES ($1, $2, $2)
       ON CONFLICT (sha) DO UPDATE SET first_stable_revno = least(coalesce(known_revisions.first_stable_revno, $2), $2),
         target_stable_revno = coalesce(known_revisions.target_stable_revno, $2), updated_at = now()`,
      [sha, revno],
    );
    if (brings.length === 0) return;
    // `$2::int`: in a SELECT list Postgres would type a bare parameter as text, and the insert
    // of every merge's commits would fail (first_stable_revno is an integer).
    await em.query(
      `INSERT INTO known_revisions (sha, first_stable_revno) SELECT DISTINCT unnest($1::text[]), $2::int
       ON CONFLICT (sha) DO UPDATE SET first_stable_revno = least(coalesce(known_revisions.first_stable_revno, $2), $2), updated_at = now()`,
      [brings, revno],
    );
  }

  /**
   * Production moved to `head`, which stands at `revno` on the QA branch (unknown for a
   * security fix: it keeps production's) and adds `fixes`. Returns what `head` contains.
   */
  async promoted(em: EntityManager, branch: string, head: string, revno: number | null, fixes: readonly string[]): Promise<Content> {
    const [row]: { stable_revno: number | null; fixes: string[] }[] = await em.query(
      `INSERT INTO production_content (branch, stable_revno, fixes) VALUES ($1, $2, $3)
       ON CONFLICT (branch) DO UPDATE SET stable_revno = greatest(production_content.stable_revno, $2),
         fixes = ARRAY(SELECT DISTINCT unnest(production_content.fixes || $3::text[]))
       RETURNING stable_revno, fixes`,
      [branch, revno, fixes],
    );
    const content: Content = { stableRevno: revno ?? row.stable_revno, fixes: row.fixes };
    for (const sha of [head, ...fixes]) {
      await em.query(
        `INSERT INTO known_revisions (sha, target_stable_revno, target_fixes) VALUES ($1, $2, $3)
         ON CONFLICT (sha) DO UPDATE SET target_stable_revno = coalesce(known_revisions.target_stable_revno, $2),
           target_fixes = ARRAY(SELECT DISTINCT unnest(known_revisions.target_fixes || $3::text[])), updated_at = now()`,
        [sha, content.stableRevno, content.fixes],
      );
    }
    return content;
  }

  /** What a revision contains as a deploy target, if rollout knows it (by sha, or a prefix only it has). */
  async content(em: EntityManager | null, sha: string): Promise<Content | null> {
    const row = await this.find(em, sha);
    return row && row.target_stable_revno !== null ? { stableRevno: row.target_stable_revno, fixes: row.target_fixes } : null;
  }

  /** Where a commit first appears on the QA branch; its sha alone when that is not known (a fix matches by it). */
  async place(em: EntityManager | null, sha: string): Promise<Place> {
    const row = await this.find(em, sha);
    return { sha: row?.sha ?? sha, firstStableRevno: row?.first_stable_revno ?? null };
  }

  /** Contents of many targets at once (the revisions servers run), by the names given. */
  async contents(em: EntityManager | null, shas: readonly string[]): Promise<Map<string, Content>> {
    const out = new Map<string, Content>();
    for (const sha of new Set(shas)) {
      const c = await this.content(em, sha);
      if (c) out.set(sha, c);
    }
    return out;
  }

  private async find(em: EntityManager | null, sha: string): Promise<Row | null> {
    const rows: Row[] = await (em ?? this.ds.manager).query(
      `SELECT sha, first_stable_revno, target_stable_revno, target_fixes FROM known_revisions WHERE sha LIKE $1 || '%' ORDER BY sha = $1 DESC LIMIT 2`,
      [sha],
    );
    return rows[0]?.sha === sha || rows.length === 1 ? rows[0] : null;
  }
}
