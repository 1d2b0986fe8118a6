/**
 * qa-gate's answers: revisions and their QA history, landings, the deployable revision and
 * what blocks the next one, and what buildbot and `POST /revisions` are told of a landing.
 */
import { type Static, Type } from '@sinclair/typebox';
import { QA_STATUSES } from '../vocabulary';
import { Nullable, OneOf, Timestamp } from './common';

export const QaStatusSchema = OneOf(QA_STATUSES);

/** A revision recorded on a branch, with its QA status and what git told of it. */
export const RevisionSchema = Type.Object({
  id: Type.String({ description: 'Runway\'s id (a number, as a string)' }),
  branch: Type.String(),
  revno: Type.Integer({ description: 'Position on the branch\'s first-parent history' }),
  sha: Type.String(),
  message: Nullable(Type.String()),
  author: Nullable(Type.String()),
  landedAt: Timestamp,
  buildUrl: Nullable(Type.String()),
  buildId: Nullable(Type.Integer()),
  reportedBy: Nullable(Type.String()),
  qaStatus: QaStatusSchema,
  statusChangedAt: Nullable(Timestamp),
  db: Type.Boolean({ description: 'It changes the database schema: it deploys with downtime' }),
  fixedByRevno: Nullable(Type.Integer({ description: 'The revision that fixes this one (when bad)' })),
  fixesRevno: Nullable(Type.Integer({ description: 'The revision this one fixes' })),
  parents: Nullable(Type.Array(Type.String())),
  changedFiles: Nullable(Type.Array(Type.String())),
  enrichedAt: Nullable(Timestamp),
  enrichAttempts: Type.Integer(),
  enrichError: Nullable(Type.String()),
  nextEnrichAt: Nullable(Timestamp),
  landedWith: Nullable(Type.String({ description: 'The sha the landing reported: another one when buildbot collapsed builds' })),
  recordedAt: Timestamp,
});
export type Revision = Static<typeof RevisionSchema>;

/** `GET /revisions`: newest first; `next.before` asks for the page below. */
export const RevisionPageSchema = Type.Object({
  items: Type.Array(RevisionSchema),
  next: Nullable(Type.Object({ before: Type.Integer() })),
});
export type RevisionPage = Static<typeof RevisionPageSchema>;

export const QaHistoryEntrySchema = Type.Object({
  id: Type.String(),
  revisionId: Type.String(),
  fromStatus: Nullable(QaStatusSchema),
  toStatus: QaStatusSchema,
  by: Type.String(),
  note: Nullable(Type.String()),
  at: Timestamp,
});
export type QaHistoryEntry = Static<typeof QaHistoryEntrySchema>;

/** A build buildbot reported, kept whether or not it landed anything. */
export const BuildEventSchema = Type.Object({
  id: Type.String(),
  buildId: Type.Integer(),
  buildNumber: Nullable(Type.Integer()),
  builder: Nullable(Type.String()),
  branch: Nullable(Type.String()),
  revision: Nullable(Type.String()),
  results: Nullable(Type.Integer()),
  complete: Type.Boolean(),
  stateString: Nullable(Type.String()),
  url: Nullable(Type.String()),
  startedAt: Nullable(Timestamp),
  completeAt: Nullable(Timestamp),
  landed: Type.Boolean(),
  reason: Nullable(Type.String()),
  reportedBy: Nullable(Type.String()),
  receivedAt: Timestamp,
});
export type BuildEvent = Static<typeof BuildEventSchema>;

/** `GET /revisions/{id}`: a revision with its QA history and builds. */
export const RevisionDetailSchema = Type.Object({
  ...RevisionSchema.properties,
  history: Type.Array(QaHistoryEntrySchema),
  builds: Type.Array(BuildEventSchema),
});
export type RevisionDetail = Static<typeof RevisionDetailSchema>;

/** What became of a landing: recorded now, already there, or waiting for git to place it. */
export const LandingOutcomeSchema = Type.Object({
  branch: Type.String(),
  sha: Type.String(),
  recorded: Type.Boolean({ description: 'This call recorded it (or queued it for git); false when it was already there' }),
  pending: Type.Optional(Type.Boolean({ description: 'It waits to be read from git, which decides its revno' })),
  revno: Type.Optional(Type.Integer()),
  qaStatus: Type.Optional(QaStatusSchema),
});
export type LandingOutcome = Static<typeof LandingOutcomeSchema>;

/** `POST /revisions`: null when qa-gate does not watch the branch. */
export const LandingAnswerSchema = Nullable(LandingOutcomeSchema);
export type LandingAnswer = Static<typeof LandingAnswerSchema>;

/** `POST /buildbot`: the build as recorded, and the revision it landed, if any. */
export const BuildbotAnswerSchema = Type.Object({
  build: Type.Object({ id: Type.Integer(), complete: Type.Boolean(), duplicate: Type.Boolean() }),
  landed: Type.Boolean(),
  reason: Nullable(Type.String({ description: 'Why the build landed nothing' })),
  revision: LandingAnswerSchema,
});
export type BuildbotAnswer = Static<typeof BuildbotAnswerSchema>;

export const LANDING_STATES = ['pending', 'recorded', 'known', 'refused', 'dismissed'] as const;
export type LandingState = (typeof LANDING_STATES)[number];

