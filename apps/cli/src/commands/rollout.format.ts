/** How rollout's answers look to people, and how a rollout's deploys group into waves. */
import type { Cowboy, Deploy, DeployState, Rollout, RolloutState, Server } from '@runway/contracts';
import { ago, duration, firstLine, revLabel, shortSha, table } from '../output';

/** A rollout, with its deploys when the answer has them (`GET /rollouts/{id}`). */
type RolloutWithDeploys = Rollout & { deploys?: Deploy[] };

/** A rollout in one of these states changes no more. */
export const FINISHED_ROLLOUT_STATES: readonly RolloutState[] = ['succeeded', 'failed', 'no-servers', 'superseded', 'cancelled'];
/** A deploy in one of these states is over. */
export const FINISHED_DEPLOY_STATES: readonly DeployState[] = ['succeeded', 'failed', 'rolled-back', 'cancelled', 'skipped'];

export function isFinished(r: Pick<Rollout, 'status'>): boolean {
  return FINISHED_ROLLOUT_STATES.includes(r.status);
}

/** `due in 19m`, or `overdue 12s` once the deadline has passed and rollout has not failed it yet. */
export function deadlineLabel(deadlineAt: string | null | undefined, now: Date): string {
  if (!deadlineAt) return '';
  const left = (new Date(deadlineAt).getTime() - now.getTime()) / 1000;
  if (Number.isNaN(left)) return '';
  return left >= 0 ? `due in ${duration(left)}` : `overdue ${duration(-left)}`;
}

function serverState(s: Server): string {
  const up = s.deregisteredAt ? 'deregistered' : s.reachable ? 'up' : 'unreachable';
  return s.drift ? `${up}, drifted` : up;
}

/** Cowboys that hold their server out of rollouts: applied, with the `hold` policy. */
function holdingCowboys(host: string, cowboys: readonly Cowboy[]): Cowboy[] {
  return cowboys.filter((c) => c.host === host && c.status === 'applied' && c.policy === 'hold');
}

/** What holds a server: an operator's hold, and each hold cowboy with the fix that releases it. */
function holdLabel(s: Server, cowboys: readonly Cowboy[]): string {
  const parts = s.hold ? [`${s.hold.reason} (${s.hold.author}${s.hold.until ? `, until ${s.hold.until}` : ''})`] : [];
  for (const c of holdingCowboys(s.host, cowboys)) {
    parts.push(`cowboy ${c.patchHash.slice(0, 10)}${c.fixedBy ? ` until ${shortSha(c.fixedBy)} runs` : ', no fix named'}`);
  }
  return parts.join('; ');
}

/** Why a drifted server is not caught up yet, if something stops it. */
function catchUpWait(s: Server, cowboys: readonly Cowboy[]): string {
  if (s.deregisteredAt) return '';
  if (s.hold) return ' once its hold ends';
  if (holdingCowboys(s.host, cowboys).length) return ' once its cowboy\'s fix runs there';
  if (!s.reachable) return ' once it is reachable';
  return '';
}

/**
 * Servers as a table, then a line for each that drifted or was deregistered. `cowboys` (the
 * applied ones) shows the servers a hold cowboy keeps out of rollouts beside operators' holds.
 */
export function serversTable(servers: Server[], now: Date, cowboys: readonly Cowboy[] = []): string {
  if (!servers.length) return 'No servers: no agent has registered yet.';
  const rows = table(
    ['HOST', 'ENV', 'WAVE', 'RUNNING', 'DESIRED', 'HEARTBEAT', 'STATE', 'DEPLOYING', 'HOLD'],
    servers.map((s) => [
      s.host, s.environment, s.wave ?? s.environment, shortSha(s.runningRevision), shortSha(s.desiredRevision),
      s.heartbeatAgeSeconds === null ? 'never' : `${duration(s.heartbeatAgeSeconds)} ago`,
      serverState(s),
      s.deploying ? `${shortSha(s.deploying.revision)} ${s.deploying.status}${s.deploying.deadlineAt ? `, ${deadlineLabel(s.deploying.deadlineAt, now)}` : ''}` : '',
      holdLabel(s, cowboys),
    ]),
  );
  const notes: string[] = [];
  for (const s of servers) {
    if (s.drift) {
      const since = s.drift.since ? ` ${ago(s.drift.since, now)}` : '';
      const heal = s.desiredRevision ? `; a catch-up rollout puts ${shortSha(s.desiredRevision)} back${catchUpWait(s, cowboys)}` : '';
      notes.push(`${s.host} drifted${since}: runs ${shortSha(s.drift.running)}, Runway put ${shortSha(s.drift.expected)} there${heal}`);
    }
    if (s.deregisteredAt) {
      notes.push(`${s.host} deregistered${s.deregisteredBy ? ` by ${s.deregisteredBy}` : ''} ${ago(s.deregisteredAt, now)}: in no rollout until its agent registers again`);
    }
  }
  return notes.length ? `${rows}\n\n${notes.join('\n')}` : rows;
}

