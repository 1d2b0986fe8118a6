/**
 * Lead time per stage over time (landed → QA passed → promoted → on every production server),
 * charted with chart.js, with p50 and p90 of each stage as a table, and each revision, which a
 * click on the chart or its row opens.
 */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { LeadTime as LeadTimeAnswer, LeadTimeStage as Stage } from '@runway/contracts/http';
import { duration, revisionPath, shortSha, when } from '../format';
import { useResource } from '../live';
import { navigate } from '../router';
import { Empty, Loading, Problem, RevisionLink, Section } from '../ui';

Chart.register(LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip, Title);


const STAGES: { key: Stage; label: string; colour: string }[] = [
  { key: 'landedToQaPassed', label: 'Landed → QA passed', colour: '#b45309' },
  { key: 'qaPassedToPromoted', label: 'QA passed → promoted', colour: '#7c3aed' },
  { key: 'promotedToDeployed', label: 'Promoted → deployed', colour: '#0369a1' },
  { key: 'landedToDeployed', label: 'Landed → deployed (total)', colour: '#15803d' },
];
const DAYS = [1, 7, 30, 90];
const CHANGES = ['qa-passed', 'promoted', 'deploy-reported'];

function unitFor(maxSeconds: number): { name: string; div: number } {
  if (maxSeconds >= 2 * 86400) return { name: 'days', div: 86400 };
  if (maxSeconds >= 2 * 3600) return { name: 'hours', div: 3600 };
  if (maxSeconds >= 120) return { name: 'minutes', div: 60 };
  return { name: 'seconds', div: 1 };
}

export function LeadTime() {
  const [days, setDays] = useState(30);
  // Whole minutes, so the address (and the fetch) stays the same between renders.
  const since = useMemo(() => new Date(Math.floor((Date.now() - days * 86400_000) / 60_000) * 60_000).toISOString(), [days]);
  const lead = useResource<LeadTimeAnswer>('rollout', `/lead-time?since=${encodeURIComponent(since)}`, CHANGES);
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line'> | null>(null);
  const rows = useMemo(
    () => [...(lead.data?.revisions ?? [])].filter((r) => r.landedAt).sort((a, b) => Date.parse(a.landedAt!) - Date.parse(b.landedAt!)),
    [lead.data],
  );
  // The chart is made once; its click handler reads the revisions drawn now.
  const drawn = useRef(rows);
  drawn.current = rows;
  const max = Math.max(0, ...rows.flatMap((r) => STAGES.map((s) => r.seconds[s.key] ?? 0)));
  const unit = unitFor(max);

  useEffect(() => {
    if (!canvas.current) return;
    const labels = rows.map((r) => (r.revno ? `r${r.revno}` : shortSha(r.sha)));
    const datasets = STAGES.map((s) => ({
      label: s.label,
      data: rows.map((r) => (r.seconds[s.key] === null ? null : Number((r.seconds[s.key]! / unit.div).toFixed(2)))),
      borderColor: s.colour,
      backgroundColor: s.colour,
      spanGaps: true,
      tension: 0.2,
    }));
    if (!chart.current) {
      chart.current = new Chart(canvas.current, {
        type: 'line',
        data: { labels, datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: 'index', intersect: false },
          onClick: (_e, elements) => {
            const r = elements.length ? drawn.current[elements[0].index] : undefined;
            const to = r && revisionPath(r);
            if (to) navigate(to);
          },
          scales: {
            x: { title: { display: true, text: 'revision, by landing time' } },
            y: { beginAtZero: true, title: { display: true, text: unit.name } },
          },
          plugins: { legend: { position: 'bottom' } },
        },
      });
    } else {
      chart.current.data.labels = labels;
      chart.current.data.datasets = datasets;
      const y = chart.current.options.scales?.y as { title?: { text?: string } } | undefined;
      if (y?.title) y.title.text = unit.name;
      chart.current.update();
    }
  }, [rows, unit.name, unit.div]);
  useEffect(() => () => chart.current?.destroy(), []);

  const stages = lead.data?.stages;
  return (
    <>
      <h1>Lead time</h1>
      <div className="inline-form">
        <label>
          Revisions landed in the last
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {DAYS.map((d) => (
              <option key={d} value={d}>
                {d === 1 ? 'day' : `${d} days`}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Problem message={lead.error} />
      {!lead.data && !lead.error && <Loading what="lead times" />}
      <Section title="Per stage, over time">
        {lead.data && rows.length === 0 && <Empty>No revision landed in this period.</Empty>}
        <div className="chart" hidden={rows.length === 0}>
          <canvas
            ref={canvas}
            role="img"
            aria-label={`Lead time in ${unit.name} of each stage for ${rows.length} revisions; the table below gives p50 and p90`}
            data-testid="lead-time-chart"
          />
        </div>
      </Section>
      {stages && (
        <Section title="Percentiles">
          <table>
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Revisions</th>
                <th scope="col">p50</th>
                <th scope="col">p90</th>
              </tr>
            </thead>
            <tbody>
              {STAGES.map((s) => (
                <tr key={s.key} data-stage={s.key}>
                  <th scope="row">{s.label}</th>
                  <td>{stages[s.key].count}</td>
                  <td>{duration(stages[s.key].p50Seconds)}</td>
                  <td>{duration(stages[s.key].p90Seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length > 0 && (
            <p className="muted small">
              From <RevisionLink rev={rows[0]}>r{rows[0].revno ?? '?'}</RevisionLink> (landed {when(rows[0].landedAt)}) to{' '}
              <RevisionLink rev={rows[rows.length - 1]}>r{rows[rows.length - 1].revno ?? '?'}</RevisionLink>.
            </p>
          )}
        </Section>
      )}
      {rows.length > 0 && (
        <Section title="Each revision">
          <details>
            <summary>{rows.length} revisions, newest first</summary>
            <table>
              <thead>
                <tr>
                  <th scope="col">Revision</th>
                  <th scope="col">Landed</th>
                  {STAGES.map((s) => (
                    <th key={s.key} scope="col">
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {[...rows].reverse().map((r) => (
                  <tr key={r.sha}>
                    <th scope="row">
                      <RevisionLink rev={r} />
                    </th>
                    <td>{when(r.landedAt)}</td>
                    {STAGES.map((s) => (
                      <td key={s.key}>{duration(r.seconds[s.key])}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </Section>
      )}
    </>
  );
}
