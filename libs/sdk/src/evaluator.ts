/**
 * Evaluates flags against a context from one snapshot of the rules. The flag service and the
 * SDK both use it, so a flag has the same value wherever it is asked.
 *
 * The snapshot is compiled once: each flag's rules sorted by descending priority, each scope
 * reduced to a kind number and its arguments, so `value()` is a map lookup and a loop over a
 * few plain objects with no allocation. `explain()` walks the same rules and says why each one
 * did or did not apply.
 */
import { PrefixHash } from './murmur3';
import { type FlagDoc, type FlagSnapshot, type NamedScopeKind, parseScope, type Rule } from './rules';

/** Who is asking. `teams` are the teams the user is in; `server` is the environment (`lpnet`). */
export interface FlagContext {
  targetingKey?: string;
  user?: string;
  /** Numeric user id, for `userslice:` scopes. */
  userId?: number;
  teams?: readonly string[];
  server?: string;
  pageId?: string;
  script?: string;
  attributes?: Readonly<Record<string, unknown>>;
}

/** OpenFeature's reasons, as Runway uses them. */
export type Reason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT';

export interface Resolution {
  flag: string;
  /** undefined: no rule matched and no documented default, so the caller's default applies. */
  value: string | undefined;
  reason: Reason;
  /** The rule that gave the value, if one did. */
  rule?: Rule;
  doc?: FlagDoc;
  /** A `percent:` rule was passed over because the context has no targeting key. */
  targetingKeyMissing: boolean;
}

export interface ExplainStep {
  rule: Rule;
  active: boolean;
  why: string;
}

export interface Explanation extends Resolution {
  /** The scopes of this flag's rules that are active for the context. */
  activeScopes: string[];
  steps: ExplainStep[];
}

const K_DEFAULT = 0;
const K_SERVER = 1;
const K_PAGE = 2;
const K_TEAM = 3;
const K_USER = 4;
const K_SCRIPT = 5;
const K_SLICE = 6;
const K_PERCENT = 7;
const K_UNKNOWN = 8;

interface CompiledRule {
  rule: Rule;
  kind: number;
  /** The scope's string argument (env, page, team, user, script). */
  arg: string;
  /** userslice: a and b; percent: the threshold in hundredths of a percent. */
  a: number;
  b: number;
}

export interface CompiledFlag {
  name: string;
  doc: FlagDoc | undefined;
  rules: CompiledRule[];
  /** Hashes `flag:` + targeting key, for `percent:` scopes. */
  hasher: PrefixHash;
  /** Whether any rule is not `default` (for STATIC against DEFAULT). */
  targeted: boolean;
  /** Evaluations since the counters were last taken (usage reporting). */
  evaluations: number;
}

/** Bucket of a targeting key for a flag: 0–9999, so percentages have two decimals. */
export function percentBucket(flag: string, targetingKey: string): number {
  return new PrefixHash(`${flag}:`).hash(targetingKey) % 10_000;
}

export class FlagEvaluator {
  readonly version: number;
  private readonly flags = new Map<string, CompiledFlag>();
  /** Flags asked for that have neither rules nor documentation, with how often. */
  readonly missing = new Map<string, number>();
  /** Scopes of kinds this evaluator does not know, met while evaluating. */
  readonly unknownScopesSeen = new Set<string>();

  constructor(snapshot: FlagSnapshot) {
    this.version = snapshot.version;
    for (const doc of snapshot.docs) this.flagFor(doc.name).doc = doc;
    for (const rule of snapshot.rules) {
      const f = this.flagFor(rule.flag);
      const c = compileRule(rule);
      f.rules.push(c);
      if (c.kind !== K_DEFAULT) f.targeted = true;
    }
    for (const f of this.flags.values()) f.rules.sort((x, y) => y.rule.priority - x.rule.priority);
  }

  private flagFor(name: string): CompiledFlag {
    let f = this.flags.get(name);
    if (!f) {
      f = { name, doc: undefined, rules: [], hasher: new PrefixHash(`${name}:`), targeted: false, evaluations: 0 };
      this.flags.set(name, f);
    }
    return f;
  }