/** Whom a rollout is for: its servers, or its whole track. */
export function rolloutTarget(r: Pick<Rollout, 'hosts' | 'track' | 'cause'>): string {
  if (r.hosts?.length) return r.hosts.length > 3 ? `${r.hosts.slice(0, 3).join(', ')} +${r.hosts.length - 3}` : r.hosts.join(', ');
  return (r.track ?? r.cause) === 'qa-tip' ? 'QA servers' : 'production';
}

/** What a rollout's list row says beside its status: who cancelled it and why, why it failed, who paused it. */
function rolloutNote(r: Rollout): string {
  if (r.failure) {
    // The first line names the server (or who cancelled, and why); a deploy's output ends with what went wrong.
    const lines = r.failure.split('\n').map((l) => l.trim()).filter(Boolean);
    return firstLine(lines.length > 1 ? `${lines[0]} (${lines[lines.length - 1]})` : r.failure, 100);
  }
  if (r.status === 'paused' && r.pausedBy) return `paused by ${r.pausedBy}`;
  if (r.skipped.length) return `skipped ${r.skipped.map((s) => s.host).join(', ')}`;
  return '';
}

export function rolloutsTable(list: Rollout[], now: Date): string {
  if (!list.length) return 'No rollouts.';
  return table(
    ['ID', 'STARTED', 'TO', 'CAUSE', 'FOR', 'KIND', 'STATUS', 'BATCH', 'NOTE'],
    list.map((r) => [
      r.id, ago(r.createdAt, now), revLabel({ revno: r.toRevno, sha: r.toSha }), r.cause, rolloutTarget(r), r.kind, r.status,
      `${Math.min(r.currentBatch + 1, r.batches)}/${r.batches}`, rolloutNote(r),
    ]),
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
      const count = (states: readonly DeployState[]) => ds.filter((d) => states.includes(d.status)).length;
      const succeeded = count(['succeeded']);
      const failed = count(['failed', 'rolled-back']);
      const running = count(['requested', 'started']);
      const skipped = count(['skipped', 'cancelled']);
      const done = count(FINISHED_DEPLOY_STATES);
      const parts = [running ? `${running} running` : null, failed ? `${failed} failed` : null, skipped ? `${skipped} not deployed` : null].filter(Boolean);
      const state = parts.length ? parts.join(', ') : succeeded === ds.length ? 'done' : done === 0 ? 'waiting' : '';
      return { wave, total: ds.length, done, succeeded, failed, running, state };
    });
}

/** What a catch-up rollout is for, in words. */
export const CATCH_UP_MEANING = 'servers released from a hold, back after an outage, newly registered, or drifted from what Runway put there';

/**
 * What a rollout says: its outcome, what it is for, skipped servers, any failure (a cancel says
 * who and why), and each deploy with its deadline while it runs.
 */
export function rolloutOutcome(r: RolloutWithDeploys, now: Date = new Date()): string {
  const lines = [`rollout ${r.id} to ${revLabel({ revno: r.toRevno, sha: r.toSha })}: ${r.status}`];
  if (r.cause === 'catch-up') lines.push(`  catch-up for ${rolloutTarget(r)}: ${CATCH_UP_MEANING}`);
  else if (r.hosts?.length) lines.push(`  ${r.cause} for ${rolloutTarget(r)}`);
  for (const s of r.skipped) lines.push(`  skipped ${s.host}: ${s.reason}`);
  if (r.failure) lines.push(`  ${r.failure}`);
  if (r.deploys?.length) {
    lines.push(table(
      ['HOST', 'WAVE', 'STATUS', 'DEADLINE', 'OUTPUT'],
      r.deploys.map((d) => [d.host, d.wave ?? 'default', d.status, deadlineLabel(d.deadlineAt, now), (d.outputTail ?? '').trim().split('\n').pop()]),
    ));
  }
  return lines.join('\n');
}

/** Which rollout `watch` follows when none is named: the newest unfinished one, else the newest. */
export function pickRollout(list: Rollout[]): Rollout | undefined {
  return list.find((r) => !isFinished(r)) ?? list[0];
}
