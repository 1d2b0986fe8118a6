/**
 * Everything the trail holds about one server, newest first: its registration, holds, deploys
 * and their outcomes, cowboys, and the rollouts that reached it, each with who acted and why.
 * Older entries come a page at a time.
 */
import { useEffect, useState } from 'react';
import type { TrailEntry, TrailPage } from '@runway/contracts/http';
import { api } from '../api';
import { when, whoActed } from '../format';
import { useResource } from '../live';
import { Empty, Loading, Problem, RevisionLink, Section } from '../ui';

/** The events that concern a server: each may add an entry to its trail. */
const CHANGES = ['deploy-requested', 'deploy-reported', 'rollout-changed', 'server-changed', 'cowboy-applied', 'cowboy-removed', 'running-everywhere'];
/** The trail writes what it receives in batches: ask again once it has. */
const SETTLE = { followUpMs: 1500 };
const PAGE_SIZE = 50;

export function ServerTrail({ host }: { host: string }) {
  const first = useResource<TrailPage>('trail', `/trail?server=${encodeURIComponent(host)}&limit=${PAGE_SIZE}`, CHANGES, SETTLE);
  // Every entry shown so far, by id: the first page moves as entries arrive, and what it pushes
  // out lies between it and the older pages, so nothing shown is dropped.
  const [shown, setShown] = useState<Map<string, TrailEntry>>(() => new Map());
  /** The cursor after the oldest page fetched with "More"; undefined until then (the first page's counts). */
  const [olderNext, setOlderNext] = useState<string | null>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const merged = (m: Map<string, TrailEntry>, entries: TrailEntry[]) => new Map([...m, ...entries.map((e) => [e.id, e] as const)]);
  const keep = (entries: TrailEntry[]) => setShown((m) => merged(m, entries));
  const latest = first.data;
  useEffect(() => {
    if (latest) setShown((m) => merged(m, latest.entries));
  }, [latest]);
  // ISO times of one format: their text sorts as their moments do.
  const entries = [...merged(shown, latest?.entries ?? []).values()].sort((a, b) => b.time.localeCompare(a.time));
  const next = olderNext === undefined ? (latest?.next ?? null) : olderNext;
  const more = async () => {
    if (!next) return;
    setBusy(true);
    setError(undefined);
    try {
      const page = await api.get<TrailPage>('trail', `/trail?server=${encodeURIComponent(host)}&limit=${PAGE_SIZE}&cursor=${encodeURIComponent(next)}`);
      keep(page.entries);
      setOlderNext(page.next);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>Trail of {host}</h1>
      <Problem message={first.error} />
      {!first.data && !first.error && <Loading what={`the trail of ${host}`} />}
      {first.data && (
        <Section title="Newest first">
          {entries.length === 0 ? <Empty>The trail holds nothing about {host}.</Empty> : <Entries entries={entries} />}
          <Problem message={error} />
          {next && (
            <button type="button" className="secondary" disabled={busy} onClick={more}>
              More
            </button>
          )}
        </Section>
      )}
    </>
  );
}

function Entries({ entries }: { entries: TrailEntry[] }) {
  return (
    <table data-testid="server-trail">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What</th>
          <th scope="col">Revisions</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id} data-type={e.type}>
            <td className="nowrap">{when(e.time)}</td>
            <td>{whoActed(e.actor)}</td>
            <td>{e.summary}</td>
            <td>
              {e.revisions.map((sha, i) => (
                <span key={sha}>
                  {i > 0 && ', '}
                  <RevisionLink rev={{ sha }}>
                    <code>{sha.slice(0, 10)}</code>
                  </RevisionLink>
                </span>
              ))}
            </td>
            <td>{e.reason ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
