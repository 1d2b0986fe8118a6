/**
 * Runway as an OpenFeature provider, so applications use the standard API
 * (`OpenFeature.getClient().getBooleanValue('new-ui', false, ctx)`) and evaluate in-process
 * through a FlagClient. OpenFeature's context maps onto Runway's: `targetingKey`, `user`,
 * `userId`, `teams`, `server`, `pageId`, `script`; other keys become attributes.
 *
 * Types: a documented flag's domain decides its type (boolean, int and float are typed); asking
 * for another type is TYPE_MISMATCH. An undocumented flag's string value is read as the type
 * asked for when it can be (`on`, `true`, `12`), as Launchpad's string flags were.
 * No matching rule means no value: OpenFeature returns the caller's default, reason DEFAULT.
 */
import {
  ErrorCode, type EvaluationContext, type JsonValue, OpenFeatureEventEmitter, type Provider, ProviderEvents, type ResolutionDetails,
} from '@openfeature/server-sdk';
import { FlagClient, type FlagClientOptions } from './client';
import type { FlagContext } from './evaluator';

type Kind = 'boolean' | 'string' | 'number' | 'object';

export class RunwayProvider implements Provider {
  readonly metadata = { name: 'runway' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private client: FlagClient | null;
  private unsubscribe: (() => void) | null = null;

  /** Give a started FlagClient, or the options to start one when OpenFeature initialises the provider. */
  constructor(private readonly source: FlagClient | FlagClientOptions) {
    this.client = source instanceof FlagClient ? source : null;
  }

  async initialize(): Promise<void> {
    this.client ??= await FlagClient.start(this.source as FlagClientOptions);
    this.unsubscribe = this.client.onChange((c) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: c.flags }));
  }

  async onClose(): Promise<void> {
    this.unsubscribe?.();
    if (!(this.source instanceof FlagClient)) await this.client?.close();
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.resolve(flagKey, defaultValue, context, 'boolean'));
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.resolve(flagKey, defaultValue, context, 'string'));
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.resolve(flagKey, defaultValue, context, 'number'));
  }

  resolveObjectEvaluation<U extends JsonValue>(flagKey: string, defaultValue: U, context: EvaluationContext): Promise<ResolutionDetails<U>> {
    return Promise.resolve(this.resolve(flagKey, defaultValue, context, 'object'));
  }

  private resolve<T>(flagKey: string, defaultValue: T, context: EvaluationContext, kind: Kind): ResolutionDetails<T> {
    if (!this.client) return { value: defaultValue, reason: 'ERROR', errorCode: ErrorCode.PROVIDER_NOT_READY };
    const r = this.client.resolve(flagKey, toFlagContext(context));
    if (!r) return { value: defaultValue, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: `flag ${flagKey} has no rules and no documentation` };
    const flagMetadata = { version: this.client.version, ...(r.rule ? { priority: r.rule.priority } : {}) };
    if (r.value === undefined) return { value: defaultValue, reason: 'DEFAULT', flagMetadata };
    const typed = convert(r.value, kind, r.doc?.domain);
    if (typed === MISMATCH) {
      return {
        value: defaultValue, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH, flagMetadata,
        errorMessage: `flag ${flagKey} is ${r.doc ? `documented as ${r.doc.domain}` : `"${r.value}"`}, not a ${kind}`,
      };
    }
    return { value: typed as T, reason: r.reason, variant: r.rule?.scope, flagMetadata };
  }
}

const MISMATCH = Symbol('mismatch');

function convert(value: string, kind: Kind, domain: string | undefined): unknown {
  switch (kind) {
    case 'boolean':
      if (domain !== undefined && domain !== 'boolean') return MISMATCH;
      return value === 'true' || value === 'on' ? true : value === 'false' || value === 'off' ? false : MISMATCH;
    case 'number': {
      if (domain !== undefined && domain !== 'int' && domain !== 'float') return MISMATCH;
      const n = Number(value);
      return value.trim() !== '' && Number.isFinite(n) ? n : MISMATCH;
    }
    case 'string':
      return value;
    case 'object':
      if (domain === 'space-delimited') return value === '' ? [] : value.split(' ');
      try {
        const parsed: unknown = JSON.parse(value);
        return typeof parsed === 'object' && parsed !== null ? parsed : MISMATCH;
      } catch {
        return MISMATCH;
      }
  }
}

/** OpenFeature's context as Runway's; values of the wrong type are ignored rather than thrown. */
export function toFlagContext(c: EvaluationContext): FlagContext {
  const ctx: FlagContext = {};
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    switch (k) {
      case 'targetingKey':
      case 'user':
      case 'server':
      case 'pageId':
      case 'script':
        if (typeof v === 'string') ctx[k] = v;
        break;
      case 'userId': {
        const id = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
        if (typeof id === 'number' && Number.isSafeInteger(id)) ctx.userId = id;
        break;
      }
      case 'teams':
        if (Array.isArray(v)) ctx.teams = v.filter((t): t is string => typeof t === 'string');
        else if (typeof v === 'string') ctx.teams = v.split(/[\s,]+/).filter(Boolean);
        break;
      default:
        attributes[k] = v;
    }
  }
  if (Object.keys(attributes).length) ctx.attributes = attributes;
  return ctx;
}
