/** The only place flags touches Postgres. Writes take the caller's transaction. */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { FlagDoc, FlagSnapshot, Rule, ValueDomain } from '@runway/sdk';

export interface ChangeEntry {
  id: string;
  at: Date;
  by: string;
  comment: string;
  flags: string[];
  diff: string;
  version: string;
}

export interface UsageRow {
  flag: string;
  evaluations: string;
  first_evaluated_at: Date;
  last_evaluated_at: Date;
}

export interface Sighting {
  kind: 'flag' | 'scope';
  name: string;
  source: string;
  first_seen: Date;
  last_seen: Date;
}

interface DocRow {
  name: string;
  title: string;
  description: string;
  domain: ValueDomain;
  default_value: string | null;
}

const toDoc = (d: DocRow): FlagDoc => ({ name: d.name, title: d.title, description: d.description, domain: d.domain, default: d.default_value });

@Injectable()
export class FlagsRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  /** The whole rule set and docs at one version, read by one statement so they agree. */
  async snapshot(): Promise<FlagSnapshot> {
    const [row]: { version: string; rules: Rule[] | null; docs: DocRow[] | null }[] = await this.ds.query(`
      SELECT (SELECT version FROM rule_set WHERE id = 1) AS version,
             (SELECT json_agg(json_build_object('flag', flag, 'scope', scope, 'priority', priority, 'value', value) ORDER BY flag, priority DESC) FROM rules) AS rules,
             (SELECT json_agg(d ORDER BY name) FROM flag_docs d) AS docs`);
    return { version: Number(row.version), rules: row.rules ?? [], docs: (row.docs ?? []).map(toDoc) };
  }

  async version(): Promise<number> {
    const [row]: { version: string }[] = await this.ds.query(`SELECT version FROM rule_set WHERE id = 1`);
    return Number(row.version);
  }

  /** Locks the rule set for this transaction (every edit on every replica queues here); its version. */
  async lockVersion(em: EntityManager): Promise<number> {
    const [row]: { version: string }[] = await em.query(`SELECT version FROM rule_set WHERE id = 1 FOR UPDATE`);
    return Number(row.version);
  }

  async rules(em: EntityManager): Promise<Rule[]> {
    return em.query(`SELECT flag, scope, priority, value FROM rules ORDER BY flag, priority DESC`);
  }

  async docs(em: EntityManager | null = null): Promise<FlagDoc[]> {
    const rows: DocRow[] = await (em ?? this.ds.manager).query(`SELECT name, title, description, domain, default_value FROM flag_docs ORDER BY name`);
    return rows.map(toDoc);
  }

  async replaceRules(em: EntityManager, rules: readonly Rule[]): Promise<void> {
    await em.query(`DELETE FROM rules`);
    if (rules.length === 0) return;
    await em.query(
      `INSERT INTO rules (flag, scope, priority, value) SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])`,
      [rules.map((r) => r.flag), rules.map((r) => r.scope), rules.map((r) => r.priority), rules.map((r) => r.value)],
    );
  }

  async upsertDoc(em: EntityManager, doc: FlagDoc): Promise<void> {
    await em.query(
      `INSERT INTO flag_docs (name, title, description, domain, default_value) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO UPDATE SET title = $2, description = $3, domain = $4, default_value = $5, updated_at = now()`,
      [doc.name, doc.title, doc.description, doc.domain, doc.default],
    );
  }

  async bumpVersion(em: EntityManager): Promise<number> {
    const [row]: { version: string }[] = await em.query(`UPDATE rule_set SET version = version + 1, updated_at = now() WHERE id = 1 RETURNING version`).then(
      ([rows]: [{ version: string }[]]) => rows,
    );
    return Number(row.version);
  }

  async addChange(em: EntityManager, c: { by: string; comment: string; flags: string[]; diff: string; version: number }): Promise<string> {
    const [row]: { id: string }[] = await em.query(
      `INSERT INTO changes (by, comment, flags, diff, version) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [c.by, c.comment, c.flags, c.diff, c.version],
    );
    return row.id;
  }

  /** Newest first; `before` is an id from a previous page. */
  changelog(opts: { flag?: string; limit: number; before?: number }): Promise<ChangeEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.flag) where.push(`flags @> ARRAY[$${params.push(opts.flag)}]::text[]`);
    if (opts.before) where.push(`id < $${params.push(opts.before)}`);
    params.push(opts.limit);
    return this.ds.query(
      `SELECT id, at, by, comment, flags, diff, version FROM changes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** Adds evaluation counts; one statement for the whole batch. */
  async recordUsage(counts: ReadonlyMap<string, number>, at: Date): Promise<void> {
    if (counts.size === 0) return;
    await this.ds.query(
      `INSERT INTO usage (flag, evaluations, first_evaluated_at, last_evaluated_at)
       SELECT f, n, $3, $3 FROM unnest($1::text[], $2::bigint[]) AS u(f, n)
       ON CONFLICT (flag) DO UPDATE SET evaluations = usage.evaluations + EXCLUDED.evaluations,
         last_evaluated_at = GREATEST(usage.last_evaluated_at, EXCLUDED.last_evaluated_at)`,
      [[...counts.keys()], [...counts.values()], at],
    );
  }

  async recordSightings(kind: 'flag' | 'scope', names: readonly string[], source: string, at: Date): Promise<void> {
    if (names.length === 0) return;
    await this.ds.query(
      `INSERT INTO sightings (kind, name, source, first_seen, last_seen) SELECT $1, n, $3, $4, $4 FROM unnest($2::text[]) AS n
       ON CONFLICT (kind, name) DO UPDATE SET last_seen = GREATEST(sightings.last_seen, EXCLUDED.last_seen), source = EXCLUDED.source`,
      [kind, names, source, at],
    );
  }

  usage(): Promise<UsageRow[]> {
    return this.ds.query(`SELECT flag, evaluations, first_evaluated_at, last_evaluated_at FROM usage`);
  }

  sightings(): Promise<Sighting[]> {
    return this.ds.query(`SELECT kind, name, source, first_seen, last_seen FROM sightings ORDER BY kind, name`);
  }

  /** When each flag with rules or docs was created: the first change that named it. */
  async firstSeen(): Promise<Map<string, Date>> {
    const rows: { flag: string; at: Date }[] = await this.ds.query(`SELECT f AS flag, min(at) AS at FROM changes, unnest(flags) AS f GROUP BY f`);
    return new Map(rows.map((r) => [r.flag, r.at]));
  }
}
