/**
 * DORA's four keys as Prometheus gauges on /metrics, over the last 30 days of production,
 * computed from the trail when scraped (at most once a minute: a scrape every few seconds
 * must not recompute it each time).
 */
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Gauge, register } from 'prom-client';
import type { Dora } from '@runway/contracts';
import { TrailService } from './trail.service';

const WINDOW_MS = 30 * 86_400_000;
const FRESH_MS = 60_000;

@Injectable()
export class DoraMetrics implements OnApplicationBootstrap {
  private last: { at: number; dora: Promise<Dora> } | null = null;

  constructor(@Inject(TrailService) private readonly trail: TrailService) {}

  onApplicationBootstrap(): void {
    const figures = () => {
      if (!this.last || Date.now() - this.last.at > FRESH_MS) {
        const until = new Date();
        this.last = { at: Date.now(), dora: this.trail.dora(new Date(until.getTime() - WINDOW_MS), until, 'production') };
        this.last.dora.catch(() => (this.last = null));
      }
      return this.last.dora;
    };
    const gauge = (name: string, help: string, read: (d: Dora, set: (value: number | null, labels?: Record<string, string>) => void) => void, labelNames: string[] = []) => {
      if (register.getSingleMetric(name)) register.removeSingleMetric(name);
      new Gauge({
        name, help, labelNames,
        async collect() {
          const d = await figures().catch(() => null);
          this.reset();
          if (d) read(d, (value, labels) => value !== null && (labels ? this.set(labels, value) : this.set(value)));
        },
      });
    };
    gauge('runway_dora_deployments_per_day', 'Production deployments a day over the last 30 days.', (d, set) => set(d.deploymentFrequency.perDay));
    gauge('runway_dora_lead_time_seconds', 'Lead time for changes (landed to running everywhere), last 30 days.', (d, set) => {
      set(d.leadTimeForChanges.p50, { quantile: '0.5' });
      set(d.leadTimeForChanges.p90, { quantile: '0.9' });
    }, ['quantile']);
    gauge('runway_dora_change_failure_rate', 'Failed production changes over all production changes, last 30 days (0..1).', (d, set) => set(d.changeFailureRate.rate));
    gauge('runway_dora_time_to_restore_seconds', 'Time from a failed production change to a fix running everywhere, last 30 days.', (d, set) => {
      set(d.timeToRestore.p50, { quantile: '0.5' });
      set(d.timeToRestore.p90, { quantile: '0.9' });
    }, ['quantile']);
  }
}
