import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `entries`: every event and dead letter, once (its id is unique: the table is its own inbox),
 * with what it concerns pulled out for searching. Append-only: a trigger refuses every update,
 * and every delete but retention's, which trims whole stories (see TrailRepository.trim).
 * `revisions`: each landed revision's place on its branch, to find a story by `r<revno>` or a
 * sha prefix, and its landing time for lead time.
 */
export class Trail1765000000001 implements MigrationInterface {
  name = 'Trail1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE entries (
        seq            bigserial PRIMARY KEY,
        event_id       text NOT NULL,
        type           text NOT NULL,
        time           timestamptz NOT NULL,
        source         text NOT NULL,
        subject        text,
        actor          text NOT NULL,
        actor_kind     text NOT NULL,
        actor_roles    text[] NOT NULL DEFAULT '{}',
        reason         text,
        correlation_id text,
        causation_id   text,
        summary        text NOT NULL,
        revisions      text[] NOT NULL DEFAULT '{}',
        hosts          text[] NOT NULL DEFAULT '{}',
        rollout_id     text,
        track          text,
        revno          int,
        event          jsonb NOT NULL,
        ingested_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT entries_event_id_key UNIQUE (event_id)
      )`);
    await q.query(`CREATE INDEX entries_time ON entries (time DESC, seq DESC)`);
    await q.query(`CREATE INDEX entries_revisions ON entries USING gin (revisions)`);
    await q.query(`CREATE INDEX entries_hosts ON entries USING gin (hosts)`);
    await q.query(`CREATE INDEX entries_actor ON entries (actor, time DESC)`);
    await q.query(`CREATE INDEX entries_type ON entries (type, time DESC)`);
    await q.query(`CREATE INDEX entries_rollout ON entries (rollout_id) WHERE rollout_id IS NOT NULL`);
    await q.query(`CREATE INDEX entries_track ON entries (track, revno) WHERE track IS NOT NULL`);
    await q.query(`CREATE INDEX entries_correlation ON entries (correlation_id)`);
    await q.query(`
      CREATE FUNCTION entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('runway.trail_trim', true) = 'on' THEN RETURN OLD; END IF;
        RAISE EXCEPTION 'the trail is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries FOR EACH ROW EXECUTE FUNCTION entries_append_only()`);
    await q.query(`
      CREATE TABLE revisions (
        sha         text PRIMARY KEY,
        branch      text NOT NULL,
        revno       int,
        landed_at   timestamptz NOT NULL,
        landed_with text,
        build_url   text,
        message     text,
        author      text
      )`);
    await q.query(`CREATE INDEX revisions_revno ON revisions (branch, revno)`);
    await q.query(`CREATE INDEX revisions_prefix ON revisions (sha text_pattern_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE revisions, entries`);
    await q.query(`DROP FUNCTION entries_append_only()`);
  }
}
