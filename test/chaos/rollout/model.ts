/**
 * What rollout must do, computed from what the runner did and from what the agents' own files
 * say, never from rollout's code: nothing here imports `apps/` or `libs/`. It holds the rules
 * of DESIGN.md's Rollout and Cowboys sections written afresh:
 *   - revisions are positions on `stable`: a first-parent revision stands at its revno, and a
 *     commit a merge brought stands at the merge's revno; revision R contains commit C when C
 *     stands at or below R (so a fix made on a merged branch is in every revision from the
 *     merge on, and a rollback to an older revision does not contain a later fix);
 *   - a held server, and a server with a `hold` cowboy whose fix the revision does not
 *     contain, is deployed by no deploy requested while that is so;
 *   - a cowboy is retired only when its server runs a revision containing its fix, when the
 *     scan that found it no longer does, or when an operator retires it;
 *   - servers converge: every registered, reachable, unheld server runs a revision containing
 *     its track's latest rolled-out revision, unless an operator pinned it since;
 *   - a revision runs everywhere at the first moment every registered, unheld production
 *     server runs a revision containing it, and not before.
 * Times are epoch milliseconds on this machine's clock, which rollout, its Postgres and the
 * agents share. An operator's action is known to be in force from the moment its answer came
 * back, and not before its request went out; in between it is "maybe", and no check blames
 * rollout for what happened then.
 */

// ── revisions as positions ───────────────────────────────────────────────────────────────────

export interface Revision {
  revno: number;
  sha: string;
  /** For a merge: the commits it brought from its branch. */
  brings: string[];
}

/** The first-parent history of `stable`, and where every commit first appears on it. */
export class Stable {
  readonly revisions: Revision[] = [];
  private readonly places = new Map<string, number>();
  private readonly firstParent = new Map<string, number>();

  land(r: Revision): void {
    if (r.revno !== this.tip + 1) throw new Error(`r${r.revno} lands on a stable whose tip is r${this.tip}`);
    for (const c of [r.sha, ...r.brings]) if (this.places.has(c)) throw new Error(`${c} is already on stable`);
    this.revisions.push({ revno: r.revno, sha: r.sha, brings: [...r.brings] });
    this.places.set(r.sha, r.revno);
    this.firstParent.set(r.sha, r.revno);
    for (const c of r.brings) this.places.set(c, r.revno);
  }

  get tip(): number {
    return this.revisions.length;
  }

  at(revno: number): Revision {
    const r = this.revisions[revno - 1];
    if (!r) throw new Error(`no r${revno} on stable (tip r${this.tip})`);
    return r;
  }

  /** The revno of a first-parent revision; null for anything else (a branch commit, an unknown sha). */
  revnoOf(sha: string | null | undefined): number | null {
    return sha ? (this.firstParent.get(sha) ?? null) : null;
  }

  /** The first revno whose revision contains `sha`; null when it has not landed. */
  placeOf(sha: string): number | null {
    return this.places.get(sha) ?? null;
  }

  /** Whether the revision `revision` (a first-parent sha) contains the commit `commit`, by ancestry. */
  contains(revision: string | null | undefined, commit: string): boolean {
    const r = this.revnoOf(revision);
    const p = this.placeOf(commit);
    return r !== null && p !== null && p <= r;
  }

  clone(): Stable {
    const s = new Stable();
    for (const r of this.revisions) s.land(r);
    return s;
  }
}

/** `r12 (abcdef1234)`, or the short sha of something not on stable. */
export function describeRevision(stable: Stable, sha: string | null | undefined): string {
  if (!sha) return 'nothing';
  const r = stable.revnoOf(sha);
  if (r !== null) return `r${r} (${sha.slice(0, 10)})`;
  const p = stable.placeOf(sha);
  return p !== null ? `${sha.slice(0, 10)} (brought by r${p})` : `${sha.slice(0, 10)} (not on stable)`;
}

// ── operators' actions in time ───────────────────────────────────────────────────────────────

