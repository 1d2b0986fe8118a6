/**
 * Every route's answers in /docs. `@Responds` names a route's success status (and sets it),
 * the schema of its body from libs/contracts, and the errors it may answer; fast routes carry
 * the same description and are added to the document by `finishDocument`, which also adds the
 * error body every error answer refers to.
 *
 * The schemas are TypeBox's, which is JSON Schema: `openApiSchema` turns them into what
 * OpenAPI 3.0 accepts (`nullable` for a null member, `enum` for `const`, `additionalProperties`
 * for a record) and leaves out TypeBox's symbol keys.
 */
import { applyDecorators, HttpCode } from '@nestjs/common';
import {
  ApiOperation, ApiResponse, type ContentObject, type OpenAPIObject, type OperationObject, type ParameterObject, type ResponseObject, type SchemaObject,
} from '@nestjs/swagger';
import type { TSchema } from '@sinclair/typebox';
import { ErrorBodySchema } from '@runway/contracts';

export type SuccessStatus = 200 | 201 | 202 | 204;
/** 401 goes without saying: every route needs a token unless it is public. */
export type ErrorStatus = 400 | 403 | 404 | 409 | 413 | 422;

export interface Answer {
  /** What the route does, in a line. */
  summary: string;
  /** What it answers when it succeeds. */
  status: SuccessStatus;
  /** That answer's body (a schema from libs/contracts); null for none. */
  body: TSchema | null;
  /** The error answers it may give, with the platform's error body. */
  errors?: ErrorStatus[];
  /** Other answers with bodies of their own (a 503 with the health checks, OFREP's failures; null for none, a 304). */
  others?: Partial<Record<number, TSchema | null>>;
  /** No token needed. */
  public?: boolean;
  /** The body's media type, when it is not JSON. */
  mediaType?: string;
}

const ERROR_BODY_REF = '#/components/schemas/ErrorBody';

const DESCRIPTIONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content', 304: 'Not modified: the `ETag` given in `If-None-Match` is current',
  400: 'The request is not valid: `fields` names what is wrong', 401: 'No token, or one Runway does not know',
  403: 'The token\'s roles do not allow this', 404: 'Not found', 409: 'It conflicts with the current state', 413: 'The body is too large',
  422: 'Valid, but it cannot be done', 503: 'A dependency is unavailable: try again',
};

/** The route's answers as OpenAPI responses. */
function responsesOf(a: Answer): Record<string, ResponseObject> {
  const body = (schema: TSchema | null, mediaType = 'application/json'): Pick<ResponseObject, 'content'> =>
    schema ? { content: { [mediaType]: { schema: openApiSchema(schema) } } } : {};
  const out: Record<string, ResponseObject> = { [a.status]: { description: DESCRIPTIONS[a.status], ...body(a.body, a.mediaType) } };
  for (const [status, schema] of Object.entries(a.others ?? {})) out[status] = { description: DESCRIPTIONS[Number(status)] ?? status, ...body(schema ?? null) };
  const error: ContentObject = { 'application/json': { schema: { $ref: ERROR_BODY_REF } } };
  for (const status of [...(a.public ? [] : [401]), ...(a.errors ?? [])]) out[status] ??= { description: DESCRIPTIONS[status], content: error };
  return out;
}

/** Describes a Nest route's answers for /docs, and answers its success status. */
export function Responds(a: Answer): MethodDecorator {
  return applyDecorators(
    HttpCode(a.status),
    ApiOperation({ summary: a.summary, ...(a.public ? { security: [] } : {}) }),
    ...Object.entries(responsesOf(a)).map(([status, r]) => ApiResponse({ ...r, status: Number(status) })),
  );
}

/** A route Fastify serves directly, as /docs describes it (see fast-route.ts). */
export interface DescribedRoute {
  method: string;
  url: string;
  answer: Answer;
  /** Its request body, if it reads one. */
  requestBody?: TSchema;
}

/**
 * Completes the document Nest's routes made: the error body every error answer refers to, and
 * the fast routes, which Nest does not see.
 */
export function finishDocument(doc: OpenAPIObject, fastRoutes: readonly DescribedRoute[]): OpenAPIObject {
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, ErrorBody: openApiSchema(ErrorBodySchema) } };
  for (const r of fastRoutes) {
    const params = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
    const operation: OperationObject = {
      operationId: `${r.method.toLowerCase()}${r.url.replace(/[^A-Za-z0-9]+(\w)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: r.answer.summary,
      parameters: params.map((name): ParameterObject => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...(r.requestBody ? { requestBody: { required: false, content: { 'application/json': { schema: openApiSchema(r.requestBody) } } } } : {}),
      responses: responsesOf(r.answer),
      security: r.answer.public ? [] : [{ bearer: [] }],
    };
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    doc.paths[path] = { ...doc.paths[path], [r.method.toLowerCase()]: operation };
  }
  return doc;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isNull = (s: unknown) => (s as { type?: unknown })?.type === 'null';

/**
 * A TypeBox (JSON Schema) schema as OpenAPI 3.0 takes it: symbol keys left out, `const` as a
 * one-value `enum`, a `null` member of `anyOf` as `nullable` (and a union of constants of one
 * type as one `enum`), `patternProperties` of a record as `additionalProperties`.
 */
export function openApiSchema(schema: TSchema): SchemaObject {
  return convert(schema) as SchemaObject;
}

function convert(node: unknown): Json {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node as Json;
  const s = node as Record<string, unknown>;
  // OpenAPI 3.0 has no null type: a value that is always null is a nullable one whose only value is null.
  if (isNull(s)) return { ...(typeof s.description === 'string' ? { description: s.description } : {}), type: 'string', nullable: true, enum: [null] };
  const out: { [k: string]: Json } = {};
  for (const key of Object.keys(s)) {
    const v = s[key];
    if (key === '$id' || key === '$schema' || key === 'anyOf') continue;
    if (key === 'const') out.enum = [v as Json];
    else if (key === 'patternProperties') out.additionalProperties = convert(Object.values(v as object)[0]);
    else if (key === 'properties') out.properties = Object.fromEntries(Object.entries(v as object).map(([k, p]) => [k, convert(p)]));
    else out[key] = convert(v);
  }
  if (Array.isArray(s.anyOf)) Object.assign(out, union(s.anyOf));
  return out;
}

/** An `anyOf` as OpenAPI 3.0 says it. */
function union(members: unknown[]): { [k: string]: Json } {
  const nullable = members.some(isNull);
  const rest = members.filter((m) => !isNull(m)).map(convert) as { [k: string]: Json }[];
  const types = new Set(rest.map((m) => m.type));
  const type = types.size === 1 ? [...types][0] : undefined;
  const nullability: { [k: string]: Json } = nullable ? { nullable: true } : {};
  if (rest.every((m) => Array.isArray(m.enum)) && type !== undefined) {
    const values = rest.flatMap((m) => m.enum as Json[]);
    return { type, enum: nullable ? [...values, null] : values, ...nullability };
  }
  if (rest.length === 1) {
    const only = rest[0];
    return Array.isArray(only.enum) && nullable ? { ...only, enum: [...only.enum, null], ...nullability } : { ...only, ...nullability };
  }
  return { ...(type !== undefined ? { type } : {}), anyOf: rest, ...nullability };
}
