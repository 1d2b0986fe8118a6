/**
 * Freeze windows: times when automatic promotion waits. Configured as a list separated by `;`,
 * each either an explicit range of ISO times or a weekly window in UTC:
 *
 *   2026-12-24T00:00Z/2026-12-27T00:00Z ; weekly:Fri 16:00/Mon 08:00
 */
export interface FreezeWindow {
  spec: string;
  /** The end of the window if `now` is inside it, else null. */
  activeUntil(now: Date): Date | null;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WEEK_MS = 7 * 24 * 3600_000;

function weekMs(day: string, hhmm: string, spec: string): number {
  const d = DAYS.indexOf(day.toLowerCase().slice(0, 3));
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (d < 0 || !m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new Error(`freeze window "${spec}": expected like "Fri 16:00"`);
  return d * 24 * 3600_000 + Number(m[1]) * 3600_000 + Number(m[2]) * 60_000;
}

export function parseFreezeWindows(config: string): FreezeWindow[] {
  return config
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec): FreezeWindow => {
      const weekly = /^weekly:\s*(\w+)\s+(\d{1,2}:\d{2})\s*\/\s*(\w+)\s+(\d{1,2}:\d{2})$/i.exec(spec);
      if (weekly) {
        const start = weekMs(weekly[1], weekly[2], spec);
        const end = weekMs(weekly[3], weekly[4], spec);
        const length = (end - start + WEEK_MS) % WEEK_MS || WEEK_MS;
        return {
          spec,
          activeUntil(now) {
            // Position in the week since Sunday 00:00 UTC.
            const sinceSunday = (now.getTime() - Date.UTC(1970, 0, 4)) % WEEK_MS;
            const into = (sinceSunday - start + WEEK_MS) % WEEK_MS;
            return into < length ? new Date(now.getTime() + (length - into)) : null;
          },
        };
      }
      const [a, b] = spec.split('/');
      const from = Date.parse(a);
      const to = Date.parse(b ?? '');
      if (Number.isNaN(from) || Number.isNaN(to) || to <= from) throw new Error(`freeze window "${spec}": expected <ISO start>/<ISO end> or weekly:<Day HH:MM>/<Day HH:MM>`);
      return { spec, activeUntil: (now) => (now.getTime() >= from && now.getTime() < to ? new Date(to) : null) };
    });
}

/** The freeze in force at `now`, if any. */
export function activeFreeze(windows: FreezeWindow[], now: Date): { spec: string; until: Date } | null {
  for (const w of windows) {
    const until = w.activeUntil(now);
    if (until) return { spec: w.spec, until };
  }
  return null;
}
