/**
 * Checking an event against the catalogue, used both before publishing and after consuming.
 * Failures come back as one readable reason naming every bad field, for the dead-letter stream.
 */
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { type CloudEvent, CloudEventEnvelope } from './envelope';
import { eventDefinitionOf } from './catalogue';

/**
 * The deepest nesting of objects and arrays Runway accepts in an event or a request body.
 * Validation recurses, so deeper input is refused before it: 10,000 levels overflowed the stack.
 */
export const MAX_INPUT_DEPTH = 64;

/** True when `value` nests objects or arrays more than `max` levels deep. Iterative: safe at any depth. */
export function nestedDeeperThan(value: unknown, max: number = MAX_INPUT_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

export type Parsed = { ok: true; event: CloudEvent<object> } | { ok: false; reason: string };

export function describeErrors(errors: ValidationError[], path = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const field = path ? `${path}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) out.push(`${field}: ${message}`);
    if (e.children?.length) out.push(...describeErrors(e.children, field));
  }
  return out;
}

/** Validates a payload against its type's class; returns the typed instance or the reasons. */
export function validatePayload(type: string, data: unknown): { ok: true; data: object } | { ok: false; reason: string } {
  const def = eventDefinitionOf(type);
  if (!def) return { ok: false, reason: `type: unknown event type "${type}"` };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, reason: 'data: must be an object' };
  const instance = plainToInstance(def.payload, data);
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length) return { ok: false, reason: describeErrors(errors, 'data').join('; ') };
  return { ok: true, data: instance };
}

/** Parses raw bytes from the wire into a validated event, or a reason it is not one. */
export function parseEvent(raw: Uint8Array | string): Parsed {
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return { ok: false, reason: 'body: not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `body: not JSON (${(e as Error).message.slice(0, 200)})` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'body: not a JSON object' };
  if (nestedDeeperThan(json)) return { ok: false, reason: `body: nested more than ${MAX_INPUT_DEPTH} levels deep` };
  const envelope = plainToInstance(CloudEventEnvelope, json);
  const errors = validateSync(envelope);
  if (errors.length) return { ok: false, reason: describeErrors(errors).join('; ') };
  const payload = validatePayload(envelope.type, envelope.data);
  if (!payload.ok) return payload;
  const e = json as CloudEvent<object>;
  return {
    ok: true,
    event: {
      specversion: '1.0', id: e.id, source: e.source, type: e.type, subject: e.subject, time: e.time,
      datacontenttype: 'application/json', correlationid: e.correlationid, causationid: e.causationid,
      ...(e.actor !== undefined && { actor: e.actor, actorkind: e.actorkind, actorroles: e.actorroles }),
      ...(e.reason !== undefined && { reason: e.reason }),
      data: payload.data,
    },
  };
}