/** An HTTP call: when its request went out and when its answer came back. */
export interface Timed {
  sentAt: number;
  answeredAt: number;
}

export type Tri = 'yes' | 'no' | 'maybe';

/** A hold on a server: from its PUT to its DELETE (null while it lasts). */
export interface HoldSpan {
  put: Timed;
  release: Timed | null;
}

/**
 * Whether a hold was in force at `t`: certainly from the PUT's answer until the DELETE went
 * out; maybe while either call was on its way.
 */
export function heldAt(spans: readonly HoldSpan[], t: number): Tri {
  let maybe = false;
  for (const s of spans) {
    if (s.put.answeredAt <= t && (s.release === null || t < s.release.sentAt)) return 'yes';
    if (s.put.sentAt <= t && t < s.put.answeredAt) maybe = true;
    if (s.release && s.release.sentAt <= t && t < s.release.answeredAt) maybe = true;
  }
  return maybe ? 'maybe' : 'no';
}

/**
 * Whether a hold was certainly in force all through [a, b]. A deploy is decided somewhere
 * between the moment rollout stamps as its request (Postgres's now(): the start of the
 * deciding transaction, which may see commits made after it) and the moment its agent ran it,
 * so only a hold in force all through that stretch certainly applied to the decision.
 */
export function heldThroughout(spans: readonly HoldSpan[], a: number, b: number): boolean {
  return spans.some((s) => s.put.answeredAt <= a && (s.release === null || b < s.release.sentAt));
}

/** Membership over time (registered, say): spans that start and may end, each end known by its call. */
export interface Span {
  from: Timed;
  to: Timed | null;
}

export function inSpans(spans: readonly Span[], t: number): Tri {
  let maybe = false;
  for (const s of spans) {
    if (s.from.answeredAt <= t && (s.to === null || t < s.to.sentAt)) return 'yes';
    if (s.from.sentAt <= t && t < s.from.answeredAt) maybe = true;
    if (s.to && s.to.sentAt <= t && t < s.to.answeredAt) maybe = true;
  }
  return maybe ? 'maybe' : 'no';
}

// ── cowboys ──────────────────────────────────────────────────────────────────────────────────

export type CowboyPolicy = 'hold' | 'carry';

/** One cowboy on one server, as the runner made it and as rollout said it ended. */
export interface CowboyLife {
  /** Rollout's id for it (null until known). */
  id: string | null;
  host: string;
  hash: string;
  policy: CowboyPolicy;
  origin: 'operator' | 'scan';
  /**
   * Operator: the POST. Scan: from writing the hash into the scan file to the first time
   * GET /cowboys listed it (only then is rollout known to have it).
   */
  recorded: Timed;
  /** Its fix over time: set when recorded, or later by PATCH. */
  fixes: { fixedBy: string; at: Timed }[];
  /** As rollout says. */
  retiredAt: number | null;
  retiredByRevision: string | null;
  retiredReason: string | null;
  /** DELETE /cowboys/{id}, if an operator retired it. */
  operatorRetire: Timed | null;
  /** When the runner took the hash out of the scan file. */
  scanRemovedAt: number | null;
}

/**
 * The fixes that may have been in force at `t`: the last one set before `t` for sure, and any
 * being set at `t`. `null` stands for "no fix".
 */
export function fixesAt(c: CowboyLife, t: number): (string | null)[] {
  let definite: string | null = null;
  const maybe: string[] = [];
  for (const f of c.fixes) {
    if (f.at.answeredAt <= t) definite = f.fixedBy;
    else if (f.at.sentAt <= t) maybe.push(f.fixedBy);
  }
  return [definite, ...maybe];
}

/** The fixes that may have been in force at some moment of [a, b]. */
export function fixesDuring(c: CowboyLife, a: number, b: number): (string | null)[] {
  return [...fixesAt(c, a), ...c.fixes.filter((f) => f.at.sentAt <= b && f.at.answeredAt > a).map((f) => f.fixedBy)];
}

