/**
 * What every HTTP route of every Runway service lets through, as the README's "Tokens and roles"
 * says: the expectations the route security review (test/security.e2e-spec.ts) holds each
 * served route to. A route that is not in this table fails the review: whoever adds a route
 * decides here who may call it.
 */
import { randomUUID } from 'node:crypto';
import { ROLES, type Role } from '@runway/contracts';

export type ServiceName = 'qa-gate' | 'promotion' | 'rollout' | 'flags' | 'trail';

export interface RouteRule {
  /**
   * Who may call it, besides `admin` (who may call everything). `['viewer']` means any token:
   * every role reads. Empty for admin only.
   */
  roles: Role[];
  /** Required for a write open to `viewer`: why calling it changes nothing a viewer may not change. */
  why?: string;
  /** A plausible body, so that the roles that may call it get past validation where they can. */
  body?: () => unknown;
  /** Path parameters where the defaults below do not fit. */
  params?: Record<string, string>;
}

/** Anyone, without a token: health, metrics and the OpenAPI docs. Nothing else. */
export const PUBLIC_ROUTES = [
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  // The OpenAPI document and Swagger UI, as @nestjs/swagger registers them.
  'GET /docs',
  'GET /docs/',
  'GET /docs/*',
  'GET /docs/json',
  'GET /docs-yaml',
  'GET /docs/index.html',
  'GET /docs/LICENSE',
  'GET /docs/swagger-ui-init.js',
  'GET /docs/docs/swagger-ui-init.js',
] as const;

export const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

const sha = () => randomUUID().replace(/-/g, '') + 'abcdef01';
const comment = 'route security review';

/** The token endpoints every service serves (libs/platform). */
const TOKENS: Record<string, RouteRule> = {
  'POST /tokens': { roles: [], body: () => ({ name: 'review', roles: ['viewer'] }) },
  'GET /tokens': { roles: [] },
  'GET /tokens/me': { roles: ['viewer'] },
  'DELETE /tokens/:id': { roles: [] },
};

