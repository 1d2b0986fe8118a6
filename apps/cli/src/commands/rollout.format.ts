/** How rollout's answers look to people, and how a rollout's deploys group into waves. */
import { ago, duration, revLabel, shortSha, table } from '../output';

export interface Server {
  host: string;
  environment: string;
  wave: string | null;
  runningRevision: string | null;
  agentVersion: string;
  lastHeartbeatAt: string | null;
  heartbeatAgeSeconds: number | null;
  reachable: boolean;
  hold: { reason: string; author: string; until: string | null } | null;
}

export interface Deploy {
  id: string;
  host: string;
  batch: number;
  wave: string | null;
  revision: string;
  previousRevision: string | null;
  status: string;
  outputTail: string | null;
  updatedAt: string;
}

export interface Rollout {
  id: string;
  cause: string;
  toSha: string;
  toRevno: number | null;
  kind: string;
  status: string;
  batches: number;
  currentBatch: number;
  scheduledFor: string | null;
  failure: string | null;
  pausedBy: string | null;
  skipped: { host: string; reason: string }[];
  createdAt: string;
  finishedAt: string | null;
  deploys?: Deploy[];
}

/** A rollout in one of these states changes no more. */
export const FINISHED_ROLLOUT_STATES = ['succeeded', 'failed', 'no-servers', 'superseded'];
/** A deploy in one of these states is over. */
export const FINISHED_DEPLOY_STATES = ['succeeded', 'failed', 'rolled-back', 'cancelled'];

export function isFinished(r: Pick<Rollout, 'status'>): boolean {
  return FINISHED_ROLLOUT_STATES.includes(r.status);
}

export function serversTable(servers: Server[]): string {
  if (!servers.length) return 'No servers: no agent has registered yet.';
  return table(
    ['HOST', 'ENV', 'WAVE', 'RUNNING', 'HEARTBEAT', 'STATE', 'HOLD'],
    servers.map((s) => [
      s.host, s.environment, s.wave ?? s.environment, shortSha(s.runningRevision),
      s.heartbeatAgeSeconds === null ? 'never' : `${duration(s.heartbeatAgeSeconds)} ago`,
      s.reachable ? 'up' : 'unreachable',
      s.hold ? `${s.hold.reason} (${s.hold.author}${s.hold.until ? `, until ${s.hold.until}` : ''})` : '',
    ]),
  );
}

export function rolloutsTable(list: Rollout[], now: Date): string {
  if (!list.length) return 'No rollouts.';
  return table(
    ['ID', 'STARTED', 'TO', 'CAUSE', 'KIND', 'STATUS', 'BATCH'],
    list.map((r) => [r.id, ago(r.createdAt, now), revLabel({ revno: r.toRevno, sha: r.toSha }), r.cause, r.kind, r.status, `${Math.min(r.currentBatch + 1, r.batches)}/${r.batches}`]),
  );
}

export interface WaveProgress {
  wave: string;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  running: number;
  /** `1 running, 1 failed`, `done` or `waiting`, beside the bar's count. */
  state: string;
}

/** Deploys grouped by wave, in the order the rollout runs them (by batch, then name). */
export function waveProgress(deploys: Deploy[]): WaveProgress[] {
  const waves = new Map<string, { firstBatch: number; deploys: Deploy[] }>();
  for (const d of deploys) {
    const key = d.wave ?? 'default';
    const w = waves.get(key) ?? { firstBatch: d.batch, deploys: [] };
    w.firstBatch = Math.min(w.firstBatch, d.batch);
    w.deploys.push(d);
    waves.set(key, w);
  }
  return [...waves.entries()]
    .sort(([a, x], [b, y]) => x.firstBatch - y.firstBatch || a.localeCompare(b))
    .map(([wave, { deploys: ds }]) => {
      const count = (states: string[]) => ds.filter((d) => states.includes(d.status)).length;
      const succeeded = count(['succeeded']);
      const failed = count(['failed', 'rolled-back']);
      const running = count(['requested', 'started']);
      const done = count(FINISHED_DEPLOY_STATES);
      const parts = [running ? `${running} running` : null, failed ? `${failed} failed` : null].filter(Boolean);
      const state = parts.length ? parts.join(', ') : succeeded === ds.length ? 'done' : done === 0 ? 'waiting' : '';
      return { wave, total: ds.length, done, succeeded, failed, running, state };
    });
}

/** What a rollout that has ended says: its outcome, skipped servers and any failure. */
export function rolloutOutcome(r: Rollout): string {
  const lines = [`rollout ${r.id} to ${revLabel({ revno: r.toRevno, sha: r.toSha })}: ${r.status}`];
  for (const s of r.skipped) lines.push(`  skipped ${s.host}: ${s.reason}`);
  if (r.failure) lines.push(`  ${r.failure}`);
  if (r.deploys?.length) {
    lines.push(table(['HOST', 'WAVE', 'STATUS', 'OUTPUT'], r.deploys.map((d) => [d.host, d.wave ?? 'default', d.status, (d.outputTail ?? '').trim().split('\n').pop()])));
  }
  return lines.join('\n');
}

/** Which rollout `watch` follows when none is named: the newest unfinished one, else the newest. */
export function pickRollout(list: Rollout[]): Rollout | undefined {
  return list.find((r) => !isFinished(r)) ?? list[0];
}