  /** The flag's value for the context, or undefined for "no value": the hot path. */
  value(flag: string, ctx: FlagContext): string | undefined {
    const f = this.flags.get(flag);
    if (f === undefined) {
      this.missing.set(flag, (this.missing.get(flag) ?? 0) + 1);
      return undefined;
    }
    f.evaluations++;
    const rules = f.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (this.active(f, r, ctx)) return r.rule.value;
    }
    return f.doc === undefined || f.doc.default === null ? undefined : f.doc.default;
  }

  /** Whether the flag has rules or documentation here. */
  has(flag: string): boolean {
    return this.flags.has(flag);
  }

  doc(flag: string): FlagDoc | undefined {
    return this.flags.get(flag)?.doc;
  }

  /** The flag's rules, highest priority first. */
  rules(flag: string): Rule[] {
    return this.flags.get(flag)?.rules.map((r) => r.rule) ?? [];
  }

  /** Every flag with rules or documentation. */
  names(): string[] {
    return [...this.flags.keys()].sort();
  }

  /** The value with its reason and rule; undefined when the flag is unknown here. */
  resolve(flag: string, ctx: FlagContext): Resolution | undefined {
    const f = this.flags.get(flag);
    if (f === undefined) {
      this.missing.set(flag, (this.missing.get(flag) ?? 0) + 1);
      return undefined;
    }
    f.evaluations++;
    let keyMissing = false;
    for (const r of f.rules) {
      if (r.kind === K_PERCENT && ctx.targetingKey === undefined) keyMissing = true;
      if (this.active(f, r, ctx)) {
        return { flag, value: r.rule.value, reason: reasonOf(f, r), rule: r.rule, doc: f.doc, targetingKeyMissing: keyMissing };
      }
    }
    const value = f.doc === undefined || f.doc.default === null ? undefined : f.doc.default;
    return { flag, value, reason: 'DEFAULT', doc: f.doc, targetingKeyMissing: keyMissing };
  }

  /** Every rule of the flag with whether its scope is active and why; does not count as usage. */
  explain(flag: string, ctx: FlagContext): Explanation | undefined {
    const f = this.flags.get(flag);
    if (f === undefined) return undefined;
    const steps: ExplainStep[] = [];
    const activeScopes: string[] = [];
    let winner: CompiledRule | undefined;
    let keyMissing = false;
    for (const r of f.rules) {
      if (r.kind === K_PERCENT && ctx.targetingKey === undefined) keyMissing = true;
      const active = this.active(f, r, ctx);
      if (active && !activeScopes.includes(r.rule.scope)) activeScopes.push(r.rule.scope);
      const why = whyOf(f, r, ctx, active);
      steps.push({ rule: r.rule, active, why: winner ? `${why}; not reached: priority ${winner.rule.priority} already gave the value` : why });
      if (active && !winner) winner = r;
    }
    const value = winner ? winner.rule.value : f.doc === undefined || f.doc.default === null ? undefined : f.doc.default;
    return {
      flag, value, reason: winner ? reasonOf(f, winner) : 'DEFAULT', rule: winner?.rule, doc: f.doc,
      targetingKeyMissing: keyMissing, activeScopes, steps,
    };
  }

  /** Takes the per-flag evaluation counts since the last call (for usage reports). */
  takeCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const f of this.flags.values()) {
      if (f.evaluations > 0) {
        out.set(f.name, f.evaluations);
        f.evaluations = 0;
      }
    }
    for (const [name, n] of this.missing) out.set(name, (out.get(name) ?? 0) + n);
    this.missing.clear();
    return out;
  }

  /** Flags with rules but no documentation, and flags asked for that have neither. */
  undocumented(asked: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const name of asked) if (this.flags.get(name)?.doc === undefined) out.add(name);
    return [...out].sort();
  }

  private active(f: CompiledFlag, r: CompiledRule, ctx: FlagContext): boolean {
    switch (r.kind) {
      case K_DEFAULT:
        return true;
      case K_SERVER:
        return ctx.server === r.arg;
      case K_PAGE: {
        const p = ctx.pageId;
        if (p === undefined || !p.startsWith(r.arg)) return false;
        if (p.length === r.arg.length) return true;
        const next = p.charCodeAt(r.arg.length);
        return next === 58 /* : */ || next === 35 /* # */;
      }
      case K_TEAM: {
        const teams = ctx.teams;
        return teams !== undefined && teams.includes(r.arg);
      }
      case K_USER:
        return ctx.user === r.arg;
      case K_SCRIPT:
        return ctx.script === r.arg;
      case K_SLICE: {
        const id = ctx.userId;
        return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 && id % r.b === r.a;
      }
      case K_PERCENT: {
        const key = ctx.targetingKey;
        return key !== undefined && f.hasher.hash(key) % 10_000 < r.a;
      }
      default:
        this.unknownScopesSeen.add(r.rule.scope);
        return false;
    }
  }
}