/** Whether rollout certainly had the cowboy live at `t`. */
export function liveAt(c: CowboyLife, t: number): boolean {
  if (t < c.recorded.answeredAt) return false;
  if (c.retiredAt !== null && t >= c.retiredAt) return false;
  if (c.operatorRetire && t >= c.operatorRetire.sentAt) return false;
  return true;
}

/**
 * Why a deploy of `revision` to the cowboy's server, decided somewhere in [a, b] (see
 * heldThroughout), breaks the cowboy's `hold` (null: it does not). Only a cowboy certainly
 * live all through, none of whose possible fixes the revision contains, forbids it.
 */
export function cowboyForbids(stable: Stable, c: CowboyLife, revision: string, a: number, b = a): string | null {
  if (c.policy !== 'hold' || !liveAt(c, a) || !liveAt(c, b)) return null;
  const fixes = fixesDuring(c, a, b);
  if (fixes.some((f) => f !== null && stable.contains(revision, f))) return null;
  const fix = fixes[0];
  return `${c.origin === 'scan' ? 'scan-found' : 'hold'} cowboy ${c.hash} (${fix ? `fixed by ${describeRevision(stable, fix)}` : 'no fix'}) was live`;
}

// ── what a server ran, over time ─────────────────────────────────────────────────────────────

/**
 * A change of what a server runs, made somewhere in a window: a deploy (from when it finished,
 * by its agent's state, until rollout has surely heard it), or drift made while the agent was
 * down (until the agent registered again).
 */
export interface RunningChange {
  revision: string | null;
  /** When it may first have been so, and when it certainly was. */
  from: number;
  to: number;
  what: string;
}

/** What a server may have been running at `t`, given its changes (before any: nothing). */
export function runningAt(changes: readonly RunningChange[], t: number): (string | null)[] {
  let definite: RunningChange | null = null;
  const maybe: (string | null)[] = [];
  for (const c of changes) {
    if (c.to <= t) {
      if (!definite || c.to >= definite.to) definite = c;
    } else if (c.from <= t) maybe.push(c.revision);
  }
  return [definite ? definite.revision : null, ...maybe];
}

// ── check 1: holds ───────────────────────────────────────────────────────────────────────────

/** A deploy a server ran: from its agent's log (when it began), joined with rollout's record of it. */
export interface RanDeploy {
  id: string;
  host: string;
  revision: string;
  loggedAt: number;
  /** From GET /rollouts/{id}; null when rollout does not know the deploy. */
  requestedAt: number | null;
  rolloutId: string | null;
  cause: string | null;
}

export function heldDeploys(stable: Stable, ran: readonly RanDeploy[], holds: ReadonlyMap<string, readonly HoldSpan[]>, cowboys: readonly CowboyLife[]): string[] {
  const out: string[] = [];
  for (const d of ran) {
    if (d.requestedAt === null) continue;
    const what = `deploy ${d.id.slice(0, 8)} of ${describeRevision(stable, d.revision)} to ${d.host} (${d.cause ?? '?'} rollout, requested ${iso(d.requestedAt)})`;
    const decidedBy = Math.max(d.requestedAt, d.loggedAt);
    if (heldThroughout(holds.get(d.host) ?? [], d.requestedAt, decidedBy)) out.push(`${what} ran although ${d.host} was held`);
    for (const c of cowboys) {
      if (c.host !== d.host) continue;
      const why = cowboyForbids(stable, c, d.revision, d.requestedAt, decidedBy);
      if (why) out.push(`${what} ran although ${why}`);
    }
  }
  return out;
}

// ── check 2: retirements ─────────────────────────────────────────────────────────────────────

export type RetiredHow = 'fix' | 'scan' | 'operator';

/**
 * How each retired cowboy may have been retired, or why it should not have been. `changes`
 * gives, per server, what it ran; a deploy counts from when it was requested (rollout may
 * retire a cowboy when it sends the deploy that brings the fix) until its agent ran it.
 */
