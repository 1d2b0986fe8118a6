/**
 * Containment by ancestry, without git. Rollout never reads the repository; the events it
 * consumes say where each revision stands, and these pure functions answer from that:
 *
 *   - a commit's place is the first revision of the QA branch that contains it: its own revno
 *     for a first-parent commit, the merge's for a commit a merge brought;
 *   - a deploy target's content is the QA branch up to a revno, plus the security fixes it
 *     carries (production-stable carries fixes stable may not have yet).
 *
 * A target contains a commit when the commit's place is at or below the target's revno, or the
 * commit is one of the fixes the target carries. Unknown means no: a cowboy then holds, and a
 * revision is not counted as running.
 */

/** What a deploy target contains: the QA branch up to `stableRevno`, and the security fixes it carries. */
export interface Content {
  stableRevno: number | null;
  fixes: readonly string[];
}

/** Where a commit first appears on the QA branch (null: not there yet, or not known). */
export interface Place {
  sha: string;
  firstStableRevno: number | null;
}

/** Two names of one commit, either possibly abbreviated (seven hex digits at least). */
export function sameSha(a: string, b: string): boolean {
  if (a.length < 7 || b.length < 7) return a === b;
  return a.startsWith(b) || b.startsWith(a);
}

/** Whether a target with `content` contains the commit at `place`. */
export function contains(content: Content | null, place: Place | null): boolean {
  if (!content || !place) return false;
  if (place.firstStableRevno !== null && content.stableRevno !== null && place.firstStableRevno <= content.stableRevno) return true;
  return content.fixes.some((f) => sameSha(f, place.sha));
}

/**
 * Whether a server running `running` already has everything `wanted` has: the same commit, or
 * a target at least as far along the QA branch carrying every fix `wanted` carries.
 */
export function covers(running: { sha: string | null; content: Content | null }, wanted: { sha: string; content: Content | null }): boolean {
  if (running.sha && sameSha(running.sha, wanted.sha)) return true;
  const r = running.content;
  const w = wanted.content;
  if (!r || !w || r.stableRevno === null || w.stableRevno === null || w.stableRevno > r.stableRevno) return false;
  return w.fixes.every((f) => r.fixes.some((g) => sameSha(f, g)));
}