const NAMED_KINDS: Record<NamedScopeKind, number> = { server: K_SERVER, pageid: K_PAGE, team: K_TEAM, user: K_USER, script: K_SCRIPT };

function compileRule(rule: Rule): CompiledRule {
  const s = parseScope(rule.scope);
  switch (s.kind) {
    case 'default':
      return { rule, kind: K_DEFAULT, arg: '', a: 0, b: 1 };
    case 'userslice':
      return { rule, kind: K_SLICE, arg: '', a: s.slice, b: s.of };
    case 'percent':
      return { rule, kind: K_PERCENT, arg: '', a: Math.round(s.percent * 100), b: 1 };
    case 'unknown':
      return { rule, kind: K_UNKNOWN, arg: '', a: 0, b: 1 };
    default:
      return { rule, kind: NAMED_KINDS[s.kind], arg: s.name, a: 0, b: 1 };
  }
}

function reasonOf(f: CompiledFlag, r: CompiledRule): Reason {
  if (r.kind === K_PERCENT || r.kind === K_SLICE) return 'SPLIT';
  if (r.kind === K_DEFAULT) return f.targeted ? 'DEFAULT' : 'STATIC';
  return 'TARGETING_MATCH';
}

function whyOf(f: CompiledFlag, r: CompiledRule, ctx: FlagContext, active: boolean): string {
  const s = r.rule.scope;
  switch (r.kind) {
    case K_DEFAULT:
      return 'default is always active';
    case K_SERVER:
      return active ? `server is ${r.arg}` : `server is ${ctx.server ?? '(not given)'}, not ${r.arg}`;
    case K_PAGE:
      return active ? `page ${ctx.pageId} is ${r.arg} or under it` : `page ${ctx.pageId ?? '(not given)'} is not ${r.arg} or under it`;
    case K_TEAM:
      return active ? `user is in team ${r.arg}` : `teams ${ctx.teams?.length ? ctx.teams.join(', ') : '(none given)'} do not include ${r.arg}`;
    case K_USER:
      return active ? `user is ${r.arg}` : `user is ${ctx.user ?? '(not given)'}, not ${r.arg}`;
    case K_SCRIPT:
      return active ? `script is ${r.arg}` : `script is ${ctx.script ?? '(not given)'}, not ${r.arg}`;
    case K_SLICE:
      return typeof ctx.userId !== 'number'
        ? 'no numeric userId in the context'
        : `user id ${ctx.userId} % ${r.b} = ${ctx.userId % r.b}${active ? '' : `, not ${r.a}`}`;
    case K_PERCENT: {
      if (ctx.targetingKey === undefined) return 'no targeting key in the context';
      const bucket = f.hasher.hash(ctx.targetingKey) % 10_000;
      return `targeting key's bucket ${(bucket / 100).toFixed(2)} is ${active ? 'under' : 'not under'} ${r.a / 100}`;
    }
    default: {
      const parsed = parseScope(s);
      return `inactive: ${parsed.kind === 'unknown' ? parsed.reason : 'unknown scope'} (recorded as undocumented)`;
    }
  }
}
