import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollout converges: what each revision contains (its place on the QA branch, the security
 * fixes it carries), learnt from events, so containment is judged by ancestry without reading
 * git; a rollout belongs to a track and may name its hosts (catch-up, manual); servers can be
 * deregistered, pinned by a manual rollout, and remember what Runway last put on them; each
 * track remembers the revision it last rolled out everywhere.
 */
export class Convergence1764940000000 implements MigrationInterface {
  name = 'Convergence1764940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE known_revisions (
        sha                 text PRIMARY KEY,
        first_stable_revno  int,
        target_stable_revno int,
        target_fixes        text[] NOT NULL DEFAULT '{}',
        updated_at          timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX known_revisions_prefix_idx ON known_revisions (sha text_pattern_ops)`);
    await q.query(`
      CREATE TABLE production_content (
        branch       text PRIMARY KEY,
        stable_revno int,
        fixes        text[] NOT NULL DEFAULT '{}'
      )`);
    await q.query(`
      CREATE TABLE track_baselines (
        track      text PRIMARY KEY,
        sha        text NOT NULL,
        rollout_id uuid NOT NULL,
        at         timestamptz NOT NULL
      )`);
    await q.query(`ALTER TABLE rollouts ADD COLUMN track text, ADD COLUMN hosts text[], ADD COLUMN cancelled_by text`);
    await q.query(`UPDATE rollouts SET track = cause`);
    await q.query(`ALTER TABLE rollouts ALTER COLUMN track SET NOT NULL`);
    await q.query(
      `CREATE INDEX rollouts_track_open_idx ON rollouts (track, created_at)
        WHERE status IN ('queued', 'waiting-window', 'preflight', 'blocked', 'in-progress', 'paused')`,
    );
    await q.query(`CREATE INDEX rollouts_track_finished_idx ON rollouts (track, finished_at) WHERE status = 'succeeded'`);
    await q.query(`CREATE INDEX deploys_open_idx ON deploys (requested_at) WHERE status IN ('requested', 'started')`);
    await q.query(`
      ALTER TABLE servers
        ADD COLUMN deregistered_at        timestamptz,
        ADD COLUMN deregistered_by        text,
        ADD COLUMN running_since          timestamptz,
        ADD COLUMN last_deployed_revision text,
        ADD COLUMN pinned_revision        text,
        ADD COLUMN pinned_at              timestamptz,
        ADD COLUMN drift_since            timestamptz`);
    await q.query(`UPDATE servers SET last_deployed_revision = running_revision`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE servers DROP COLUMN deregistered_at, DROP COLUMN deregistered_by, DROP COLUMN running_since, DROP COLUMN last_deployed_revision,
      DROP COLUMN pinned_revision, DROP COLUMN pinned_at, DROP COLUMN drift_since`);
    await q.query(`DROP INDEX deploys_open_idx`);
    await q.query(`DROP INDEX rollouts_track_finished_idx`);
    await q.query(`DROP INDEX rollouts_track_open_idx`);
    await q.query(`ALTER TABLE rollouts DROP COLUMN track, DROP COLUMN hosts, DROP COLUMN cancelled_by`);
    await q.query(`DROP TABLE track_baselines, production_content, known_revisions`);
  }
}
