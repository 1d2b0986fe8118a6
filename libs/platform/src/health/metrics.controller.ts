/** Prometheus scrape endpoint: the plumbing's event metrics, HTTP latency and Node's defaults. */
import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { collectDefaultMetrics, Histogram, register } from 'prom-client';
import { MetricsSchema } from '@runway/contracts';
import { Public } from '../auth/auth.decorators';
import { Responds } from '../http/openapi';

let defaultsCollected = false;
export function ensureDefaultMetrics(): void {
  if (!defaultsCollected) {
    collectDefaultMetrics();
    defaultsCollected = true;
  }
}

export const httpSeconds =
  (register.getSingleMetric('runway_http_request_seconds') as Histogram<string>) ??
  new Histogram({
    name: 'runway_http_request_seconds',
    help: 'HTTP request latency by route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });

@ApiTags('health')
@Public()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', register.contentType)
  @Responds({ summary: 'Prometheus metrics: events, handler and HTTP latency, and Node\'s own', status: 200, body: MetricsSchema, mediaType: 'text/plain', public: true })
  metrics(): Promise<string> {
    return register.metrics();
  }
}