export function retirements(
  stable: Stable, cowboys: readonly CowboyLife[], changes: ReadonlyMap<string, readonly RunningChange[]>,
): { how: Map<CowboyLife, RetiredHow>; violations: string[] } {
  const how = new Map<CowboyLife, RetiredHow>();
  const violations: string[] = [];
  for (const c of cowboys) {
    if (c.retiredAt === null) continue;
    const t = c.retiredAt;
    const what = `cowboy ${c.hash} on ${c.host} (${c.origin}, ${c.policy})`;
    if (c.operatorRetire && c.operatorRetire.sentAt <= t) {
      how.set(c, 'operator');
      continue;
    }
    if (c.origin === 'scan' && c.scanRemovedAt !== null && c.scanRemovedAt <= t) {
      how.set(c, 'scan');
      if (!/scan/i.test(c.retiredReason ?? '')) violations.push(`${what} was retired once the scan stopped finding it, but its reason does not say so: ${JSON.stringify(c.retiredReason)}`);
      continue;
    }
    const fixes = fixesAt(c, t).filter((f): f is string => f !== null);
    if (fixes.length === 0) {
      violations.push(`${what} was retired at ${iso(t)} (${JSON.stringify(c.retiredReason)}) with no fix known, no operator retiring it${c.origin === 'scan' ? ' and the scan still finding it' : ''}`);
      continue;
    }
    const running = runningAt(changes.get(c.host) ?? [], t);
    if (!running.some((r) => fixes.some((f) => stable.contains(r, f)))) {
      violations.push(
        `${what} was retired at ${iso(t)} (${JSON.stringify(c.retiredReason)}) although ${c.host} ran ${running.map((r) => describeRevision(stable, r)).join(' or ')}, `
          + `which does not contain its fix ${fixes.map((f) => describeRevision(stable, f)).join(' or ')}`,
      );
      continue;
    }
    if (c.retiredByRevision !== null && !fixes.some((f) => stable.contains(c.retiredByRevision, f))) {
      violations.push(`${what} was retired by ${describeRevision(stable, c.retiredByRevision)}, which does not contain its fix ${fixes.map((f) => describeRevision(stable, f)).join(' or ')}`);
      continue;
    }
    how.set(c, 'fix');
  }
  return { how, violations };
}

// ── check 4: convergence ─────────────────────────────────────────────────────────────────────

export type Track = 'promoted' | 'qa-tip';

/** A rollout as the model needs it. */
export interface RolloutFact {
  id: string;
  cause: string;
  /** The servers it was for, when not a whole track (null: all of its track). */
  hosts: string[] | null;
  toSha: string;
  status: string;
  createdAt: number;
  finishedAt: number | null;
}

/**
 * A track's latest rolled-out revision: the newest (by finish) succeeded rollout of it; for
 * production, a promotion's or an operator's rollout to all of production.
 */
export function latestRolledOut(track: Track, rollouts: readonly RolloutFact[]): RolloutFact | null {
  let best: RolloutFact | null = null;
  for (const r of rollouts) {
    if (r.status !== 'succeeded' || r.finishedAt === null) continue;
    const counts = track === 'qa-tip' ? r.cause === 'qa-tip' : r.cause === 'promoted' || (r.cause === 'manual' && r.hosts === null);
    if (counts && (!best || r.finishedAt > best.finishedAt!)) best = r;
  }
  return best;
}

/** One server at a quiet moment: what the runner knows of it, and what its agent's state file says it runs. */
export interface ServerFact {
  host: string;
  track: Track;
  registered: boolean;
  alive: boolean;
  held: boolean;
  /** An operator's manual rollout put something on it since its track's target was rolled out. */
  pinned: boolean;
  /** Live `hold` cowboys whose fix the target does not contain. */
  blockingCowboys: string[];
  running: string | null;
}

export interface Divergence {
  host: string;
  expected: string;
  running: string | null;
}

