/**
 * The flags service's answers: the rule set (as text and as rules), edits and their diffs,
 * flag docs and usage, the changelog, evaluation with its explanation, the SDK's snapshot,
 * and OFREP, OpenFeature's remote evaluation protocol.
 */
import { type Static, Type } from '@sinclair/typebox';
import { LineErrorSchema } from './errors';
import { Nullable, OneOf, Timestamp } from './common';

/** As libs/sdk's VALUE_DOMAINS: the flags service does not compile if the two part. */
export const FLAG_VALUE_DOMAINS = ['boolean', 'int', 'float', 'space-delimited', 'datetime', 'string'] as const;
const ValueDomainSchema = OneOf(FLAG_VALUE_DOMAINS);

/** OpenFeature's reasons, as Runway uses them. */
export const ReasonSchema = OneOf(['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DEFAULT']);

export const RuleSchema = Type.Object({
  flag: Type.String(),
  scope: Type.String(),
  priority: Type.Integer(),
  value: Type.String({ description: '"" is a value' }),
});
export type Rule = Static<typeof RuleSchema>;

export const FlagDocSchema = Type.Object({
  name: Type.String(),
  title: Type.String(),
  description: Type.String(),
  domain: ValueDomainSchema,
  default: Nullable(Type.String({ description: 'The documented default: the value when no rule matches' })),
});
export type FlagDoc = Static<typeof FlagDocSchema>;

/** `GET /rules`: the rules (of one flag or scope, if asked), and the same as text. */
export const RuleSetSchema = Type.Object({ version: Type.Integer(), text: Type.String(), rules: Type.Array(RuleSchema) });
export type RuleSet = Static<typeof RuleSetSchema>;

/** What a rule edit did: the new version, the changelog entry and its diff; `changed: false` when it changed nothing. */
export const RuleChangeSchema = Type.Object({
  version: Type.Integer(),
  changed: Type.Boolean(),
  changeId: Nullable(Type.String()),
  diff: Type.String(),
});
export type RuleChange = Static<typeof RuleChangeSchema>;

/** `POST /rules/check`: what replacing the rule set with a text would do, changing nothing. */
export const RulesCheckSchema = Type.Object({ ok: Type.Boolean(), errors: Type.Array(LineErrorSchema), diff: Type.String() });
export type RulesCheck = Static<typeof RulesCheckSchema>;

const FlagFacts = {
  name: Type.String(),
  title: Nullable(Type.String()),
  description: Nullable(Type.String()),
  domain: Nullable(ValueDomainSchema),
  default: Nullable(Type.String()),
  documented: Type.Boolean(),
  lastEvaluatedAt: Nullable(Timestamp),
  evaluations: Type.Integer(),
};

/** A flag with rules or docs, in `GET /flags`. */
export const FlagSummarySchema = Type.Object({ ...FlagFacts, rules: Type.Integer({ description: 'How many rules it has' }) });
export type FlagSummary = Static<typeof FlagSummarySchema>;
export const FlagListSchema = Type.Object({ flags: Type.Array(FlagSummarySchema) });
export type FlagList = Static<typeof FlagListSchema>;

/** `GET /flags/{flag}`: its docs, usage and rules. */
export const FlagDetailSchema = Type.Object({ ...FlagFacts, rules: Type.Array(RuleSchema) });
export type FlagDetail = Static<typeof FlagDetailSchema>;

/** `GET /flags/stale`: flags not evaluated for `days` days. */
export const StaleFlagsSchema = Type.Object({
  days: Type.Integer(),
  flags: Type.Array(Type.Object({ name: Type.String(), lastEvaluatedAt: Nullable(Timestamp), rules: Type.Integer(), documented: Type.Boolean() })),
});
export type StaleFlags = Static<typeof StaleFlagsSchema>;

/** `PUT /flags/{flag}`: the docs as saved, with the version and changelog entry they made. */
export const DocumentedFlagSchema = Type.Object({ ...FlagDocSchema.properties, version: Type.Integer(), changeId: Type.String() });
export type DocumentedFlag = Static<typeof DocumentedFlagSchema>;

/** A flag or scope evaluated but never documented (flags) or not understood (scopes). */
export const SightingSchema = Type.Object({
  name: Type.String(),
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  source: Type.String({ description: '`server`, or `sdk` when an application reported it' }),
});
export type Sighting = Static<typeof SightingSchema>;
export const UndocumentedSchema = Type.Object({ flags: Type.Array(SightingSchema), scopes: Type.Array(SightingSchema) });
export type Undocumented = Static<typeof UndocumentedSchema>;

