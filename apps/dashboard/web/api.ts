/**
 * Calls to the services through the dashboard server, which adds the session's token. Writes
 * carry the header the server requires of them. An answer of 401 means the session is over.
 */
import type { ErrorBody } from '@runway/contracts/http';

export type Service = 'qa-gate' | 'promotion' | 'rollout' | 'flags' | 'trail';

export interface Capabilities {
  qa: boolean;
  operator: boolean;
  flagEditor: boolean;
}

/** A service's refusal, with its message and whatever else it said (fields, line errors). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The service's error body, as far as one came back (the dashboard server's own refusals have less). */
    readonly body: Partial<ErrorBody> | null,
  ) {
    super(message);
  }
}

export const SESSION_ENDED = 'runway:session-ended';

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-runway-dashboard'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'the dashboard server did not answer', null);
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (res.ok) return parsed as T;
  const obj = parsed && typeof parsed === 'object' ? (parsed as Partial<ErrorBody>) : null;
  const message = typeof obj?.message === 'string' ? obj.message : typeof parsed === 'string' && parsed ? parsed : `HTTP ${res.status}`;
  if (res.status === 401 && url.startsWith('/api/')) window.dispatchEvent(new Event(SESSION_ENDED));
  throw new ApiError(res.status, message, obj);
}

export const api = {
  get: <T>(service: Service, path: string) => request<T>('GET', `/api/${service}${path}`),
  send: <T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', service: Service, path: string, body?: unknown) =>
    request<T>(method, `/api/${service}${path}`, body),
};

export const auth = {
  session: () => request<{ authenticated: boolean; capabilities?: Capabilities }>('GET', '/auth/session'),
  login: (token: string) => request<{ authenticated: true; capabilities: Capabilities }>('POST', '/auth/login', { token }),
  logout: () => request<{ authenticated: false }>('POST', '/auth/logout'),
};
