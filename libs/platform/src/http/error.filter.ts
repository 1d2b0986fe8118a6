/**
 * The one place errors are shaped. Over HTTP every error answers
 * `{ statusCode, error: <CODE>, message, fields? }`, and unexpected errors are logged and answer
 * 500 without internals. In an event handler the error passes through untouched, so the
 * consumer can read its code and choose between retrying and dead-lettering.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Logger } from 'pino';
import { throwError, type Observable } from 'rxjs';
import type { ErrorBody } from '@runway/contracts';
import { isOutage } from '@runway/messaging';
import { DomainError, ERROR_STATUS, type ErrorCode } from '../errors';

interface Reply {
  status(code: number): Reply;
  header(name: string, value: string): Reply;
  send(body: unknown): void;
}

const STATUS_CODE: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() !== 'http') return throwError(() => exception);
    const reply = host.switchToHttp().getResponse<Reply>();
    const body = errorBody(exception);
    if (body.statusCode >= 500) this.logger.error({ err: exception }, 'request failed');
    if (body.statusCode === 503) reply.header('retry-after', RETRY_AFTER_SECONDS);
    reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

/** What a 503 tells the client to wait: Postgres and NATS come back, or a replica takes over, in about that. */
export const RETRY_AFTER_SECONDS = '1';

/** Postgres aborted the transaction to break a deadlock or keep it serialisable: trying again succeeds. */
const CONCURRENCY_ABORTS = new Set(['40001', '40P01']);

/**
 * Failures that say nothing about the request: Postgres or NATS away for a moment (restarting,
 * failing over, a connection cut mid-query), or a transaction aborted for a concurrent one.
 * The client should try again, and is told so with a 503 rather than a 500.
 */
export function isTransient(e: unknown): boolean {
  if (isOutage(e)) return true;
  const code = (e as { driverError?: { code?: string }; code?: unknown })?.driverError?.code ?? (e as { code?: unknown })?.code;
  return typeof code === 'string' && CONCURRENCY_ABORTS.has(code);
}

/** The body every error answers with, over Nest routes and Fastify routes alike (`ErrorBodySchema` in /docs). */
export function errorBody(e: unknown): ErrorBody {
  if (e instanceof DomainError) return { statusCode: e.status, error: e.code, message: e.message, ...(e.details ?? {}) };
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const res = e.getResponse();
      const message = typeof res === 'string' ? res : String((res as { message?: unknown }).message ?? e.message);
      return { statusCode: status, error: STATUS_CODE[status] ?? `HTTP_${status}`, message };
    }
    // Fastify's own errors (body too large, bad JSON, bad content type) carry a statusCode.
    const fe = e as { statusCode?: number; code?: string; message?: string };
    if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return { statusCode: fe.statusCode, error: STATUS_CODE[fe.statusCode] ?? fe.code ?? `HTTP_${fe.statusCode}`, message: fe.message ?? 'bad request' };
    }
    // Postgres refusing a value the request carried (a NUL byte in a path, text where a number
    // goes, too long) is the request's fault: 400, as the event consumer treats it as poison.
    const driver = (e as { name?: string; driverError?: { code?: string; message?: string } })?.name === 'QueryFailedError' ? (e as { driverError?: { code?: string; message?: string } }).driverError : undefined;
    if (driver?.code && INPUT_DATA_EXCEPTIONS.has(driver.code)) {
      return { statusCode: 400, error: 'VALIDATION_FAILED', message: `a value in the request cannot be used: ${driver.message ?? driver.code}` };
    }
    if (isTransient(e)) {
      return { statusCode: 503, error: 'UNAVAILABLE', message: 'the database or the message broker is unavailable for a moment: try again' };
    }
    return { statusCode: 500, error: 'INTERNAL', message: 'internal error' };
}

/** Postgres data exceptions (class 22) that only a bad input value causes. */
const INPUT_DATA_EXCEPTIONS = new Set(['22001', '22003', '22007', '22008', '22021', '22P02', '22P05']);
