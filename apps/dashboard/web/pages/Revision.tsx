/**
 * One revision's story, as the trail tells it: the revision (its sha, message, author and the
 * build that covered it), its lead time per stage, the servers its story touched, and every
 * step from landing to running everywhere, each with who acted and why.
 */
import type { Story, StoryStage } from '@runway/contracts/http';
import { duration, revisionLabel, shortSha, when, whoActed } from '../format';
import { useResource } from '../live';
import { Link } from '../router';
import { Empty, Loading, Problem, RevisionLink, Section } from '../ui';

/** Every event may add a step to a story: the trail keeps them all. */
const CHANGES = [
  'revision-landed', 'qa-status-changed', 'qa-passed', 'approval-withdrawn', 'production-qa-changed', 'qa-tip-moved', 'promoted', 'promotion-held',
  'deploy-requested', 'deploy-reported', 'rollout-changed', 'server-changed', 'running-everywhere', 'cowboy-applied', 'cowboy-removed', 'flag-changed',
];
/** The trail writes what it receives in batches: ask again once it has. */
const SETTLE = { followUpMs: 1500 };

const STAGE_TEXT: Record<StoryStage, string> = {
  landed: 'landed',
  qa: 'QA',
  'qa-passed': 'QA passed',
  promoted: 'promoted',
  rollout: 'rollout',
  deploy: 'deploy',
  server: 'server',
  cowboy: 'cowboy',
  flag: 'flag',
  everywhere: 'running everywhere',
  other: 'other',
};

/** Each stage of its lead time, and the moment that ends it. */
const LEAD_STAGES: { key: keyof Story['leadTime']; label: string; to: keyof Story['times'] }[] = [
  { key: 'landedToQaPassed', label: 'Landed → QA passed', to: 'qaPassed' },
  { key: 'qaPassedToPromoted', label: 'QA passed → promoted', to: 'promoted' },
  { key: 'promotedToEverywhere', label: 'Promoted → running everywhere', to: 'runningEverywhere' },
  { key: 'total', label: 'Total', to: 'runningEverywhere' },
];

/** A deploy's output, when the step is an agent's report that carries it. */
function outputOf(event: unknown): string | null {
  const data = (event as { data?: { outputTail?: unknown } } | null)?.data;
  return typeof data?.outputTail === 'string' && data.outputTail ? data.outputTail : null;
}

export function Revision({ revision }: { revision: string }) {
  const story = useResource<Story>('trail', `/story/${encodeURIComponent(revision)}`, CHANGES, SETTLE);
  const s = story.data;
  if (!s) {
    return (
      <>
        <h1>Revision {revision}</h1>
        {story.errorStatus === 404 ? (
          <p className="problem" role="alert" data-testid="revision-unknown">
            The trail knows no revision {revision}. It may not have landed yet (this page shows it as soon as it does), or the trail's
            retention has removed it.
          </p>
        ) : (
          <Problem message={story.error} />
        )}
        {!story.error && <Loading what={`the story of ${revision}`} />}
      </>
    );
  }
  const r = s.revision;
  const hosts = [...new Set(s.steps.flatMap((x) => x.hosts))].sort();
  return (
    <>
      <h1>Revision {revisionLabel({ revno: r.revno, sha: r.sha })}</h1>
      <Problem message={story.error} />
      <dl className="facts" aria-label="The revision">
        <div>
          <dt>sha</dt>
          <dd>
            <code>{r.sha}</code>
          </dd>
        </div>
        <div>
          <dt>Branch</dt>
          <dd>{r.branch ?? '—'}</dd>
        </div>
        <div>
          <dt>Author</dt>
          <dd>{r.author ?? '—'}</dd>
        </div>
        <div data-testid="revision-build">
          <dt>Build</dt>
          <dd>
            {r.buildUrl && /^https?:\/\//.test(r.buildUrl) ? <a href={r.buildUrl}>{r.buildUrl}</a> : (r.buildUrl ?? '—')}
            {r.landedWith && r.landedWith !== r.sha && (
              <div className="muted small">
                landed with <RevisionLink rev={{ sha: r.landedWith }}>{shortSha(r.landedWith)}</RevisionLink>: buildbot's build covered several
                commits
              </div>
            )}
          </dd>
        </div>
      </dl>
      {r.message && <pre className="message">{r.message}</pre>}
      <Section title="Lead time">
        <table data-testid="revision-lead-time">
          <thead>
            <tr>
              <th scope="col">Stage</th>
              <th scope="col">Took</th>
              <th scope="col">Reached</th>
            </tr>
          </thead>
          <tbody>
            {LEAD_STAGES.map((l) => (
              <tr key={l.key} data-stage={l.key}>
                <th scope="row">{l.label}</th>
                <td>{s.leadTime[l.key] === null ? (s.times[l.to] ? '—' : 'not yet') : duration(s.leadTime[l.key])}</td>
                <td>{when(s.times[l.to])}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!s.times.landed && <p className="muted small">The trail has no landing for it: it came with another revision's build, or before the trail began.</p>}
      </Section>
      <Section title="Servers">
        {hosts.length === 0 ? (
          <Empty>Its story has touched no server yet.</Empty>
        ) : (
          <ul className="legend" aria-label="Servers in its story">
            {hosts.map((h) => (
              <li key={h}>
                <Link to={`/servers/${encodeURIComponent(h)}/trail`}>{h}</Link>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Story">
        {s.steps.length === 0 ? (
          <Empty>Nothing recorded yet.</Empty>
        ) : (
          <table data-testid="story">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Stage</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {s.steps.map((x) => {
                const output = outputOf(x.event);
                return (
                  <tr key={x.id} data-stage={x.stage} data-type={x.type}>
                    <td className="nowrap">{when(x.time)}</td>
                    <td>{STAGE_TEXT[x.stage]}</td>
                    <td>{whoActed(x.actor)}</td>
                    <td>
                      {x.summary}
                      {output && (
                        <details>
                          <summary className="small">output</summary>
                          <pre className="tail">{output}</pre>
                        </details>
                      )}
                    </td>
                    <td>{x.reason ?? ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}
