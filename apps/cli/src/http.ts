/**
 * A small JSON client per service. Errors become CliErrors with the service's message and the
 * exit code for the status. The token goes in the Authorization header and nowhere else: not in
 * a message, not in a URL.
 */
import type { ErrorBody as ServiceErrorBody } from '@runway/contracts';
import { CliError, ExitCode, exitCodeForStatus } from './exit-codes';
import type { ServiceName } from './config';

export type Query = Record<string, string | number | boolean | undefined | null>;

/** The platform's error body (`error`, with rule line errors), or one with only a `code`, as far as it came through. */
type ErrorBody = Partial<ServiceErrorBody> & { code?: string };

export function withQuery(path: string, query: Query = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/** One line describing an HTTP error, from the service's own message and field errors. */
export function describeHttpError(service: ServiceName, status: number, body: unknown): string {
  const b = (body && typeof body === 'object' ? body : {}) as ErrorBody;
  const code = b.error ?? b.code;
  let message = typeof b.message === 'string' && b.message ? b.message : typeof body === 'string' && body ? body.slice(0, 200) : 'no message';
  if (b.fields?.length && !b.fields.every((f) => message.includes(f.field))) {
    message += ` (${b.fields.map((f) => `${f.field}: ${f.errors.join(', ')}`).join('; ')})`;
  }
  const hint = status === 401 ? '; set RUNWAY_TOKEN or "token" in the config file' : '';
  return `${service}: ${status}${code ? ` ${code}` : ''}: ${message}${hint}`;
}

export class ServiceClient {
  constructor(
    readonly service: ServiceName,
    readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 15_000,
  ) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  patch<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, body);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new CliError(`cannot reach ${this.service} at ${this.baseUrl}: ${why}`, ExitCode.ERROR);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) {
      const b = (parsed && typeof parsed === 'object' ? parsed : {}) as ErrorBody;
      throw new CliError(describeHttpError(this.service, res.status, parsed), exitCodeForStatus(res.status), {
        status: res.status, code: b.error ?? b.code, errors: Array.isArray(b.errors) ? b.errors : undefined, body: parsed,
      });
    }
    return parsed as T;
  }
}
