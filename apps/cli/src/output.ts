/** Output for people (tables, short shas, ages) and for scripts (`--json`). */
import Table from 'cli-table3';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (progress bars redraw in place only then). */
  isTTY: boolean;
  now(): Date;
}

export type Cell = string | number | boolean | null | undefined;

/** A borderless table with a header row, like `ps` or `kubectl get`. No colours: the output is also read by scripts and tests. */
export function table(head: string[], rows: Cell[][]): string {
  const t = new Table({
    head,
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r.map(cell));
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}

/** Two columns, a label and its value, for one object. */
export function details(rows: [string, Cell][]): string {
  return table([], rows.filter(([, v]) => v !== undefined).map(([k, v]) => [k, v]));
}

function cell(v: Cell): string {
  if (v === null || v === undefined || v === '') return '-';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function shortSha(sha: string | null | undefined, length = 10): string {
  return sha ? sha.slice(0, length) : '-';
}

/** `r42 3f2a9c0d1e`, or what is known of it. */
export function revLabel(r: { revno?: number | null; sha?: string | null } | null | undefined): string {
  if (!r) return '-';
  const parts = [r.revno != null ? `r${r.revno}` : null, r.sha ? shortSha(r.sha) : null].filter(Boolean);
  return parts.length ? parts.join(' ') : '-';
}

/** 45s, 12m, 3h05m, 2d04h. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export function ago(at: string | Date | null | undefined, now: Date): string {
  if (!at) return '-';
  const t = new Date(at).getTime();
  if (Number.isNaN(t)) return '-';
  const d = (now.getTime() - t) / 1000;
  return d >= 0 ? `${duration(d)} ago` : `in ${duration(-d)}`;
}

/** First line, at most `max` characters. */
export function firstLine(text: string | null | undefined, max = 60): string {
  if (!text) return '';
  const line = text.split('\n', 1)[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
