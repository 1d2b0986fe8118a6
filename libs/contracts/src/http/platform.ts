/** What every service answers besides its own API: its tokens (`/tokens`) and its health. */
import { type Static, Type } from '@sinclair/typebox';
import { ROLES } from '../vocabulary';
import { Nullable, OneOf, Timestamp } from './common';

const RoleList = Type.Array(OneOf(ROLES));

/** `POST /tokens`: the secret is in this answer only. */
export const IssuedTokenSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  roles: RoleList,
  host: Nullable(Type.String()),
  token: Type.String({ description: 'The secret: shown once, kept by Runway only as its SHA-256' }),
});
export type IssuedToken = Static<typeof IssuedTokenSchema>;

/** `GET /tokens/me`. */
export const TokenHolderSchema = Type.Object({
  tokenId: Type.String(),
  name: Type.String(),
  roles: RoleList,
  host: Nullable(Type.String()),
});
export type TokenHolder = Static<typeof TokenHolderSchema>;

/** `GET /tokens`: every token this service knows, revoked ones too, without their hashes. */
export const TokenRecordSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  roles: RoleList,
  host: Nullable(Type.String()),
  issued_by: Type.String(),
  created_at: Timestamp,
  revoked_at: Nullable(Timestamp),
});
export type TokenRecord = Static<typeof TokenRecordSchema>;
export const TokenListSchema = Type.Array(TokenRecordSchema);

/** `GET /health/live`. */
export const LivenessSchema = Type.Object({ status: Type.Literal('ok') });
export type Liveness = Static<typeof LivenessSchema>;

/** `GET /health/ready`, with 200 or 503: each dependency's check. */
export const ReadinessSchema = Type.Object({
  status: OneOf(['ok', 'unavailable']),
  checks: Type.Array(Type.Object({ name: Type.String(), ok: Type.Boolean(), ms: Type.Integer(), error: Type.Optional(Type.String()) })),
});
export type Readiness = Static<typeof ReadinessSchema>;

/** `GET /metrics`: Prometheus' text format. */
export const MetricsSchema = Type.String({ description: 'Prometheus text exposition format' });
