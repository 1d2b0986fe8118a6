/**
 * OFREP, the OpenFeature Remote Evaluation Protocol, and the SDK's snapshot: the hot read paths,
 * served by Fastify directly from the in-memory evaluator (no database on the request path).
 *
 * A rule set with no matching rule and no documented default has no value: Launchpad's "the
 * caller's default applies". OFREP says that by leaving `value` out (reason DEFAULT).
 */
import { createHash } from 'node:crypto';
import {
  type FlagSnapshot, FlagSnapshotSchema, type OfrepBulk, OfrepBulkFailureSchema, type OfrepBulkFailure, OfrepBulkSchema, type OfrepErrorCode,
  type OfrepEvaluation, OfrepEvaluationSchema, type OfrepFailure, OfrepFailureSchema, OfrepRequestSchema,
} from '@runway/contracts';
import type { FastReply, FastRoute } from '@runway/platform';
import { FLAG_NAME, type Resolution, typedValue } from '@runway/sdk';
import { InvalidContextError, toFlagContext } from './context';
import type { FlagsService } from './flags.service';

function success(r: Resolution, version: number): OfrepEvaluation {
  const metadata: OfrepEvaluation['metadata'] = { version };
  if (r.rule) metadata.priority = r.rule.priority;
  if (r.doc) metadata.domain = r.doc.domain;
  if (r.value === undefined) return { key: r.flag, reason: r.reason, metadata };
  return { key: r.flag, value: typedValue(r.doc?.domain, r.value), reason: r.reason, variant: r.rule?.scope ?? 'documented-default', metadata };
}

function failure(key: string, errorCode: OfrepErrorCode, errorDetails: string): OfrepFailure {
  return { key, errorCode, errorDetails };
}

function contextOf(body: unknown) {
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) throw new InvalidContextError('the body must be an object: { "context": { … } }');
  return toFlagContext((body as { context?: unknown } | null | undefined)?.context);
}

export function ofrepRoutes(flags: FlagsService): FastRoute[] {
  const single: FastRoute = {
    method: 'POST',
    url: '/ofrep/v1/evaluate/flags/:key',
    roles: ['viewer', 'sdk'],
    answer: {
      summary: 'OFREP: one flag\'s value for a context',
      status: 200,
      body: OfrepEvaluationSchema,
      errors: [403],
      others: { 400: OfrepFailureSchema, 404: OfrepFailureSchema },
    },
    requestBody: OfrepRequestSchema,
    handler: (body, _who, req): FastReply => {
      const key = req.params.key;
      try {
        const ctx = contextOf(body);
        const e = flags.current;
        const r = FLAG_NAME.test(key) ? e.resolve(key, ctx) : undefined;
        if (!r) return { status: 404, body: failure(key, 'FLAG_NOT_FOUND', `flag ${key} has no rules and no documentation`) };
        if (r.value === undefined && r.targetingKeyMissing) {
          return { status: 400, body: failure(key, 'TARGETING_KEY_MISSING', `flag ${key} splits by percentage and the context has no targetingKey`) };
        }
        return { status: 200, body: success(r, e.version) };
      } catch (err) {
        if (err instanceof InvalidContextError) return { status: 400, body: failure(key, 'INVALID_CONTEXT', err.message) };
        return { status: 500, body: failure(key, 'GENERAL', 'internal error') };
      }
    },
  };

  const bulk: FastRoute = {
    method: 'POST',
    url: '/ofrep/v1/evaluate/flags',
    roles: ['viewer', 'sdk'],
    answer: {
      summary: 'OFREP: every flag\'s value for a context (with an ETag)',
      status: 200,
      body: OfrepBulkSchema,
      errors: [403],
      others: { 304: null, 400: OfrepBulkFailureSchema },
    },
    requestBody: OfrepRequestSchema,
    handler: (body, _who, req): FastReply => {
      try {
        const ctx = contextOf(body);
        const e = flags.current;
        // The answer depends only on the rule set's version and the context.
        const etag = `"${e.version}-${createHash('sha256').update(JSON.stringify((body as { context?: unknown } | undefined)?.context ?? {})).digest('base64url').slice(0, 22)}"`;
        if (req.headers['if-none-match'] === etag) return { status: 304, headers: { etag } };
        const out = e.names().map((name) => {
          const r = e.resolve(name, ctx)!;
          if (r.value === undefined && r.targetingKeyMissing) return failure(name, 'TARGETING_KEY_MISSING', `flag ${name} splits by percentage and the context has no targetingKey`);
          return success(r, e.version);
        });
        const answer: OfrepBulk = { flags: out, metadata: { version: e.version } };
        return { status: 200, headers: { etag }, body: answer };
      } catch (err) {
        const refusal = (errorCode: OfrepErrorCode, errorDetails: string): OfrepBulkFailure => ({ errorCode, errorDetails });
        if (err instanceof InvalidContextError) return { status: 400, body: refusal('INVALID_CONTEXT', err.message) };
        return { status: 500, body: refusal('GENERAL', 'internal error') };
      }
    },
  };

  const snapshot: FastRoute = {
    method: 'GET',
    url: '/snapshot',
    roles: ['viewer', 'sdk'],
    answer: { summary: 'The whole rule set and the docs at one version, for the SDK (with an ETag)', status: 200, body: FlagSnapshotSchema, errors: [403], others: { 304: null } },
    handler: async (_body, _who, req): Promise<FastReply> => {
      await flags.settled(); // a client told of a change by NATS may ask while this replica reloads
      const snap: FlagSnapshot = flags.snapshot;
      const etag = `"rules-${snap.version}"`;
      if (req.headers['if-none-match'] === etag) return { status: 304, headers: { etag } };
      return { status: 200, headers: { etag }, body: snap };
    },
  };

  return [single, bulk, snapshot];
}
