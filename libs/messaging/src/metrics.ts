/** Prometheus metrics of the event plumbing, on the process-wide registry that /metrics serves. */
import { Counter, Histogram, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames });
}

export const eventsPublished = counter('runway_events_published_total', 'Events published to JetStream by the outbox relay.', ['type']);
export const eventsConsumed = counter('runway_events_consumed_total', 'Events consumed, by outcome (applied, duplicate, retried).', ['type', 'consumer', 'outcome']);
export const eventsDeadLettered = counter('runway_events_dead_lettered_total', 'Events moved to the dead-letter stream.', ['type', 'consumer']);
export const handlerSeconds =
  (register.getSingleMetric('runway_event_handler_seconds') as Histogram<string>) ??
  new Histogram({
    name: 'runway_event_handler_seconds',
    help: 'Time to handle one event, inbox and transaction included.',
    labelNames: ['type', 'consumer'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
