/**
 * The alarm both the Pipeline and Production pages raise when production runs a revision QA
 * marked bad with no passing fix in production: each revision, why, and who must act (land a
 * fix, test it, or promote it or roll back). qa-gate decides it; promotion keeps a copy with
 * the time it started.
 */
import type { ProductionRunsBad } from '@runway/contracts/http';
import { actorLabel, ageSeconds, duration, shortSha } from './format';
import { RevisionLink } from './ui';

/** As `GET /deployable` (qa-gate) answers it; `GET /status` (promotion) adds when it started. */
type Alarm = ProductionRunsBad & { since?: string | null };

export function ProductionRunsBadAlert({ bad, now }: { bad: Alarm; now: number }) {
  const since = ageSeconds(bad.since, now);
  return (
    <section className="card alarm" aria-labelledby="production-runs-bad-heading" data-testid="production-runs-bad">
      <h2 id="production-runs-bad-heading">Production runs a bad revision</h2>
      {since !== null && <p className="small">For {duration(since)}.</p>}
      <ul className="plain">
        {bad.revisions.map((r) => (
          <li key={r.sha} data-revno={r.revno}>
            <strong>
              <RevisionLink rev={r}>
                r{r.revno} <code>{shortSha(r.sha)}</code>
              </RevisionLink>
            </strong>
            : {r.reason}.
            {r.fixedByRevno ? (
              <>
                {' '}
                Fix: <RevisionLink rev={{ revno: r.fixedByRevno }}>r{r.fixedByRevno}</RevisionLink>.
              </>
            ) : null}{' '}
            <span className="who">Who must act: {actorLabel(r.actor)}.</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
