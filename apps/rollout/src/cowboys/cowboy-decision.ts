/**
 * What to do with a server's cowboys before deploying a revision to it, as a pure function.
 * A cowboy whose fix the revision contains is retired once the deploy succeeds; otherwise its
 * policy decides: `hold` keeps the server out of the rollout (and says why), `carry` deploys
 * and has the agent re-apply the patch.
 */
export interface LiveCowboy {
  patchHash: string;
  reason: string | null;
  policy: 'hold' | 'carry';
  fixedBy: string | null;
}

export interface CowboyDecision {
  /** Why the server must be skipped, if a `hold` cowboy is not fixed by the revision. */
  holdBecause: string | null;
  carry: string[];
  retire: string[];
}

export function decideCowboys(cowboys: LiveCowboy[], isFixed: (fixedBy: string) => boolean): CowboyDecision {
  const out: CowboyDecision = { holdBecause: null, carry: [], retire: [] };
  const holding: string[] = [];
  for (const c of cowboys) {
    if (c.fixedBy && isFixed(c.fixedBy)) out.retire.push(c.patchHash);
    else if (c.policy === 'carry') out.carry.push(c.patchHash);
    else {
      const why = c.reason ? `: ${c.reason}` : '';
      holding.push(`cowboy ${c.patchHash.slice(0, 12)}${why} (${c.fixedBy ? `waits for its fix ${c.fixedBy.slice(0, 10)}` : 'no fix known yet'})`);
    }
  }
  if (holding.length) out.holdBecause = holding.join('; ');
  return out;
}
