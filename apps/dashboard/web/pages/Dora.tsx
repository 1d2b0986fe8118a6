/**
 * DORA's four keys for production, as the trail computes them over the last 7, 30 or 90 days:
 * deployment frequency (with deployments per day charted by chart.js), lead time for changes,
 * change failure rate and time to restore, each with the rollouts and revisions behind it.
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Dora as DoraAnswer } from '@runway/contracts/http';
import { duration, when } from '../format';
import { useResource } from '../live';
import { Empty, Loading, Problem, RevisionLink, Section } from '../ui';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const DAYS = [7, 30, 90];
/** What moves a figure: a rollout ending, a revision running everywhere, a revision marked bad, a cowboy. */
const CHANGES = ['rollout-changed', 'running-everywhere', 'qa-status-changed', 'cowboy-applied'];
/** The trail writes what it receives in batches: ask again once it has. */
const SETTLE = { followUpMs: 1500 };

const WHY_TEXT: Record<DoraAnswer['changeFailureRate']['failures'][number]['why'], string> = {
  failed: 'the rollout failed',
  'rolled-back': 'rolled back',
  'bad-revision': 'QA marked a revision it shipped bad',
  cowboy: 'a cowboy was applied before the next deployment',
};

/** Every UTC day of the window, with its deployments: the trail names only the days that had some. */
function everyDay(d: DoraAnswer): { day: string; deployments: number }[] {
  const counted = new Map(d.deploymentFrequency.days.map((x) => [x.day, x.deployments]));
  const out: { day: string; deployments: number }[] = [];
  const until = Date.parse(d.until);
  for (let t = Date.parse(`${d.since.slice(0, 10)}T00:00:00Z`); t < until; t += 86400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push({ day, deployments: counted.get(day) ?? 0 });
  }
  return out;
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

export function Dora() {
  const [days, setDays] = useState(30);
  // Whole minutes, so the address (and the fetch) stays the same between renders.
  const since = useMemo(() => new Date(Math.floor((Date.now() - days * 86400_000) / 60_000) * 60_000).toISOString(), [days]);
  const dora = useResource<DoraAnswer>('trail', `/dora?since=${encodeURIComponent(since)}`, CHANGES, SETTLE);
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'> | null>(null);
  const d = dora.data;
  const perDay = useMemo(() => (d ? everyDay(d) : undefined), [d]);

  useEffect(() => {
    if (!canvas.current || !perDay) return;
    const labels = perDay.map((x) => x.day);
    const data = perDay.map((x) => x.deployments);
    if (!chart.current) {
      chart.current = new Chart(canvas.current, {
        type: 'bar',
        data: { labels, datasets: [{ label: 'Deployments', data, backgroundColor: '#0369a1', maxBarThickness: 28 }] },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'deployments' } } },
          plugins: { legend: { display: false } },
        },
      });
    } else {
      chart.current.data.labels = labels;
      chart.current.data.datasets[0].data = data;
      chart.current.update();
    }
  }, [perDay]);
  useEffect(() => () => chart.current?.destroy(), []);

  return (
    <>
      <h1>DORA</h1>
      <div className="inline-form">
        <label>
          Production over the last
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {DAYS.map((n) => (
              <option key={n} value={n}>
                {n} days
              </option>
            ))}
          </select>
        </label>
      </div>
      <Problem message={dora.error} />
      {!d && !dora.error && <Loading what="DORA's four keys" />}
      {d && (
        <dl className="facts" aria-label="DORA's four keys">
          <div data-testid="dora-deployment-frequency">
            <dt>Deployment frequency</dt>
            <dd>
              {d.deploymentFrequency.deployments} deployment{d.deploymentFrequency.deployments === 1 ? '' : 's'}, {d.deploymentFrequency.perDay.toFixed(2)} a day
            </dd>
          </div>
          <div data-testid="dora-lead-time">
            <dt>Lead time for changes</dt>
            <dd>
              p50 {duration(d.leadTimeForChanges.p50)}, p90 {duration(d.leadTimeForChanges.p90)}
            </dd>
          </div>
          <div data-testid="dora-change-failure-rate">
            <dt>Change failure rate</dt>
            <dd>
              {percent(d.changeFailureRate.rate)} ({d.changeFailureRate.failed} of {d.changeFailureRate.changes} changes)
            </dd>
          </div>
          <div data-testid="dora-time-to-restore">
            <dt>Time to restore</dt>
            <dd>
              p50 {duration(d.timeToRestore.p50)}, p90 {duration(d.timeToRestore.p90)}
            </dd>
          </div>
        </dl>
      )}
      <Section title="Deployments per day">
        {d && d.deploymentFrequency.deployments === 0 && <Empty>No production rollout brought anything new in this period.</Empty>}
        <div className="chart chart-small" hidden={!d}>
          <canvas ref={canvas} role="img" aria-label={`Production deployments per day over the last ${days} days; the list below names each`} data-testid="dora-chart" />
        </div>
        {d && d.deploymentFrequency.rollouts.length > 0 && (
          <table data-testid="dora-deployments">
            <thead>
              <tr>
                <th scope="col">Finished</th>
                <th scope="col">Revision</th>
                <th scope="col">Rollout</th>
              </tr>
            </thead>
            <tbody>
              {d.deploymentFrequency.rollouts.map((r) => (
                <tr key={r.rolloutId}>
                  <td>{when(r.finishedAt)}</td>
                  <td>
                    <RevisionLink rev={{ revno: r.revno, sha: r.revision }} />
                  </td>
                  <td>
                    <code>{r.rolloutId.slice(0, 8)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      {d && (
        <>
          <Section title="Lead time for changes">
            <p className="small muted">From landing to running on every production server, for each revision that got there in this period.</p>
            {d.leadTimeForChanges.revisions.length === 0 ? (
              <Empty>No revision started running everywhere in this period.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Revision</th>
                    <th scope="col">Landed</th>
                    <th scope="col">Running everywhere</th>
                    <th scope="col">Lead time</th>
                  </tr>
                </thead>
                <tbody>
                  {d.leadTimeForChanges.revisions.map((r) => (
                    <tr key={r.sha}>
                      <td>
                        <RevisionLink rev={r} />
                      </td>
                      <td>{when(r.landedAt)}</td>
                      <td>{when(r.everywhereAt)}</td>
                      <td>{duration(r.seconds)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Change failures">
            {d.changeFailureRate.failures.length === 0 ? (
              <Empty>No change failed in this period.</Empty>
            ) : (
              <table data-testid="dora-failures">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Revision</th>
                    <th scope="col">Why</th>
                    <th scope="col">Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {d.changeFailureRate.failures.map((f, i) => (
                    <tr key={`${f.rolloutId}-${i}`} data-why={f.why}>
                      <td>{when(f.at)}</td>
                      <td>
                        <RevisionLink rev={{ revno: f.revno, sha: f.revision }} />
                      </td>
                      <td>{WHY_TEXT[f.why]}</td>
                      <td>{f.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Restorations">
            {d.timeToRestore.restorations.length === 0 ? (
              <Empty>Nothing to restore in this period.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Failed</th>
                    <th scope="col">Restored</th>
                    <th scope="col">Took</th>
                    <th scope="col">Restored by</th>
                  </tr>
                </thead>
                <tbody>
                  {d.timeToRestore.restorations.map((r) => (
                    <tr key={r.rolloutId}>
                      <td>{when(r.failedAt)}</td>
                      <td>{r.restoredAt ? when(r.restoredAt) : 'not yet'}</td>
                      <td>{duration(r.seconds)}</td>
                      <td>{r.restoredBy ? <RevisionLink rev={{ sha: r.restoredBy }} /> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
        </>
      )}
    </>
  );
}
