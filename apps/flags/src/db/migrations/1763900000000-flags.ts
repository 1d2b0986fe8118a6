import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rule set is one versioned document: `rule_set` holds its version (one row), `rules` its
 * lines, and `changes` every edit with its unified diff. `usage` and `sightings` are what
 * evaluations reported: when each flag was last asked for, and undocumented flags and scopes.
 */
export class Flags1763900000000 implements MigrationInterface {
  name = 'Flags1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE rule_set (id int PRIMARY KEY CHECK (id = 1), version bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`INSERT INTO rule_set (id, version) VALUES (1, 0)`);
    await q.query(`
      CREATE TABLE rules (
        flag     text NOT NULL,
        priority int NOT NULL,
        scope    text NOT NULL,
        value    text NOT NULL,
        PRIMARY KEY (flag, priority)
      )`);
    await q.query(`CREATE INDEX rules_scope ON rules (scope)`);
    await q.query(`
      CREATE TABLE flag_docs (
        name        text PRIMARY KEY,
        title       text NOT NULL,
        description text NOT NULL DEFAULT '',
        domain      text NOT NULL,
        default_value text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE changes (
        id       bigserial PRIMARY KEY,
        at       timestamptz NOT NULL DEFAULT now(),
        by       text NOT NULL,
        comment  text NOT NULL,
        flags    text[] NOT NULL,
        diff     text NOT NULL,
        version  bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX changes_flags ON changes USING gin (flags)`);
    await q.query(`
      CREATE TABLE usage (
        flag              text PRIMARY KEY,
        evaluations       bigint NOT NULL DEFAULT 0,
        first_evaluated_at timestamptz NOT NULL,
        last_evaluated_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE sightings (
        kind       text NOT NULL CHECK (kind IN ('flag', 'scope')),
        name       text NOT NULL,
        source     text NOT NULL,
        first_seen timestamptz NOT NULL,
        last_seen  timestamptz NOT NULL,
        PRIMARY KEY (kind, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sightings, usage, changes, flag_docs, rules, rule_set`);
  }
}
