/**
 * The events the agent publishes, made and checked in one place. `checkedEvent` builds the
 * CloudEvent for a payload and holds it to the same rule every consumer applies on receipt
 * (`parseEvent`: the envelope, then the payload against the catalogue), so an event no service
 * would accept never leaves the host. A refusal is an `InvalidAgentEventError`, whose code the
 * event consumer already treats as poison: a deploy request whose report can never be valid is
 * dead-lettered rather than redelivered for ever.
 */
import { createHash } from 'node:crypto';
import { type CloudEvent, type EventDefinition, parseEvent, validatePayload } from '@runway/contracts';
import { InvalidOutgoingEventError } from '@runway/messaging';

/** The refused event's type and why, apart, so the log can carry them as fields. */
export class InvalidAgentEventError extends InvalidOutgoingEventError {
  constructor(
    readonly eventType: string,
    readonly reason: string,
  ) {
    super(`refusing to publish ${eventType}: ${reason}`);
    this.name = 'InvalidAgentEventError';
  }
}

export interface AgentEventOptions {
  /** Also the JetStream msgID: a deterministic one makes a repeated report the same event. */
  id: string;
  /** The agent's host, which names the event's source. */
  host: string;
  /** The event being answered; it lends its correlation id and becomes the cause. */
  cause?: CloudEvent<object>;
  time?: Date;
}

export function checkedEvent<T extends object>(def: EventDefinition<T>, data: T, opts: AgentEventOptions): CloudEvent<T> {
  const event: CloudEvent<T> = {
    specversion: '1.0', id: opts.id, source: `runway/agent/${opts.host}`, type: def.type, subject: def.key(data),
    time: (opts.time ?? new Date()).toISOString(), datacontenttype: 'application/json',
    correlationid: opts.cause?.correlationid ?? opts.id, causationid: opts.cause?.id, actor: opts.host, actorkind: 'agent', data,
  };
  // Checked as the text a consumer receives, by the consumer's own parser: "valid here" cannot drift from "accepted there".
  const body = JSON.stringify(event);
  const parsed = parseEvent(body);
  if (parsed.ok) return event;
  // The parser stops at a bad envelope; the payload's faults are named too, so one refusal says all that is wrong.
  const payload = validatePayload(def.type, (JSON.parse(body) as CloudEvent<object>).data);
  const reasons = payload.ok || payload.reason === parsed.reason ? [parsed.reason] : [parsed.reason, payload.reason];
  throw new InvalidAgentEventError(def.type, reasons.join('; '));
}

/** The envelope's longest id. */
const MAX_EVENT_ID = 128;

/**
 * The id of a scanned cowboy's report: the same for the same patch on the same host, so a report
 * repeated at every heartbeat is one event. `cowboy:<host>:<hash>` while it fits the envelope; a
 * SHA-512, or a long host name, would not, so then it is a digest of the two.
 */
export function cowboyEventId(host: string, patchHash: string): string {
  const plain = `cowboy:${host}:${patchHash}`;
  return plain.length <= MAX_EVENT_ID ? plain : `cowboy:${createHash('sha256').update(`${host}:${patchHash}`).digest('hex')}`;
}