export const ROUTE_TABLE: Record<ServiceName, Record<string, RouteRule>> = {
  'qa-gate': {
    ...TOKENS,
    'POST /buildbot': {
      roles: ['buildbot'],
      body: () => ({ buildid: 1, number: 1, complete: false, results: null, builder: { name: 'lp-devel' }, properties: { branch: ['stable', 'Build'] } }),
    },
    'POST /revisions': { roles: ['buildbot'], body: () => ({ branch: 'stable', sha: sha() }) },
    'GET /revisions': { roles: ['viewer'] },
    'GET /revisions/:id': { roles: ['viewer'], params: { id: '1' } },
    'PATCH /revisions/:id/qa': { roles: ['qa'], params: { id: '1' }, body: () => ({ status: 'ok', note: comment }) },
    'PUT /revisions/:id/fix': { roles: ['qa'], params: { id: '1' }, body: () => ({ fixedBy: '2' }) },
    'GET /deployable': { roles: ['viewer'] },
    'GET /landings': { roles: ['viewer'] },
    'GET /landings/:id': { roles: ['viewer'], params: { id: '1' } },
    'POST /landings/:id/dismiss': { roles: ['operator'], params: { id: '1' }, body: () => ({ reason: comment }) },
  },
  promotion: {
    ...TOKENS,
    'GET /status': { roles: ['viewer'] },
    'GET /promotions': { roles: ['viewer'] },
    'POST /promotions': { roles: ['operator'], body: () => ({ revision: sha() }) },
    'POST /locks': { roles: ['operator'], body: () => ({ reason: comment }) },
    'DELETE /locks/:id': { roles: ['operator'] },
    'GET /security-fixes': { roles: ['viewer'] },
    'POST /security-fixes': { roles: ['operator'], body: () => ({ sha: sha() }) },
    'GET /security-fixes/:sha': { roles: ['viewer'], params: { sha: 'abcdef1' } },
    'POST /security-fixes/:sha/merged-back': { roles: ['operator'], params: { sha: 'abcdef1' }, body: () => ({ reason: comment }) },
  },
  rollout: {
    ...TOKENS,
    // An agent token is bound to one host: the review's agent token is bound to app1.lpnet.
    'POST /agents/register': { roles: ['agent'], body: () => ({ host: 'app1.lpnet', environment: 'lpnet', agentVersion: '0.1.0' }) },
    'GET /servers': { roles: ['viewer'] },
    'GET /rollouts': { roles: ['viewer'] },
    'GET /rollouts/:id': { roles: ['viewer'] },
    'POST /rollouts': { roles: ['operator'], body: () => ({ revision: sha(), hosts: ['app1.lpnet'], reason: comment }) },
    'POST /rollouts/:id/pause': { roles: ['operator'] },
    'POST /rollouts/:id/resume': { roles: ['operator'] },
    'POST /rollouts/:id/cancel': { roles: ['operator'], body: () => ({ reason: comment }) },
    'POST /servers/:host/deregister': { roles: ['operator'], body: () => ({ reason: comment }) },
    'PUT /servers/:host/hold': { roles: ['operator'], body: () => ({ reason: comment }) },
    'DELETE /servers/:host/hold': { roles: ['operator'] },
    'GET /cowboys': { roles: ['viewer'] },
    'GET /preflight/cowboys': { roles: ['viewer'] },
    'POST /cowboys': { roles: ['operator'], body: () => ({ hosts: ['app1.lpnet'], patchHash: 'c0ffee0123', reason: comment, policy: 'hold' }) },
    'PATCH /cowboys/:id': { roles: ['operator'], body: () => ({ policy: 'carry' }) },
    'DELETE /cowboys/:id': { roles: ['operator'], body: () => ({ reason: comment }) },
    'GET /lead-time': { roles: ['viewer'] },
  },
  flags: {
    ...TOKENS,
    'GET /rules': { roles: ['viewer'] },
    'PUT /rules': { roles: ['flag-editor'], body: () => ({ text: 'search.fast default 0 false\n', comment }) },
    'POST /rules/check': {
      roles: ['viewer'],
      why: 'parses rule text and answers its line errors; stores nothing (the rule editor checks as you type)',
      body: () => ({ text: 'search.fast default 0 true\n' }),
    },
    'POST /flags/:flag/rules': { roles: ['flag-editor'], body: () => ({ scope: 'team:qa', priority: 10, value: 'true', comment }) },
    'PATCH /flags/:flag/rules/:priority': { roles: ['flag-editor'], body: () => ({ value: 'false', comment }) },
    'DELETE /flags/:flag/rules/:priority': { roles: ['flag-editor'], body: () => ({ comment }) },
    'GET /flags': { roles: ['viewer'] },
    'GET /flags/stale': { roles: ['viewer'] },
    'GET /flags/:flag': { roles: ['viewer'] },
    'PUT /flags/:flag': { roles: ['flag-editor'], body: () => ({ title: 'Fast search', domain: 'boolean', comment }) },
    'GET /undocumented': { roles: ['viewer'] },
    'GET /changelog': { roles: ['viewer'] },
    'POST /evaluate': {
      roles: ['viewer', 'sdk'],
      why: 'evaluates flags for a context (a POST only to carry the context); records nothing',
      body: () => ({ context: { targetingKey: 'u1', teams: ['qa'] } }),
    },
    'POST /evaluate/:flag': {
      roles: ['viewer', 'sdk'],
      why: 'explains one evaluation; records nothing',
      body: () => ({ context: { targetingKey: 'u1' } }),
    },
    'POST /ofrep/v1/evaluate/flags': {
      roles: ['viewer', 'sdk'],
      why: 'OFREP bulk evaluation: OpenFeature defines it as a POST; records nothing',
      body: () => ({ context: { targetingKey: 'u1' } }),
    },
    'POST /ofrep/v1/evaluate/flags/:key': {
      roles: ['viewer', 'sdk'],
      why: 'OFREP single evaluation: OpenFeature defines it as a POST; records nothing',
      body: () => ({ context: { targetingKey: 'u1' } }),
    },
    'GET /snapshot': { roles: ['viewer', 'sdk'] },
    // Usage counts feed "stale" and "undocumented": only applications report them.
    'POST /usage': { roles: ['sdk'], body: () => ({ evaluations: { 'search.fast': 3 }, undocumentedFlags: [], undocumentedScopes: [] }) },
  },
  // The trail is written only by the event streams: over HTTP it only answers.
  trail: {
    ...TOKENS,
    'GET /trail': { roles: ['viewer'] },
    'GET /story/:revision': { roles: ['viewer'] },
    'GET /dora': { roles: ['viewer'] },
  },
};

/** Values for path parameters, by name, unless a rule says otherwise. */
const PARAMS: Record<string, () => string> = {
  id: () => randomUUID(),
  host: () => 'app1.lpnet',
  flag: () => 'search.fast',
  key: () => 'search.fast',
  priority: () => '10',
  revision: () => 'r1',
  '*': () => 'index.html',
};

export function routeKey(r: { method: string; url: string }): string {
  return `${r.method} ${r.url}`;
}

export function isPublic(r: { method: string; url: string }): boolean {
  return (PUBLIC_ROUTES as readonly string[]).includes(routeKey(r));
}

/** A concrete path for a route pattern: `/cowboys/:id` → `/cowboys/<uuid>`. */
export function concretePath(url: string, rule?: RouteRule): string {
  return url
    .replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
      const value = rule?.params?.[name] ?? PARAMS[name]?.();
      if (value === undefined) throw new Error(`no value for the path parameter :${name} of ${url}: add one to PARAMS in test/security/route-table.ts`);
      return encodeURIComponent(value);
    })
    .replace(/\*$/, () => PARAMS['*']());
}

/** Roles other than admin that the rule lets through: every role for a `viewer` rule. */
export function rolesLetThrough(rule: RouteRule): Role[] {
  const nonAdmin = ROLES.filter((r) => r !== 'admin');
  return rule.roles.includes('viewer') ? nonAdmin : nonAdmin.filter((r) => rule.roles.includes(r));
}
