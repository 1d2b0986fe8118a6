/**
 * The rollout run's only view of rollout's HTTP API: every request it sends and every field it
 * reads is here, typed, so when the real answers' shapes shift they are reconciled in one
 * place. Reads tolerate camelCase or snake_case names, and a list bare or under `items`.
 * Times come back as epoch milliseconds; every call says when it went out and when its answer
 * came back, since the checks judge operators' actions by those two moments.
 */

export interface Answer {
  status: number;
  body: unknown;
  sentAt: number;
  answeredAt: number;
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

function time(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

function list(body: unknown, key = 'items'): unknown[] {
  if (Array.isArray(body)) return body;
  const v = field(obj(body), key);
  return Array.isArray(v) ? v : [];
}

function strings(v: unknown): string[] | null {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
}

export function describeAnswer(a: Answer): string {
  return `${a.status} ${JSON.stringify(a.body)?.slice(0, 300)}`;
}

async function request(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<Answer> {
  let lastError: unknown;
  // A connection refused or reset is retried a little; an HTTP answer never is.
  for (let attempt = 0; attempt < 3; attempt++) {
    const sentAt = Date.now();
    try {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      const answeredAt = Date.now();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body: parsed, sentAt, answeredAt };
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
  }
  throw new Error(`${method} ${baseUrl}${path} failed: ${(lastError as Error).message}`);
}

// ── views ────────────────────────────────────────────────────────────────────────────────────

export interface ServerView {
  host: string;
  environment: string | null;
  wave: string | null;
  runningRevision: string | null;
  reachable: boolean | null;
  held: boolean;
  track: string | null;
  desiredRevision: string | null;
  lastDeployedRevision: string | null;
  /** null when the field is absent or null. */
  drift: { expected: string | null; running: string | null } | null;
  /** Whether the answer has a `drift` field at all (the old API has none). */
  showsDrift: boolean;
  pinnedRevision: string | null;
  deregistered: boolean;
}

export interface RolloutView {
  id: string;
  cause: string | null;
  track: string | null;
  toSha: string | null;
  toRevno: number | null;
  status: string | null;
  /** null: the whole track. */
  hosts: string[] | null;
  skipped: { host: string; reason: string }[];
  failure: string | null;
  createdAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface DeployView {
  id: string;
  host: string;
  batch: number | null;
  status: string | null;
  revision: string | null;
  requestedAt: number | null;
  updatedAt: number | null;
  outputTail: string | null;
}

export interface CowboyView {
  id: string;
  host: string;
  patchHash: string;
  policy: string | null;
  fixedBy: string | null;
  detected: boolean;
  status: string | null;
  appliedAt: number | null;
  retiredAt: number | null;
  retiredByRevision: string | null;
  retiredReason: string | null;
}

export interface LeadTimeView {
  sha: string;
  revno: number | null;
  promotedAt: number | null;
  deployedAt: number | null;
  pendingOn: { host: string; why: string | null }[] | null;
}

function serverView(it: unknown): ServerView {
  const o = obj(it);
  const drift = obj(field(o, 'drift'));
  const hold = field(o, 'hold');
  return {
    host: str(field(o, 'host')) ?? '', environment: str(field(o, 'environment')), wave: str(field(o, 'wave')),
    runningRevision: str(field(o, 'runningRevision')), reachable: typeof field(o, 'reachable') === 'boolean' ? (field(o, 'reachable') as boolean) : null,
    held: hold !== null && hold !== undefined && hold !== false, track: str(field(o, 'track')), desiredRevision: str(field(o, 'desiredRevision')),
    lastDeployedRevision: str(field(o, 'lastDeployedRevision')),
    drift: drift ? { expected: str(field(drift, 'expected')), running: str(field(drift, 'running')) } : null,
    showsDrift: o !== null && ('drift' in o), pinnedRevision: str(field(o, 'pinnedRevision')),
    deregistered: field(o, 'deregistered') === true || (field(o, 'deregisteredAt') !== null && field(o, 'deregisteredAt') !== undefined),
  };
}

function rolloutView(it: unknown): RolloutView {
  const o = obj(it);
  return {
    id: str(field(o, 'id')) ?? '', cause: str(field(o, 'cause')), track: str(field(o, 'track')), toSha: str(field(o, 'toSha')), toRevno: num(field(o, 'toRevno')),
    status: str(field(o, 'status')), hosts: strings(field(o, 'hosts')),
    skipped: list(field(o, 'skipped')).map((s) => ({ host: str(field(obj(s), 'host')) ?? '', reason: str(field(obj(s), 'reason')) ?? '' })),
    failure: str(field(o, 'failure')), createdAt: time(field(o, 'createdAt')), startedAt: time(field(o, 'startedAt')), finishedAt: time(field(o, 'finishedAt')),
  };
}

function deployView(it: unknown): DeployView {
  const o = obj(it);
  return {
    id: str(field(o, 'id')) ?? '', host: str(field(o, 'host')) ?? '', batch: num(field(o, 'batch')), status: str(field(o, 'status')),
    revision: str(field(o, 'revision')), requestedAt: time(field(o, 'requestedAt')), updatedAt: time(field(o, 'updatedAt')), outputTail: str(field(o, 'outputTail')),
  };
}

function cowboyView(it: unknown): CowboyView {
  const o = obj(it);
  return {
    id: str(field(o, 'id')) ?? '', host: str(field(o, 'host')) ?? '', patchHash: str(field(o, 'patchHash')) ?? '', policy: str(field(o, 'policy')),
    fixedBy: str(field(o, 'fixedBy')), detected: field(o, 'detected') === true, status: str(field(o, 'status')), appliedAt: time(field(o, 'appliedAt')),
    retiredAt: time(field(o, 'retiredAt')), retiredByRevision: str(field(o, 'retiredByRevision')), retiredReason: str(field(o, 'retiredReason')),
  };
}

// ── the client ───────────────────────────────────────────────────────────────────────────────

export class RolloutClient {
  constructor(
    readonly url: string,
    private readonly operatorToken: string,
  ) {}

  private call(method: string, path: string, body?: unknown): Promise<Answer> {
    return request(this.url, this.operatorToken, method, path, body);
  }

  private async read(path: string): Promise<unknown> {
    const a = await this.call('GET', path);
    if (a.status !== 200) throw new Error(`GET ${path} answered ${describeAnswer(a)}`);
    return a.body;
  }

  async servers(): Promise<ServerView[]> {
    return list(await this.read('/servers')).map(serverView);
  }

  async rollouts(): Promise<RolloutView[]> {
    return list(await this.read('/rollouts?limit=500')).map(rolloutView);
  }

  async rollout(id: string): Promise<{ rollout: RolloutView; deploys: DeployView[] }> {
    const body = await this.read(`/rollouts/${id}`);
    return { rollout: rolloutView(body), deploys: list(field(obj(body), 'deploys')).map(deployView) };
  }

  async cowboys(status?: 'applied' | 'retired'): Promise<CowboyView[]> {
    return list(await this.read(`/cowboys${status ? `?status=${status}` : ''}`)).map(cowboyView);
  }

  async leadTime(): Promise<LeadTimeView[]> {
    return list(field(obj(await this.read('/lead-time?limit=10000')), 'revisions'), 'revisions').map((it) => {
      const o = obj(it);
      const pending = field(o, 'pendingOn');
      return {
        sha: str(field(o, 'sha')) ?? '', revno: num(field(o, 'revno')), promotedAt: time(field(o, 'promotedAt')), deployedAt: time(field(o, 'deployedAt')),
        pendingOn: Array.isArray(pending) ? pending.map((p) => ({ host: str(field(obj(p), 'host')) ?? '', why: str(field(obj(p), 'why')) })) : null,
      };
    });
  }

  hold(host: string, reason: string): Promise<Answer> {
    return this.call('PUT', `/servers/${host}/hold`, { reason });
  }

  release(host: string): Promise<Answer> {
    return this.call('DELETE', `/servers/${host}/hold`);
  }

  deregister(host: string, reason: string): Promise<Answer> {
    return this.call('POST', `/servers/${host}/deregister`, { reason });
  }

  recordCowboy(c: { hosts: string[]; patchHash: string; reason: string; policy: 'hold' | 'carry'; fixedBy?: string }): Promise<Answer> {
    return this.call('POST', '/cowboys', c);
  }

  /** The ids of the cowboys a POST /cowboys answer names, by host. */
  static recordedIds(a: Answer): Map<string, string> {
    const out = new Map<string, string>();
    for (const it of list(a.body)) {
      const c = cowboyView(it);
      if (c.id && c.host) out.set(c.host, c.id);
    }
    return out;
  }

  fixCowboy(id: string, fixedBy: string): Promise<Answer> {
    return this.call('PATCH', `/cowboys/${id}`, { fixedBy });
  }

  retireCowboy(id: string, reason: string): Promise<Answer> {
    return this.call('DELETE', `/cowboys/${id}`, { reason });
  }

  manual(revision: string, hosts: string[] | null, reason: string): Promise<Answer> {
    return this.call('POST', '/rollouts', { revision, ...(hosts ? { hosts } : {}), reason });
  }

  /** The id of the rollout a POST /rollouts answer describes. */
  static rolloutId(a: Answer): string | null {
    return str(field(obj(a.body), 'id'));
  }

  cancel(id: string, reason: string): Promise<Answer> {
    return this.call('POST', `/rollouts/${id}/cancel`, { reason });
  }

  pause(id: string): Promise<Answer> {
    return this.call('POST', `/rollouts/${id}/pause`, {});
  }

  resume(id: string): Promise<Answer> {
    return this.call('POST', `/rollouts/${id}/resume`, {});
  }
}

/** Rollout statuses in which a rollout has not ended. */
export const OPEN_STATUSES = ['queued', 'waiting-window', 'preflight', 'blocked', 'in-progress', 'paused'] as const;

/** Deploy statuses in which a deploy is out with its agent. */
export const RUNNING_DEPLOY_STATUSES = ['requested', 'started'] as const;
