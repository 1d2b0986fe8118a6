/**
 * The body of every error answer, as libs/platform's error filter shapes it for Nest's routes
 * and Fastify's alike: the status, a code, a message, and what the code's details add (the
 * fields at fault, a rule text's line errors, the current version on a conflict).
 */
import { type Static, Type } from '@sinclair/typebox';

export const FieldErrorSchema = Type.Object({ field: Type.String(), errors: Type.Array(Type.String()) });
export type FieldErrorBody = Static<typeof FieldErrorSchema>;

/** A line of a flag rule text the flags service refused, and why. */
export const LineErrorSchema = Type.Object({ line: Type.Integer(), message: Type.String() });
export type LineError = Static<typeof LineErrorSchema>;

export const ErrorBodySchema = Type.Object(
  {
    statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
    error: Type.String({
      description: 'VALIDATION_FAILED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, PAYLOAD_TOO_LARGE, UNPROCESSABLE, RATE_LIMITED, UNAVAILABLE or INTERNAL',
    }),
    message: Type.String(),
    fields: Type.Optional(Type.Array(FieldErrorSchema)),
    errors: Type.Optional(Type.Array(LineErrorSchema)),
    version: Type.Optional(Type.Integer({ description: 'On a conflict over the flag rules: the version they are at' })),
  },
  { additionalProperties: true },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;
