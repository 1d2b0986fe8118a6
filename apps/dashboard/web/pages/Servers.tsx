/**
 * Every server by wave: the revision it runs, whether it answers, how old its last heartbeat
 * is, its cowboys and hold; and the current rollout, batch by batch, with each deploy's output
 * as the agent streams it.
 */
import { type FormEvent, useState } from 'react';
import { api, type Capabilities } from '../api';
import { ageSeconds, duration, shortSha, when } from '../format';
import { type LiveEvent, useLiveEvents, useNow, useResource } from '../live';
import { Badge, Empty, Loading, Problem, Section } from '../ui';

export interface Server {
  host: string;
  environment: string;
  wave: string | null;
  runningRevision: string | null;
  agentVersion: string;
  lastHeartbeatAt: string | null;
  reachable: boolean;
  hold: { host: string; reason: string; author: string; until: string | null; createdAt: string } | null;
}

export interface Cowboy {
  id: string;
  host: string;
  patchHash: string;
  description: string | null;
  reason: string;
  appliedBy: string;
  appliedAt: string;
  policy: 'hold' | 'carry';
  fixedBy: string | null;
  detected: boolean;
  status: 'applied' | 'retired';
  retiredAt: string | null;
  retiredReason: string | null;
}

interface Rollout {
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
}

