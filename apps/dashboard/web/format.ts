/** Small formatting helpers shared by the pages. */
import type { TrailActor } from '@runway/contracts/http';

export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 10) : '—';
}

/**
 * A revision as people say it: "r5 (0123456789)"; "r5" without a sha; the sha alone when it has
 * no revno (production-stable at a commit that is not one of stable's, a security fix say).
 */
export function revisionLabel(rev: { revno: number | null; sha: string | null }): string {
  if (rev.revno === null) return shortSha(rev.sha);
  return rev.sha ? `r${rev.revno} (${shortSha(rev.sha)})` : `r${rev.revno}`;
}

/**
 * Where a revision's story is: by sha, which names it on any branch; by revno (on the QA
 * branch) when the page knows no sha; null when it knows neither.
 */
export function revisionPath(rev: { revno?: number | null; sha?: string | null }): string | null {
  if (rev.sha) return `/revisions/${encodeURIComponent(rev.sha)}`;
  return rev.revno != null ? `/revisions/r${rev.revno}` : null;
}

/** Whether two shas name the same commit (one may be abbreviated). */
export function sameSha(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** "0.4 s", "12 s", "5 min", "2 h 10 min", "4 d 3 h". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${Math.max(0, seconds).toFixed(1)} s`;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

export function ageSeconds(iso: string | null | undefined, now = Date.now()): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? Math.max(0, (now - t) / 1000) : null;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function firstLine(text: string | null | undefined): string {
  return (text ?? '').split('\n')[0];
}

/** Who must act, as people say it. */
export function actorLabel(actor: string): string {
  switch (actor) {
    case 'qa':
      return 'QA';
    case 'developer':
      return 'a developer';
    case 'operator':
      return 'an operator';
    case 'runway':
      return 'Runway (reading git)';
    default:
      return actor;
  }
}

/** Who acted, as the trail names them: "Ada (qa, operator)", "app3.lpnet (agent)", "runway". */
export function whoActed(actor: TrailActor): string {
  if (actor.kind === 'runway') return 'runway';
  if (actor.kind === 'agent') return `${actor.name} (agent)`;
  return actor.roles.length ? `${actor.name} (${actor.roles.join(', ')})` : actor.name;
}
