/**
 * Structured JSON logs (pino). Every line carries the service name and, when there is one, the
 * id and correlation id of the event or request being handled. Secrets are redacted by path.
 */
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { currentScope } from '@runway/messaging';

export const REDACTED_PATHS = [
  'token', 'password', 'secret', 'authorization', 'credentials',
  '*.token', '*.password', '*.secret', '*.authorization', '*.credentials',
  'req.headers.authorization', 'headers.authorization', 'env.RUNWAY_ADMIN_TOKEN', 'env.NATS_PASSWORD', 'env.NATS_TOKEN',
];

export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const s = currentScope();
        if (!s) return {};
        const out: Record<string, string> = {};
        if (s.eventId) out.eventId = s.eventId;
        if (s.correlationId) out.correlationId = s.correlationId;
        if (s.requestId) out.requestId = s.requestId;
        return out;
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** Lets Nest's own messages go through pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
