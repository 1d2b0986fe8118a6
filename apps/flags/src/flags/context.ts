/**
 * An evaluation context as callers send it (OFREP's flat map, or Runway's own API) made into the
 * evaluator's FlagContext. Known keys must have their type; anything else is kept as attributes.
 */
import type { FlagContext } from '@runway/sdk';

export class InvalidContextError extends Error {}

const MAX_STRING = 1024;
const MAX_TEAMS = 1000;

function str(raw: Record<string, unknown>, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InvalidContextError(`context.${key} must be a string`);
  if (v.length > MAX_STRING) throw new InvalidContextError(`context.${key} is longer than ${MAX_STRING} characters`);
  return v;
}

export function toFlagContext(raw: unknown): FlagContext {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidContextError('context must be an object');
  const o = raw as Record<string, unknown>;
  const ctx: FlagContext = {};
  const targetingKey = str(o, 'targetingKey');
  if (targetingKey !== undefined) ctx.targetingKey = targetingKey;
  for (const key of ['user', 'server', 'pageId', 'script'] as const) {
    const v = str(o, key);
    if (v !== undefined) ctx[key] = v;
  }
  if (o.userId !== undefined && o.userId !== null) {
    const id = typeof o.userId === 'string' && /^\d{1,15}$/.test(o.userId) ? Number(o.userId) : o.userId;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new InvalidContextError('context.userId must be a whole number ≥ 0');
    ctx.userId = id;
  }
  if (o.teams !== undefined && o.teams !== null) {
    const teams = typeof o.teams === 'string' ? o.teams.split(/[\s,]+/).filter(Boolean) : o.teams;
    if (!Array.isArray(teams) || teams.length > MAX_TEAMS || !teams.every((t) => typeof t === 'string' && t.length <= MAX_STRING)) {
      throw new InvalidContextError('context.teams must be a list of team names (or one string of names separated by spaces or commas)');
    }
    ctx.teams = teams as string[];
  }
  const known = new Set(['targetingKey', 'user', 'userId', 'teams', 'server', 'pageId', 'script']);
  const extra = Object.entries(o).filter(([k]) => !known.has(k));
  if (extra.length) ctx.attributes = Object.fromEntries(extra);
  return ctx;
}