interface Deploy {
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

const SERVER_CHANGES = ['deploy-reported', 'deploy-requested', 'cowboy-applied', 'cowboy-removed', 'promoted', 'qa-tip-moved'];
const ROLLOUT_CHANGES = ['deploy-reported', 'deploy-requested', 'promoted', 'qa-tip-moved'];
const ACTIVE = new Set(['queued', 'waiting-window', 'preflight', 'blocked', 'in-progress', 'paused']);
const DEPLOYING = new Set(['in-progress', 'paused']);

export function waveOf(s: Server): string {
  return s.wave ?? s.environment;
}

export function Servers({ capabilities }: { capabilities: Capabilities }) {
  const servers = useResource<Server[]>('rollout', '/servers', SERVER_CHANGES);
  const cowboys = useResource<Cowboy[]>('rollout', '/cowboys?status=applied', SERVER_CHANGES);
  const rollouts = useResource<Rollout[]>('rollout', '/rollouts?limit=10', ROLLOUT_CHANGES);
  const now = useNow(1000);
  // A heartbeat says all a row needs: no refetch, just the new time and revision.
  useLiveEvents(['agent-heartbeat'], (events: LiveEvent[]) => {
    const known = new Set((servers.data ?? []).map((s) => s.host));
    if (events.some((e) => !known.has(String(e.data.host)))) return servers.reload();
    servers.update((list) =>
      list.map((s) => {
        const e = events.find((x) => x.data.host === s.host);
        return e ? { ...s, lastHeartbeatAt: e.time, reachable: true, runningRevision: (e.data.runningRevision as string | undefined) ?? s.runningRevision } : s;
      }),
    );
  });
  // The one deploying comes first; a rollout queued behind it is named beside it.
  const current = rollouts.data?.find((r) => DEPLOYING.has(r.status)) ?? rollouts.data?.find((r) => ACTIVE.has(r.status)) ?? rollouts.data?.[0];
  const next = rollouts.data?.find((r) => r.status === 'queued' && r.cause === current?.cause && r.id !== current?.id);
  const byWave = new Map<string, Server[]>();
  for (const s of servers.data ?? []) byWave.set(waveOf(s), [...(byWave.get(waveOf(s)) ?? []), s]);
  const waves = [...byWave.keys()].sort();
  const cowboysOf = (host: string) => (cowboys.data ?? []).filter((c) => c.host === host);
  return (
    <>
      <h1>Servers</h1>
      <Problem message={servers.error ?? cowboys.error} />
      {current && <CurrentRollout rollout={current} next={next} capabilities={capabilities} onChanged={rollouts.reload} />}
      {!servers.data && !servers.error && <Loading what="servers" />}
      {servers.data && servers.data.length === 0 && <Empty>No agent has registered yet.</Empty>}
      {waves.map((w) => (
        <Section key={w} title={`Wave ${w}`} id={`wave-${w}`}>
          <table className="servers">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Environment</th>
                <th scope="col">Runs</th>
                <th scope="col">Health</th>
                <th scope="col">Heartbeat</th>
                <th scope="col">Cowboys</th>
                <th scope="col">Hold</th>
              </tr>
            </thead>
            <tbody>
              {byWave.get(w)!.map((s) => {
                const age = ageSeconds(s.lastHeartbeatAt, now);
                const mine = cowboysOf(s.host);
                return (
                  <tr key={s.host} data-host={s.host}>
                    <th scope="row">{s.host}</th>
                    <td>{s.environment}</td>
                    <td data-testid={`runs-${s.host}`}>
                      <code title={s.runningRevision ?? undefined}>{shortSha(s.runningRevision)}</code>
                    </td>
                    <td>{s.reachable ? <Badge kind="good">reachable</Badge> : <Badge kind="bad">unreachable</Badge>}</td>
                    <td>{age === null ? 'never' : `${duration(age)} ago`}</td>
                    <td>
                      {mine.length === 0
                        ? 'none'
                        : mine.map((c) => (
                            <Badge key={c.id} kind={c.policy === 'hold' ? 'warn' : 'info'} title={c.reason}>
                              {c.patchHash.slice(0, 8)} ({c.policy})
                            </Badge>
                          ))}
                    </td>
                    <td>
                      <HoldCell server={s} capabilities={capabilities} onChanged={servers.reload} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Section>
      ))}
    </>
  );
}

function HoldCell({ server, capabilities, onChanged }: { server: Server; capabilities: Capabilities; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const act = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
      setOpen(false);
      setReason('');
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const hold = (e: FormEvent) => {
    e.preventDefault();
    void act(() => api.send('PUT', 'rollout', `/servers/${encodeURIComponent(server.host)}/hold`, { reason }));
  };
  if (server.hold) {
    return (
      <>
        <span title={`by ${server.hold.author}`}>held: {server.hold.reason}</span>
        {server.hold.until && <span className="muted small"> until {when(server.hold.until)}</span>}{' '}
        {capabilities.operator && (
          <button type="button" className="secondary small" onClick={() => act(() => api.send('DELETE', 'rollout', `/servers/${encodeURIComponent(server.host)}/hold`))}>
            Release {server.host}
          </button>
        )}
        <Problem message={error} />
      </>
    );
  }
  if (!capabilities.operator) return <>—</>;
  return open ? (
    <form className="inline-form" onSubmit={hold}>
      <label>
        Reason to hold {server.host}
        <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required autoFocus />
      </label>
      <button type="submit">Hold</button>
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <Problem message={error} />
    </form>
  ) : (
    <button type="button" className="secondary small" onClick={() => setOpen(true)} aria-label={`Hold ${server.host}`}>
      Hold
    </button>
  );
}

function CurrentRollout({ rollout, next, capabilities, onChanged }: { rollout: Rollout; next?: Rollout; capabilities: Capabilities; onChanged: () => void }) {
  const detail = useResource<Rollout & { deploys: Deploy[] }>('rollout', `/rollouts/${rollout.id}`, ROLLOUT_CHANGES);
  const [output, setOutput] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  useLiveEvents(['deploy-progress'], (events) => {
    const mine = events.filter((e) => e.data.rolloutId === rollout.id);
    if (mine.length) setOutput((o) => ({ ...o, ...Object.fromEntries(mine.map((e) => [String(e.data.deployId), String(e.data.outputTail ?? '')])) }));
  });
  const r = detail.data ?? { ...rollout, deploys: [] };
  const done = r.deploys.filter((d) => d.status === 'succeeded').length;
  const act = async (what: 'pause' | 'resume') => {
    setError(undefined);
    try {
      await api.send('POST', 'rollout', `/rollouts/${r.id}/${what}`);
      onChanged();
      detail.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Section
      title={ACTIVE.has(r.status) ? 'Current rollout' : 'Last rollout'}
      id="rollout"
      actions={
        capabilities.operator && ACTIVE.has(r.status) ? (
          r.status === 'paused' ? (
            <button type="button" onClick={() => act('resume')}>
              Resume
            </button>
          ) : (
            <button type="button" className="secondary" onClick={() => act('pause')}>
              Pause
            </button>
          )
        ) : undefined
      }
    >
      <p data-testid="rollout-summary">
        r{r.toRevno ?? '?'} <code>{shortSha(r.toSha)}</code> ({r.cause}, {r.kind}): <Badge kind={r.status === 'succeeded' ? 'good' : r.status === 'failed' ? 'bad' : 'info'}>{r.status}</Badge>{' '}
        batch {Math.min(r.currentBatch + 1, Math.max(r.batches, 1))} of {Math.max(r.batches, 1)}, {done} of {r.deploys.length} servers done
      </p>
      <progress max={Math.max(r.deploys.length, 1)} value={done} aria-label="Servers deployed" />
      {r.status === 'queued' && <p>Queued: it starts when the rollout deploying now ends.</p>}
      {next && (
        <p data-testid="rollout-next">
          Next: r{next.toRevno ?? '?'} <code>{shortSha(next.toSha)}</code>, queued; it starts when this one ends.
        </p>
      )}
      {r.scheduledFor && <p>Waits for the downtime window at {when(r.scheduledFor)}.</p>}
      {r.failure && <Problem message={r.failure} />}
      {r.pausedBy && r.status === 'paused' && <p>Paused by {r.pausedBy}.</p>}
      {r.skipped.length > 0 && (
        <ul className="plain">
          {r.skipped.map((s) => (
            <li key={s.host}>
              Skipped {s.host}: {s.reason}
            </li>
          ))}
        </ul>
      )}
      {r.deploys.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">Wave</th>
              <th scope="col">Batch</th>
              <th scope="col">Status</th>
              <th scope="col">Output</th>
            </tr>
          </thead>
          <tbody>
            {r.deploys.map((d) => {
              const tail = output[d.id] ?? d.outputTail;
              return (
                <tr key={d.id}>
                  <th scope="row">{d.host}</th>
                  <td>{d.wave ?? '—'}</td>
                  <td>{d.batch + 1}</td>
                  <td>{d.status}</td>
                  <td>{tail ? <pre className="tail">{tail.split('\n').slice(-6).join('\n')}</pre> : <span className="muted">—</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Problem message={error ?? detail.error} />
    </Section>
  );
}