export const ChangelogEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Timestamp,
  by: Type.String(),
  comment: Type.String(),
  flags: Type.Array(Type.String()),
  diff: Type.String(),
  version: Type.Integer(),
});
export type ChangelogEntry = Static<typeof ChangelogEntrySchema>;
/** `GET /changelog`: newest first; `next` is the `before` of the page below. */
export const ChangelogSchema = Type.Object({ entries: Type.Array(ChangelogEntrySchema), next: Nullable(Type.Integer()) });
export type Changelog = Static<typeof ChangelogSchema>;

export const ExplainStepSchema = Type.Object({ rule: RuleSchema, active: Type.Boolean(), why: Type.String() });
export const ExplainSchema = Type.Object({
  activeScopes: Type.Array(Type.String(), { description: 'The scopes of the flag\'s rules that are active for the context' }),
  steps: Type.Array(ExplainStepSchema),
});
export type Explain = Static<typeof ExplainSchema>;

/** One flag's value for a context, in `POST /evaluate`. */
export const EvaluationSchema = Type.Object({
  flag: Type.String(),
  value: Type.String(),
  reason: ReasonSchema,
  rule: Type.Optional(RuleSchema),
  doc: Type.Optional(FlagDocSchema),
  targetingKeyMissing: Type.Boolean({ description: 'A `percent:` rule was passed over because the context has no targetingKey' }),
  explain: Type.Optional(ExplainSchema),
});
export type Evaluation = Static<typeof EvaluationSchema>;
/** `POST /evaluate`: every flag (or the named ones) that has a value for the context. */
export const EvaluationsSchema = Type.Object({ version: Type.Integer(), results: Type.Array(EvaluationSchema) });
export type Evaluations = Static<typeof EvaluationsSchema>;

/** `POST /evaluate/{flag}`: one flag's value for a context, and why. `value` null: the caller's default applies. */
export const FlagExplanationSchema = Type.Object({
  flag: Type.String(),
  value: Nullable(Type.String()),
  reason: ReasonSchema,
  rule: Nullable(RuleSchema),
  explain: ExplainSchema,
});
export type FlagExplanation = Static<typeof FlagExplanationSchema>;

/** `POST /usage`. */
export const UsageAcceptedSchema = Type.Object({ accepted: Type.Literal(true) });
export type UsageAccepted = Static<typeof UsageAcceptedSchema>;

/** `GET /snapshot`: the whole rule set and the docs at one version, as the SDK evaluates them. */
export const FlagSnapshotSchema = Type.Object({ version: Type.Integer(), rules: Type.Array(RuleSchema), docs: Type.Array(FlagDocSchema) });
export type FlagSnapshot = Static<typeof FlagSnapshotSchema>;

/** What OFREP reads: `{ "context": { … } }`. */
export const OfrepRequestSchema = Type.Object({ context: Type.Optional(Type.Record(Type.String(), Type.Unknown())) });

/** OFREP's answer for one flag. No `value`: the caller's default applies (reason DEFAULT). */
export const OfrepEvaluationSchema = Type.Object({
  key: Type.String(),
  value: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  reason: ReasonSchema,
  variant: Type.Optional(Type.String({ description: 'The scope of the rule that gave the value, or `documented-default`' })),
  metadata: Type.Object({ version: Type.Integer(), priority: Type.Optional(Type.Integer()), domain: Type.Optional(ValueDomainSchema) }),
});
export type OfrepEvaluation = Static<typeof OfrepEvaluationSchema>;

export const OfrepErrorCodeSchema = OneOf(['FLAG_NOT_FOUND', 'PARSE_ERROR', 'INVALID_CONTEXT', 'TARGETING_KEY_MISSING', 'GENERAL']);
export type OfrepErrorCode = Static<typeof OfrepErrorCodeSchema>;

/** OFREP's answer for a flag it cannot evaluate (with 400 or 404 for a single flag; in the list, for bulk). */
export const OfrepFailureSchema = Type.Object({ key: Type.String(), errorCode: OfrepErrorCodeSchema, errorDetails: Type.String() });
export type OfrepFailure = Static<typeof OfrepFailureSchema>;

/** OFREP bulk evaluation: every flag, with the rule set's version. */
export const OfrepBulkSchema = Type.Object({
  flags: Type.Array(Type.Union([OfrepEvaluationSchema, OfrepFailureSchema])),
  metadata: Type.Object({ version: Type.Integer() }),
});
export type OfrepBulk = Static<typeof OfrepBulkSchema>;

/** OFREP bulk evaluation refused whole (a context that is not an object, say). */
export const OfrepBulkFailureSchema = Type.Object({ errorCode: OfrepErrorCodeSchema, errorDetails: Type.String() });
export type OfrepBulkFailure = Static<typeof OfrepBulkFailureSchema>;