/** The servers that must run a revision containing their track's target and do not. */
export function divergences(stable: Stable, targets: Readonly<Record<Track, string | null>>, servers: readonly ServerFact[]): Divergence[] {
  const out: Divergence[] = [];
  for (const s of servers) {
    const target = targets[s.track];
    if (!target || !mustConverge(s)) continue;
    if (!stable.contains(s.running, target)) out.push({ host: s.host, expected: target, running: s.running });
  }
  return out;
}

export function mustConverge(s: ServerFact): boolean {
  return s.registered && s.alive && !s.held && !s.pinned && s.blockingCowboys.length === 0;
}

// ── check 5: each deploy once; lead time ─────────────────────────────────────────────────────

export interface LogLine {
  host: string;
  at: number;
  deployId: string;
  kind: 'deploy' | 'rollback' | 'reapply';
  /** The revision (deploy, rollback) or the cowboy's hash (reapply). */
  value: string;
}

/** `<iso> <deploy id> <revision> deploy|rollback` or `<iso> <deploy id> reapply <hash>`. */
export function parseLogLine(host: string, line: string): LogLine | null {
  const p = line.trim().split(/\s+/);
  if (p.length < 4) return null;
  const at = Date.parse(p[0]);
  if (Number.isNaN(at)) return null;
  if (p[2] === 'reapply') return { host, at, deployId: p[1], kind: 'reapply', value: p[3] };
  if (p[3] === 'deploy' || p[3] === 'rollback') return { host, at, deployId: p[1], kind: p[3], value: p[2] };
  return null;
}

export function ranTwice(lines: readonly LogLine[]): string[] {
  const out: string[] = [];
  const seen = new Map<string, LogLine>();
  const rollbacks = new Map<string, number>();
  for (const l of lines) {
    if (l.kind === 'deploy') {
      const before = seen.get(l.deployId);
      if (before) out.push(`deploy ${l.deployId} ran twice: on ${before.host} at ${iso(before.at)} and on ${l.host} at ${iso(l.at)}`);
      else seen.set(l.deployId, l);
    } else if (l.kind === 'rollback') {
      const n = (rollbacks.get(l.deployId) ?? 0) + 1;
      rollbacks.set(l.deployId, n);
      if (n === 2) out.push(`deploy ${l.deployId} was rolled back twice on ${l.host}`);
    }
  }
  return out;
}

/** A production server's life, for lead time. */
export interface ProductionHistory {
  host: string;
  registered: readonly Span[];
  holds: readonly HoldSpan[];
  cowboys: readonly CowboyLife[];
  changes: readonly RunningChange[];
}

/**
 * Whether `revision` certainly did not run everywhere at `t`: a production server certainly
 * registered, certainly unheld (by an operator or a `hold` cowboy) and certainly not running a
 * revision containing it. Returns that server's story, or null.
 */
export function notEverywhereAt(stable: Stable, revision: string, t: number, servers: readonly ProductionHistory[]): string | null {
  for (const s of servers) {
    if (inSpans(s.registered, t) !== 'yes' || heldAt(s.holds, t) !== 'no') continue;
    if (s.cowboys.some((c) => c.policy === 'hold' && (c.recorded.sentAt <= t && (c.retiredAt === null || t < c.retiredAt)))) continue;
    const running = runningAt(s.changes, t);
    if (!running.some((r) => stable.contains(r, revision))) return `${s.host} ran ${running.map((r) => describeRevision(stable, r)).join(' or ')}`;
  }
  return null;
}

/**
 * Whether `revision` runs everywhere now: every registered production server without an
 * operator's hold runs (by its agent's state) a revision containing it, and there is one at
 * least (with every server held, whether a revision runs "everywhere" is left open).
 */
export function everywhereNow(stable: Stable, revision: string, servers: readonly { host: string; registered: boolean; held: boolean; running: string | null }[]): boolean {
  const counted = servers.filter((s) => s.registered && !s.held);
  return counted.length > 0 && counted.every((s) => stable.contains(s.running, revision));
}

export function iso(t: number): string {
  return new Date(t).toISOString();
}
