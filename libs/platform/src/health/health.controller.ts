/**
 * `/health/live` answers while the process runs; `/health/ready` checks each dependency
 * (Postgres `SELECT 1`, a NATS round trip) raced against a timeout, answering 200 or 503.
 */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Liveness, LivenessSchema, type Readiness, ReadinessSchema } from '@runway/contracts';
import { Public } from '../auth/auth.decorators';
import { Responds } from '../http/openapi';

export interface HealthCheck {
  name: string;
  check(): Promise<unknown>;
}

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

interface Reply {
  status(code: number): Reply;
  send(body: unknown): void;
}

export async function runChecks(checks: HealthCheck[], timeoutMs = 1500) {
  const results = await Promise.all(
    checks.map(async (c) => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { name: c.name, ok: true, ms: Date.now() - started };
      } catch (e) {
        return { name: c.name, ok: false, ms: Date.now() - started, error: (e as Error).message };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ok: results.every((r) => r.ok), checks: results };
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[]) {}

  @Get('live')
  @Responds({ summary: 'Answers while the process runs', status: 200, body: LivenessSchema, public: true })
  live(): Liveness {
    return { status: 'ok' };
  }

  @Get('ready')
  @Responds({
    summary: 'Postgres and NATS, each raced against a timeout: 200 when both answer, else 503', status: 200, body: ReadinessSchema,
    others: { 503: ReadinessSchema }, public: true,
  })
  async ready(@Res() reply: Reply): Promise<void> {
    const r = await runChecks(this.checks);
    const body: Readiness = { status: r.ok ? 'ok' : 'unavailable', checks: r.checks };
    reply.status(r.ok ? 200 : 503).send(body);
  }
}
