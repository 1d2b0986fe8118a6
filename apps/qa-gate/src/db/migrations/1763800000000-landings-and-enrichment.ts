import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Build events from buildbot, what git says about each revision, fix links, and the last promotion. */
export class LandingsAndEnrichment1763800000000 implements MigrationInterface {
  name = 'LandingsAndEnrichment1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE revisions
        ADD COLUMN parents         text[],
        ADD COLUMN changed_files   text[],
        ADD COLUMN enriched_at     timestamptz,
        ADD COLUMN enrich_attempts int NOT NULL DEFAULT 0,
        ADD COLUMN enrich_error    text,
        ADD COLUMN next_enrich_at  timestamptz,
        ADD COLUMN fixes_revno     int,
        ADD COLUMN build_id        int,
        ADD COLUMN status_changed_at timestamptz`);
    await q.query(`UPDATE revisions SET enriched_at = recorded_at`);
    await q.query(`CREATE INDEX revisions_unenriched_idx ON revisions (next_enrich_at) WHERE enriched_at IS NULL`);
    await q.query(`CREATE INDEX revisions_branch_landed_idx ON revisions (branch, landed_at)`);
    await q.query(`
      CREATE TABLE build_events (
        id           bigserial PRIMARY KEY,
        build_id     int NOT NULL,
        build_number int,
        builder      text,
        branch       text,
        revision     text,
        results      int,
        complete     boolean NOT NULL,
        state_string text,
        url          text,
        started_at   timestamptz,
        complete_at  timestamptz,
        landed       boolean NOT NULL,
        reason       text,
        reported_by  text,
        received_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT build_events_build_complete_key UNIQUE (build_id, complete)
      )`);
    await q.query(`CREATE INDEX build_events_revision_idx ON build_events (revision)`);
    await q.query(`
      ALTER TABLE branch_state
        ALTER COLUMN updated_at SET DEFAULT now(),
        ADD COLUMN last_promoted_revno int,
        ADD COLUMN last_promoted_sha   text,
        ADD COLUMN last_promoted_at    timestamptz,
        ADD COLUMN tip_revno           int,
        ADD COLUMN tip_sha             text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE branch_state DROP COLUMN last_promoted_revno, DROP COLUMN last_promoted_sha, DROP COLUMN last_promoted_at, DROP COLUMN tip_revno, DROP COLUMN tip_sha`);
    await q.query(`DROP TABLE build_events`);
    await q.query(`DROP INDEX revisions_unenriched_idx`);
    await q.query(`DROP INDEX revisions_branch_landed_idx`);
    await q.query(`ALTER TABLE revisions DROP COLUMN parents, DROP COLUMN changed_files, DROP COLUMN enriched_at, DROP COLUMN enrich_attempts,
      DROP COLUMN enrich_error, DROP COLUMN next_enrich_at, DROP COLUMN fixes_revno, DROP COLUMN build_id, DROP COLUMN status_changed_at`);
  }
}
