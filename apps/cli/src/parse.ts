/** Parsers for command-line values. They throw plain Errors; commands turn them into usage errors. */

/** A revision as people type it: `r42` or `42` (a revno), or 7 to 64 hex digits (a sha). Seven or more digits are a sha. */
export type RevisionRef = { kind: 'revno'; revno: number } | { kind: 'sha'; sha: string };

export function parseRevisionRef(input: string): RevisionRef {
  const s = input.trim();
  if (/^r\d{1,9}$/i.test(s) || /^\d{1,6}$/.test(s)) {
    const revno = Number(s.replace(/^r/i, ''));
    if (revno >= 1) return { kind: 'revno', revno };
  }
  if (/^[0-9a-f]{7,64}$/i.test(s)) return { kind: 'sha', sha: s.toLowerCase() };
  throw new Error(`not a revision: ${input} (a revno such as r42, or a sha of 7 to 64 hex digits)`);
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `30m`, `2h`, `1h30m`, `3d`, `1w` in seconds; null when it is not a duration. */
export function parseDuration(input: string): number | null {
  const s = input.trim().toLowerCase();
  if (!/^(\d+[smhdw])+$/.test(s)) return null;
  return [...s.matchAll(/(\d+)([smhdw])/g)].reduce((sum, [, n, unit]) => sum + Number(n) * UNITS[unit], 0);
}

function parseIso(input: string): Date | null {
  const s = input.trim();
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) return null;
  const t = new Date(s);
  return Number.isNaN(t.getTime()) ? null : t;
}

/** A moment ahead: an ISO 8601 time, or a duration from now such as `30m`, `2h`, `1h30m`, `3d`. Answers ISO 8601 in UTC. */
export function parseUntil(input: string, now: Date): string {
  const seconds = parseDuration(input);
  if (seconds !== null) {
    if (seconds <= 0) throw new Error(`not a duration in the future: ${input}`);
    return new Date(now.getTime() + seconds * 1000).toISOString();
  }
  const t = parseIso(input);
  if (t) return t.toISOString();
  throw new Error(`not a time: ${input} (ISO 8601 such as 2026-05-01T18:00Z, or a duration such as 30m, 2h, 1d)`);
}

/** A moment past: an ISO 8601 time, or a duration ago such as `2h`, `3d`. Answers ISO 8601 in UTC. */
export function parseSince(input: string, now: Date): string {
  const seconds = parseDuration(input);
  if (seconds !== null) return new Date(now.getTime() - seconds * 1000).toISOString();
  const t = parseIso(input);
  if (t) return t.toISOString();
  throw new Error(`not a time: ${input} (ISO 8601 such as 2026-05-01T18:00Z, or a duration ago such as 2h, 3d)`);
}

/** `key=value`; the value stays a string. */
export function parseKeyValue(input: string): [string, string] {
  const i = input.indexOf('=');
  if (i <= 0) throw new Error(`expected key=value: ${input}`);
  return [input.slice(0, i), input.slice(i + 1)];
}

export function parsePositiveInt(input: string): number {
  if (!/^\d{1,9}$/.test(input.trim()) || Number(input) < 1) throw new Error(`not a positive whole number: ${input}`);
  return Number(input);
}

export function parseNonNegativeInt(input: string): number {
  if (!/^\d{1,9}$/.test(input.trim())) throw new Error(`not a whole number: ${input}`);
  return Number(input);
}

/** A landing id: qa-gate numbers landings. */
export function parseLandingId(input: string): string {
  const s = input.trim();
  if (!/^\d{1,18}$/.test(s)) throw new Error(`not a landing id: ${input} (a number; see runway landings)`);
  return s;
}

/** Why an operator acts (cancels a rollout, deregisters a server): 3 to 4096 characters, kept and shown. */
export function parseReason(input: string): string {
  const s = input.trim();
  if (s.length < 3) throw new Error('give a reason of at least 3 characters');
  if (s.length > 4096) throw new Error('a reason is at most 4096 characters');
  return s;
}
