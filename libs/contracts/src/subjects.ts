/**
 * How event types map onto NATS subjects and JetStream streams. A namespace prefix lets several
 * Runway installations (or test files) share one NATS server without seeing each other's events.
 *
 *   event subject:        <ns>runway.deploy.requested.v1.<key>
 *   telemetry subject:    <ns>telemetry.runway.agent.heartbeat.v1.<key>
 *   dead-letter subject:  <ns>dlq.runway.deploy.requested.v1.<key>
 */
import { type EventChannel, eventDefinitionOf } from './catalogue';

export class Subjects {
  readonly prefix: string;

  constructor(namespace = '') {
    if (namespace && !/^[a-z0-9_-]+$/i.test(namespace)) {
      throw new Error(`namespace "${namespace}" may hold only letters, digits, "_" and "-"`);
    }
    this.prefix = namespace ? `${namespace}.` : '';
  }

  /** Subject an event of `type` about `key` is published on. */
  event(type: string, key: string): string {
    return `${this.root(type)}${type}.${subjectToken(key)}`;
  }

  /** Filter matching every event of `type`, whatever its key. */
  allOf(type: string): string {
    return `${this.root(type)}${type}.>`;
  }

  /** The stream that holds events of `type`. */
  streamOf(type: string): string {
    return channelOf(type) === 'telemetry' ? this.telemetryStream : this.eventStream;
  }

  private root(type: string): string {
    return channelOf(type) === 'telemetry' ? `${this.prefix}telemetry.` : this.prefix;
  }

  /** Type encoded in a subject, or undefined if the subject is not an event subject. */
  typeOf(subject: string): string | undefined {
    if (!subject.startsWith(this.prefix)) return undefined;
    let rest = subject.slice(this.prefix.length);
    if (rest.startsWith('telemetry.')) rest = rest.slice('telemetry.'.length);
    if (!rest.startsWith('runway.')) return undefined;
    const parts = rest.split('.');
    const v = parts.findIndex((p, i) => i > 0 && /^v[1-9][0-9]*$/.test(p));
    return v < 0 ? undefined : parts.slice(0, v + 1).join('.');
  }

  deadLetter(subject: string): string {
    return `${this.prefix}dlq.${subject.slice(this.prefix.length)}`;
  }

  get eventStream(): string {
    return `${this.streamPrefix}RUNWAY_EVENTS`;
  }

  get telemetryStream(): string {
    return `${this.streamPrefix}RUNWAY_TELEMETRY`;
  }

  get telemetryWildcard(): string {
    return `${this.prefix}telemetry.>`;
  }

  get deadLetterStream(): string {
    return `${this.streamPrefix}RUNWAY_DLQ`;
  }

  get eventWildcard(): string {
    return `${this.prefix}runway.>`;
  }

  get deadLetterWildcard(): string {
    return `${this.prefix}dlq.>`;
  }

  private get streamPrefix(): string {
    return this.prefix ? this.prefix.slice(0, -1).toUpperCase().replace(/-/g, '_') + '_' : '';
  }
}

function channelOf(type: string): EventChannel {
  return eventDefinitionOf(type)?.channel ?? 'events';
}

/**
 * The name of `service`'s durable consumer of `type` (for one key, when given). It is part of
 * what NATS permissions name (an agent may use its own consumer only), so it lives here.
 */
export function durableName(service: string, type: string, key?: string): string {
  const base = `${service}__${type}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return key ? `${base}__${subjectToken(key)}` : base;
}

/** A key turned into one NATS subject token: no dots, spaces or wildcards. */
export function subjectToken(key: string): string {
  const t = key.replace(/[^A-Za-z0-9_-]/g, '_');
  return t.length === 0 ? '_' : t.slice(0, 200);
}
