/**
 * Rollout planning as pure functions: which servers get a revision, in which waves and
 * batches; and when a downtime deploy may run. Whether a server is held or reachable is not
 * decided here but as its batch goes out (dispatcher.service.ts).
 *
 * A server's wave is its `wave` (from its agent) or else its environment. Waves go in the
 * configured order (`qastaging,edge,lpnet` say; unlisted waves after, by name), each split
 * into batches of at most `batchSize` servers (0: the whole wave at once). A batch starts only
 * once the one before it has reported healthy.
 */
export interface PlanServer {
  host: string;
  environment: string;
  wave: string | null;
}

export interface PlannedDeploy {
  host: string;
  batch: number;
  wave: string;
}

export interface Plan {
  deploys: PlannedDeploy[];
  batches: number;
}

export function waveOf(s: Pick<PlanServer, 'wave' | 'environment'>): string {
  return s.wave || s.environment;
}

/** Waves in rollout order: as configured, then unlisted ones by name. */
export function compareWaves(waveOrder: readonly string[]): (a: string, b: string) => number {
  const rank = (w: string) => {
    const i = waveOrder.indexOf(w);
    return i < 0 ? waveOrder.length : i;
  };
  return (a, b) => rank(a) - rank(b) || a.localeCompare(b);
}

/** Servers in the order a rollout reaches them: by wave, then by host. */
export function inRolloutOrder<T extends Pick<PlanServer, 'host' | 'wave' | 'environment'>>(servers: T[], waveOrder: readonly string[]): T[] {
  const byWave = compareWaves(waveOrder);
  return [...servers].sort((a, b) => byWave(waveOf(a), waveOf(b)) || a.host.localeCompare(b.host));
}

export function planRollout(servers: PlanServer[], waveOrder: string[], batchSize: number): Plan {
  const byWave = new Map<string, string[]>();
  for (const s of servers) byWave.set(waveOf(s), [...(byWave.get(waveOf(s)) ?? []), s.host]);
  const waves = [...byWave.keys()].sort(compareWaves(waveOrder));
  const deploys: PlannedDeploy[] = [];
  let batch = 0;
  for (const wave of waves) {
    const hosts = byWave.get(wave)!.sort();
    const size = batchSize > 0 ? batchSize : hosts.length;
    for (let i = 0; i < hosts.length; i += size, batch++) {
      for (const host of hosts.slice(i, i + size)) deploys.push({ host, batch, wave });
    }
  }
  return { deploys, batches: batch };
}

/**
 * When no-downtime production rollouts may start: at once (empty), at most every N minutes or
 * hours (`every 30m`), or once a day (`daily 09:00`, UTC). A newer promotion supersedes one
 * still waiting, so the slot always carries the newest revision.
 */
export type Cadence = { kind: 'immediate' } | { kind: 'every'; ms: number } | { kind: 'daily'; hour: number; minute: number };

export function parseCadence(spec: string): Cadence {
  const s = spec.trim();
  if (!s) return { kind: 'immediate' };
  const every = /^every\s+(\d{1,5})\s*(m|h)$/i.exec(s);
  if (every) return { kind: 'every', ms: Number(every[1]) * (every[2].toLowerCase() === 'h' ? 3600_000 : 60_000) };
  const daily = /^daily\s+(\d{1,2}):(\d{2})$/i.exec(s);
  if (daily && Number(daily[1]) <= 23 && Number(daily[2]) <= 59) return { kind: 'daily', hour: Number(daily[1]), minute: Number(daily[2]) };
  throw new Error(`cadence "${spec}": expected empty, "every 30m", "every 2h" or "daily 09:00" (UTC)`);
}

/** The earliest a no-downtime rollout may start, given when the last production rollout started. */
export function nextCadenceSlot(c: Cadence, now: Date, lastStart: Date | null): Date {
  if (c.kind === 'immediate') return now;
  if (c.kind === 'every') return lastStart && lastStart.getTime() + c.ms > now.getTime() ? new Date(lastStart.getTime() + c.ms) : now;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), c.hour, c.minute);
  return new Date(today >= now.getTime() ? today : today + 24 * 3600_000);
}

/** A daily downtime window, `HH:MM` UTC lasting `minutes`: `daily 10:00/60`. */
export interface DowntimeWindow {
  hour: number;
  minute: number;
  minutes: number;
}

export function parseDowntimeWindow(spec: string): DowntimeWindow {
  const m = /^daily\s+(\d{1,2}):(\d{2})(?:\s*\/\s*(\d{1,4}))?$/i.exec(spec.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new Error(`downtime window "${spec}": expected like "daily 10:00/60" (UTC, minutes)`);
  return { hour: Number(m[1]), minute: Number(m[2]), minutes: Number(m[3] ?? 60) };
}

/** `now` if the window is open, else when it next opens. */
export function nextWindowOpening(w: DowntimeWindow, now: Date): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), w.hour, w.minute);
  const end = today + w.minutes * 60_000;
  if (now.getTime() >= today && now.getTime() < end) return now;
  if (now.getTime() < today) return new Date(today);
  return new Date(today + 24 * 3600_000);
}

export function windowOpen(w: DowntimeWindow, now: Date): boolean {
  return nextWindowOpening(w, now).getTime() === now.getTime();
}