/** A landing as reported (qa-gate with a repository), and what git made of it. */
export const LandingSchema = Type.Object({
  id: Type.String(),
  branch: Type.String(),
  sha: Type.String(),
  claimedRevno: Nullable(Type.Integer()),
  author: Nullable(Type.String()),
  landedAt: Timestamp,
  buildUrl: Nullable(Type.String()),
  buildId: Nullable(Type.Integer()),
  reportedBy: Nullable(Type.String()),
  state: OneOf(LANDING_STATES),
  refusal: Nullable(OneOf(['rewritten', 'not-first-parent'])),
  reason: Nullable(Type.String()),
  revnoFrom: Nullable(Type.Integer()),
  revnoTo: Nullable(Type.Integer()),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Timestamp),
  receivedAt: Timestamp,
  resolvedAt: Nullable(Timestamp),
  dismissedBy: Nullable(Type.String()),
});
export type Landing = Static<typeof LandingSchema>;

/** `GET /landings`: newest first; `next.before` asks for the page below. */
export const LandingPageSchema = Type.Object({
  items: Type.Array(LandingSchema),
  next: Nullable(Type.Object({ before: Type.String() })),
});
export type LandingPage = Static<typeof LandingPageSchema>;

const BLOCK_KINDS = ['needs-testing', 'needs-testing-fix', 'bad-unfixed', 'fix-not-landed', 'not-enriched'] as const;

/** The first revision QA's walk stops at, and who must act. */
export const RevisionBlockerSchema = Type.Object({
  revno: Type.Integer(),
  sha: Type.String(),
  status: QaStatusSchema,
  kind: OneOf(BLOCK_KINDS),
  reason: Type.String(),
  actor: OneOf(['qa', 'developer', 'runway']),
  fixes: Type.Optional(Type.Integer({ description: 'For a fix that needs testing: the bad revision it fixes' })),
  id: Type.String(),
  author: Nullable(Type.String()),
  landedAt: Timestamp,
  waitingSeconds: Type.Integer(),
});
export type RevisionBlocker = Static<typeof RevisionBlockerSchema>;

/** Past the last recorded revision: a landing git refused (rewritten history) or has not placed yet. */
export const LandingBlockerSchema = Type.Object({
  kind: OneOf(['landing-refused', 'landing-pending']),
  actor: OneOf(['operator', 'runway']),
  revno: Type.Null(),
  sha: Type.String(),
  landingId: Type.String(),
  status: Type.Null(),
  reason: Type.String(),
  author: Nullable(Type.String()),
  landedAt: Timestamp,
  waitingSeconds: Type.Integer(),
});
export type LandingBlocker = Static<typeof LandingBlockerSchema>;

export const BlockerSchema = Type.Union([RevisionBlockerSchema, LandingBlockerSchema]);
export type Blocker = Static<typeof BlockerSchema>;

/** The single action that moves the deployable revision furthest, addressed to who must take it. */
export const NextActionSchema = Type.Object({
  description: Type.String(),
  actor: OneOf(['qa', 'developer', 'runway', 'operator']),
  revno: Nullable(Type.Integer()),
  wouldMakeDeployable: Nullable(Type.Integer()),
  wouldRelease: Type.Integer({ description: 'How many revisions that adds to what can be promoted' }),
});
export type NextAction = Static<typeof NextActionSchema>;

/** Who must act for a bad revision production runs: land a fix, test it, or promote it (or roll back). */
export const BadActorSchema = OneOf(['developer', 'qa', 'operator']);
export type BadActor = Static<typeof BadActorSchema>;

/** A revision production runs that QA found bad, with no passing fix in production. */
export const BadRevisionInProductionSchema = Type.Object({
  revno: Type.Integer(),
  sha: Type.String(),
  fixedByRevno: Type.Optional(Type.Integer()),
  reason: Type.String(),
  actor: BadActorSchema,
});
export type BadRevisionInProduction = Static<typeof BadRevisionInProductionSchema>;

export const ProductionRunsBadSchema = Type.Object({
  revisions: Type.Array(BadRevisionInProductionSchema),
  actor: BadActorSchema,
  reason: Type.String(),
});
export type ProductionRunsBad = Static<typeof ProductionRunsBadSchema>;

/** `GET /deployable`: the last promoted and the deployable revision, what blocks the next one, and who must act. */
export const DeployableSchema = Type.Object({
  branch: Type.String(),
  lastPromoted: Nullable(Type.Object({ revno: Nullable(Type.Integer()), sha: Type.String(), at: Nullable(Timestamp) })),
  deployable: Nullable(Type.Object({ revno: Type.Integer(), sha: Nullable(Type.String()) })),
  tip: Nullable(Type.Object({ revno: Type.Integer(), sha: Nullable(Type.String()) })),
  waiting: Type.Integer({ description: 'Revisions above the deployable one' }),
  blocker: Nullable(BlockerSchema),
  blockers: Type.Array(BlockerSchema, { description: 'Everything that blocks, most urgent first (the first is `blocker`)' }),
  nextAction: Nullable(NextActionSchema),
  productionRunsBad: Nullable(ProductionRunsBadSchema),
  landings: Type.Object({
    pending: Type.Integer(),
    refused: Type.Array(Type.Object({
      id: Type.String(), sha: Type.String(), reason: Nullable(Type.String()), buildId: Nullable(Type.Integer()), at: Nullable(Timestamp),
    })),
  }),
});
export type Deployable = Static<typeof DeployableSchema>;
