/**
 * The histories run's only view of qa-gate's and promotion's HTTP APIs: every request it sends
 * and every field it reads is here, typed, so a difference in the real services' answers is
 * reconciled in one place. Reads tolerate camelCase or snake_case field names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Answer {
  status: number;
  body: unknown;
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

/** `o.camelName` or `o.snake_name`. */
function field(o: Json | null, name: string): unknown {
  if (!o) return undefined;
  if (name in o) return o[name];
  const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return o[snake];
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

async function request(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<Answer> {
  let lastError: unknown;
  // A connection refused or reset is retried a little; an HTTP answer never is.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body: parsed };
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
  }
  throw new Error(`${method} ${baseUrl}${path} failed: ${(lastError as Error).message}`);
}

export function describeAnswer(a: Answer): string {
  return `${a.status} ${JSON.stringify(a.body)?.slice(0, 300)}`;
}

// ── qa-gate ────────────────────────────────────────────────────────────────────────────────

export interface RevisionView {
  revno: number;
  sha: string;
  db: boolean | null;
  status: string | null;
  fixedBy: number | null;
}

export interface DeployableView {
  revno: number | null;
  sha: string | null;
  blocker: { kind: string | null; actor: string | null; revno: number | null; sha: string | null } | null;
  /** null: production runs no bad revision. */
  productionRunsBad: { revno: number | null; sha: string | null }[] | null;
  raw: unknown;
}

const FIXTURE = join(__dirname, '..', '..', '..', 'apps', 'qa-gate', 'test', 'fixtures', 'buildbot', 'build-finished-success.json');
let fixture: Json | null = null;

/** buildbot 3.7's HttpStatusPush body for a finished, successful build of `sha` on `branch`. */
export function buildbotBody(buildId: number, sha: string, branch: string, completeAt: number): Json {
  fixture ??= JSON.parse(readFileSync(FIXTURE, 'utf8')) as Json;
  const b = JSON.parse(JSON.stringify(fixture)) as Json & { properties: Json; buildset: { sourcestamps: Json[] } };
  b.buildid = buildId;
  b.number = buildId;
  b.complete = true;
  b.results = 0;
  b.started_at = completeAt - 30;
  b.complete_at = completeAt;
  b.url = `http://127.0.0.1:8010/#builders/1/builds/${buildId}`;
  b.properties.got_revision = [sha, 'Git'];
  b.properties.revision = [sha, 'Build'];
  b.properties.branch = [branch, 'Build'];
  b.properties.buildnumber = [buildId, 'Build'];
  b.buildset.sourcestamps[0].revision = sha;
  b.buildset.sourcestamps[0].branch = branch;
  return b;
}

export class QaGateClient {
  constructor(
    readonly url: string,
    private readonly buildbotToken: string,
    private readonly qaToken: string,
  ) {}

  postBuildbot(body: Json): Promise<Answer> {
    return request(this.url, this.buildbotToken, 'POST', '/buildbot', body);
  }

  /** Every revision of `branch`, newest first, following `next.before`. */
  async revisions(branch = 'stable'): Promise<RevisionView[]> {
    const out: RevisionView[] = [];
    let before: number | null = null;
    for (let page = 0; page < 100; page++) {
      const a = await request(this.url, this.qaToken, 'GET', `/revisions?branch=${branch}&limit=500${before ? `&before=${before}` : ''}`);
      if (a.status !== 200) throw new Error(`GET /revisions answered ${describeAnswer(a)}`);
      const body = obj(a.body);
      const items = (Array.isArray(a.body) ? a.body : field(body, 'items')) as unknown[] | undefined;
      for (const it of items ?? []) {
        const o = obj(it);
        out.push({
          revno: num(field(o, 'revno')) ?? -1, sha: str(field(o, 'sha')) ?? '', db: typeof field(o, 'db') === 'boolean' ? (field(o, 'db') as boolean) : null,
          status: str(field(o, 'qaStatus')) ?? str(field(o, 'status')), fixedBy: num(field(o, 'fixedByRevno')) ?? num(field(o, 'fixedBy')),
        });
      }
      const next = obj(field(body, 'next'));
      before = num(field(next, 'before'));
      if (!before) break;
    }
    return out;
  }

  async deployable(): Promise<DeployableView> {
    const a = await request(this.url, this.qaToken, 'GET', '/deployable');
    if (a.status !== 200) throw new Error(`GET /deployable answered ${describeAnswer(a)}`);
    const body = obj(a.body);
    const d = obj(field(body, 'deployable'));
    const b = obj(field(body, 'blocker'));
    const bad = obj(field(body, 'productionRunsBad'));
    const badList = (Array.isArray(field(body, 'productionRunsBad')) ? field(body, 'productionRunsBad') : field(bad, 'revisions')) as unknown[] | undefined;
    return {
      revno: num(field(d, 'revno')), sha: str(field(d, 'sha')),
      blocker: b ? { kind: str(field(b, 'kind')), actor: str(field(b, 'actor')), revno: num(field(b, 'revno')), sha: str(field(b, 'sha')) } : null,
      productionRunsBad: field(body, 'productionRunsBad') == null ? null : (badList ?? []).map((x) => ({ revno: num(field(obj(x), 'revno')), sha: str(field(obj(x), 'sha')) })),
      raw: a.body,
    };
  }

  /** PATCH /revisions/<sha>/qa. */
  mark(sha: string, status: string, opts: { fixedBy?: string; note?: string } = {}): Promise<Answer> {
    return request(this.url, this.qaToken, 'PATCH', `/revisions/${sha}/qa`, { status, ...(opts.note ? { note: opts.note } : {}), ...(opts.fixedBy ? { fixedBy: opts.fixedBy } : {}) });
  }

  /** PUT /revisions/<sha>/fix. */
  linkFix(sha: string, fixedBy: string): Promise<Answer> {
    return request(this.url, this.qaToken, 'PUT', `/revisions/${sha}/fix`, { fixedBy });
  }
}

// ── promotion ──────────────────────────────────────────────────────────────────────────────

export interface PromotionView {
  id: string;
  fromSha: string | null;
  toSha: string | null;
  toRevno: number | null;
  pushedSha: string | null;
  kind: string | null;
  cause: string | null;
  deployKind: string | null;
  containsDb: boolean | null;
  createdAt: string | null;
  /** Why, when Runway says (a forced or assumed-downtime promotion, say). */
  reason: string | null;
}

export interface PromotionStatusView {
  productionSha: string | null;
  /** null: production runs no bad revision; otherwise what it names (revnos and shas found in it). */
  productionRunsBad: { revnos: number[]; shas: string[] } | null;
  /** undefined: the field is missing altogether. */
  withdrawnApprovals: { sha: string | null; revno: number | null; reason: string | null }[] | undefined;
  raw: unknown;
}

export interface SecurityFixView {
  sha: string;
  promotedAt: string | null;
  mergedBackAt: string | null;
  mergedBackBy: string | null;
  mergedBackHow: string | null;
}

/** The revnos and shas a `productionRunsBad` value names, whatever its shape. */
function named(v: unknown): { revnos: number[]; shas: string[] } {
  const revnos: number[] = [];
  const shas: string[] = [];
  const walk = (x: unknown, key: string) => {
    if (Array.isArray(x)) x.forEach((y) => walk(y, key));
    else if (obj(x)) for (const [k, y] of Object.entries(x as Json)) walk(y, k);
    else if (key === 'revno' && num(x) !== null) revnos.push(num(x)!);
    else if (typeof x === 'string' && /^[0-9a-f]{40}$/.test(x)) shas.push(x);
  };
  walk(v, '');
  return { revnos, shas };
}

export class PromotionClient {
  constructor(
    readonly url: string,
    private readonly operatorToken: string,
  ) {}

  /** POST /locks; returns the lock's id. */
  async lock(reason: string): Promise<string> {
    const a = await request(this.url, this.operatorToken, 'POST', '/locks', { reason });
    const id = str(field(obj(a.body), 'id'));
    if (a.status >= 300 || !id) throw new Error(`POST /locks answered ${describeAnswer(a)}`);
    return id;
  }

  /** DELETE /locks/<id>; 204 expected. */
  unlock(id: string): Promise<Answer> {
    return request(this.url, this.operatorToken, 'DELETE', `/locks/${id}`);
  }

  /** Every promotion, newest first. */
  async promotions(): Promise<PromotionView[]> {
    const a = await request(this.url, this.operatorToken, 'GET', '/promotions?limit=1000');
    if (a.status !== 200) throw new Error(`GET /promotions answered ${describeAnswer(a)}`);
    const items = (Array.isArray(a.body) ? a.body : field(obj(a.body), 'items')) as unknown[] | undefined;
    return (items ?? []).map((it) => {
      const o = obj(it);
      return {
        id: str(field(o, 'id')) ?? '', fromSha: str(field(o, 'fromSha')), toSha: str(field(o, 'toSha')), toRevno: num(field(o, 'toRevno')),
        pushedSha: str(field(o, 'pushedSha')), kind: str(field(o, 'kind')), cause: str(field(o, 'cause')), deployKind: str(field(o, 'deployKind')),
        containsDb: typeof field(o, 'containsDb') === 'boolean' ? (field(o, 'containsDb') as boolean) : null, createdAt: str(field(o, 'createdAt')),
        reason: str(field(o, 'reason')),
      };
    });
  }

  async status(): Promise<PromotionStatusView> {
    const a = await request(this.url, this.operatorToken, 'GET', '/status');
    if (a.status !== 200) throw new Error(`GET /status answered ${describeAnswer(a)}`);
    const body = obj(a.body);
    const bad = field(body, 'productionRunsBad');
    const withdrawn = field(body, 'withdrawnApprovals');
    return {
      productionSha: str(field(obj(field(body, 'productionStable')), 'sha')),
      productionRunsBad: bad == null ? null : named(bad),
      withdrawnApprovals: Array.isArray(withdrawn)
        ? withdrawn.map((w) => ({ sha: str(field(obj(w), 'sha')), revno: num(field(obj(w), 'revno')), reason: str(field(obj(w), 'reason')) }))
        : undefined,
      raw: a.body,
    };
  }

  async securityFixes(): Promise<SecurityFixView[]> {
    const a = await request(this.url, this.operatorToken, 'GET', '/security-fixes');
    if (a.status !== 200) throw new Error(`GET /security-fixes answered ${describeAnswer(a)}`);
    const items = (Array.isArray(a.body) ? a.body : field(obj(a.body), 'items')) as unknown[] | undefined;
    return (items ?? []).map((it) => {
      const o = obj(it);
      const at = (k: string) => {
        const v = field(o, k);
        return v == null ? null : String(v);
      };
      return { sha: str(field(o, 'sha')) ?? '', promotedAt: at('promotedAt'), mergedBackAt: at('mergedBackAt'), mergedBackBy: str(field(o, 'mergedBackBy')), mergedBackHow: str(field(o, 'mergedBackHow')) };
    });
  }
}
