/**
 * trail's answers: entries of the append-only record of every event (who did what, when, to
 * which revision and server), the story of one revision from landing to every server, and
 * DORA's four keys computed from the record.
 */
import { type Static, Type } from '@sinclair/typebox';
import { ACTOR_KINDS } from '../vocabulary';
import { Nullable, OneOf, Timestamp } from './common';

export const TRAIL_DEAD_LETTER_TYPE = 'runway.dead-letter';

export const TrailActorSchema = Type.Object({
  name: Type.String({ description: 'A token\'s name, an agent\'s host, or `runway`' }),
  kind: OneOf(ACTOR_KINDS),
  roles: Type.Array(Type.String()),
});
export type TrailActor = Static<typeof TrailActorSchema>;

export const TrailEntrySchema = Type.Object({
  id: Type.String({ description: 'The event\'s id (for a dead letter: `dlq:<consumer>:<stream sequence>`)' }),
  type: Type.String({ description: `The event's type, or ${TRAIL_DEAD_LETTER_TYPE}` }),
  time: Timestamp,
  source: Type.String(),
  subject: Nullable(Type.String()),
  actor: TrailActorSchema,
  reason: Nullable(Type.String({ description: 'The comment or reason the person who acted gave' })),
  correlationId: Nullable(Type.String()),
  summary: Type.String({ description: 'One line a person can read' }),
  revisions: Type.Array(Type.String(), { description: 'The revisions it concerns' }),
  hosts: Type.Array(Type.String(), { description: 'The servers it concerns' }),
  rolloutId: Nullable(Type.String()),
  event: Type.Unknown({ description: 'The event itself (for a dead letter: its reason, consumer and body)' }),
});
export type TrailEntry = Static<typeof TrailEntrySchema>;

/** `GET /trail`: newest first; `next` is the cursor of the following page, null on the last. */
export const TrailPageSchema = Type.Object({
  entries: Type.Array(TrailEntrySchema),
  next: Nullable(Type.String()),
});
export type TrailPage = Static<typeof TrailPageSchema>;

export const STORY_STAGES = ['landed', 'qa', 'qa-passed', 'promoted', 'rollout', 'deploy', 'server', 'cowboy', 'flag', 'everywhere', 'other'] as const;
export type StoryStage = (typeof STORY_STAGES)[number];

export const StoryStepSchema = Type.Object({ stage: OneOf(STORY_STAGES), ...TrailEntrySchema.properties });
export type StoryStep = Static<typeof StoryStepSchema>;

const Moment = Nullable(Timestamp);
const Seconds = Nullable(Type.Number({ description: 'Seconds' }));

/** `GET /story/{revision}`. */
export const StorySchema = Type.Object({
  revision: Type.Object({
    sha: Type.String(),
    revno: Nullable(Type.Integer()),
    branch: Nullable(Type.String()),
    message: Nullable(Type.String()),
    author: Nullable(Type.String()),
    landedWith: Nullable(Type.String({ description: 'The sha buildbot reported, when its build covered several commits' })),
    buildUrl: Nullable(Type.String()),
  }),
  times: Type.Object({ landed: Moment, qaPassed: Moment, promoted: Moment, runningEverywhere: Moment }),
  leadTime: Type.Object({
    landedToQaPassed: Seconds, qaPassedToPromoted: Seconds, promotedToEverywhere: Seconds, total: Seconds,
  }),
  steps: Type.Array(StoryStepSchema),
});
export type Story = Static<typeof StorySchema>;

const Percentiles = Type.Object({ p50: Seconds, p90: Seconds, count: Type.Integer() });

/** `GET /dora`: DORA's four keys over a window, with what is behind each figure. */
export const DoraSchema = Type.Object({
  since: Timestamp,
  until: Timestamp,
  environment: Type.String(),
  deploymentFrequency: Type.Object({
    deployments: Type.Integer(),
    perDay: Type.Number(),
    days: Type.Array(Type.Object({ day: Type.String(), deployments: Type.Integer() })),
    rollouts: Type.Array(Type.Object({ rolloutId: Type.String(), revision: Type.String(), revno: Nullable(Type.Integer()), finishedAt: Timestamp })),
  }),
  leadTimeForChanges: Type.Object({
    ...Percentiles.properties,
    revisions: Type.Array(Type.Object({ sha: Type.String(), revno: Nullable(Type.Integer()), landedAt: Timestamp, everywhereAt: Timestamp, seconds: Type.Number() })),
  }),
  changeFailureRate: Type.Object({
    changes: Type.Integer(),
    failed: Type.Integer(),
    rate: Nullable(Type.Number({ description: 'failed / changes, 0..1; null without changes' })),
    failures: Type.Array(Type.Object({
      rolloutId: Type.String(), revision: Type.String(), revno: Nullable(Type.Integer()),
      why: OneOf(['failed', 'rolled-back', 'bad-revision', 'cowboy']), detail: Type.String(), at: Timestamp,
    })),
  }),
  timeToRestore: Type.Object({
    ...Percentiles.properties,
    restorations: Type.Array(Type.Object({
      rolloutId: Type.String(), failedAt: Timestamp, restoredAt: Moment, seconds: Seconds, restoredBy: Nullable(Type.String({ description: 'The revision whose running everywhere restored it' })),
    })),
  }),
});
export type Dora = Static<typeof DoraSchema>;
