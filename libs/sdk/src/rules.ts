/**
 * What a feature-flag rule is, independent of where it is evaluated: the flag service, the SDK
 * in an application and the dashboard all read rules, scopes and value domains through this
 * module, so a rule means the same thing everywhere.
 *
 * A rule is `(flag, scope, priority, value)`; a flag's rules are tried in descending priority
 * and the first whose scope is active gives the value. `""` is a value.
 */

export interface Rule {
  flag: string;
  scope: string;
  priority: number;
  value: string;
}

export const VALUE_DOMAINS = ['boolean', 'int', 'float', 'space-delimited', 'datetime', 'string'] as const;
export type ValueDomain = (typeof VALUE_DOMAINS)[number];

/** A flag's documentation. `default` is the documented default: the value when no rule matches. */
export interface FlagDoc {
  name: string;
  title: string;
  description: string;
  domain: ValueDomain;
  default: string | null;
}

/** Everything an evaluator needs: the whole rule set and the docs, at one version. */
export interface FlagSnapshot {
  version: number;
  rules: Rule[];
  docs: FlagDoc[];
}

export const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/** Scopes that name one thing the context must hold: `server.<env>`, `pageid:<page>`, `team:<name>` … */
export type NamedScopeKind = 'server' | 'pageid' | 'team' | 'user' | 'script';

export type Scope =
  | { kind: 'default' }
  | { kind: NamedScopeKind; name: string }
  | { kind: 'userslice'; slice: number; of: number }
  | { kind: 'percent'; percent: number }
  | { kind: 'unknown'; scope: string; reason: string };

export const SCOPE_KINDS = ['default', 'server.<env>', 'pageid:<page>', 'team:<name>', 'user:<name>', 'script:<name>', 'userslice:<a>,<b>', 'percent:<n>'] as const;

const NAME = /^[^\s]+$/;

/** Reads a scope. A scope Runway does not know is `unknown` (inactive), never an exception. */
export function parseScope(scope: string): Scope {
  if (scope === 'default') return { kind: 'default' };
  // server.<env> is Launchpad's spelling; every other kind is <kind>:<argument>.
  const server = scope.startsWith('server.');
  const colon = scope.indexOf(':');
  if (!server && colon <= 0) return unknown(scope, `unknown scope kind "${scope}"`);
  const kind = server ? 'server' : scope.slice(0, colon);
  const arg = server ? scope.slice(7) : scope.slice(colon + 1);
  switch (kind) {
    case 'server':
    case 'pageid':
    case 'team':
    case 'user':
    case 'script':
      return arg && NAME.test(arg) ? { kind, name: arg } : unknown(scope, `${NAMED_USAGE[kind]} needs a name`);
    case 'userslice': {
      const m = /^(\d{1,9}),(\d{1,9})$/.exec(arg);
      if (!m) return unknown(scope, 'userslice:<a>,<b> needs two whole numbers');
      const slice = Number(m[1]);
      const of = Number(m[2]);
      if (of < 1 || slice >= of) return unknown(scope, `userslice:${arg}: need 0 ≤ a < b`);
      return { kind: 'userslice', slice, of };
    }
    case 'percent': {
      if (!/^\d{1,3}(\.\d{1,2})?$/.test(arg)) return unknown(scope, 'percent:<n> needs a number from 0 to 100 (two decimals at most)');
      const percent = Number(arg);
      return percent <= 100 ? { kind: 'percent', percent } : unknown(scope, 'percent:<n> is at most 100');
    }
    default:
      return unknown(scope, `unknown scope kind "${kind}"`);
  }
}

const NAMED_USAGE: Record<NamedScopeKind, string> = {
  server: 'server.<env>', pageid: 'pageid:<page>', team: 'team:<name>', user: 'user:<name>', script: 'script:<name>',
};

function unknown(scope: string, reason: string): Scope {
  return { kind: 'unknown', scope, reason };
}

/** Why `value` is outside `domain`, or null when it is inside. */
export function domainError(domain: ValueDomain, value: string): string | null {
  switch (domain) {
    case 'boolean':
      return /^(true|false|on|off)$/.test(value) ? null : `"${value}" is not a boolean (true, false, on or off)`;
    case 'int':
      return /^-?\d{1,15}$/.test(value) ? null : `"${value}" is not a whole number`;
    case 'float':
      return /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(value) && Number.isFinite(Number(value)) ? null : `"${value}" is not a number`;
    case 'space-delimited':
      return value === '' || /^\S+( \S+)*$/.test(value) ? null : `"${value}" is not a list of words separated by single spaces`;
    case 'datetime':
      return /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) && !Number.isNaN(Date.parse(value))
        ? null
        : `"${value}" is not an ISO 8601 date or date-time`;
    case 'string':
      return null;
  }
}

/** A value as its domain's JSON type: booleans and numbers typed, the rest strings. */
export function typedValue(domain: ValueDomain | undefined, value: string): string | number | boolean {
  switch (domain) {
    case 'boolean':
      return value === 'true' || value === 'on';
    case 'int':
    case 'float':
      return Number(value);
    default:
      return value;
  }
}

/** The canonical order: by flag, then by descending priority. */
export function compareRules(a: Rule, b: Rule): number {
  return a.flag < b.flag ? -1 : a.flag > b.flag ? 1 : b.priority - a.priority;
}
