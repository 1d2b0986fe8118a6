/**
 * Every server by wave: the revision it runs and the one it should run, drift from what Runway
 * put there, whether it answers, how old its last heartbeat is, the deploy on its way to it
 * and that deploy's deadline, its cowboys and hold; the current rollout, batch by batch, with
 * each deploy's output as the agent streams it; and the recent rollouts, catch-ups and cancels
 * among them. Operators hold, release and deregister servers, and pause, resume and cancel
 * rollouts, here. Each host links to its trail, each revision to its story.
 */
import { type FormEvent, type ReactNode, useCallback, useEffect, useState } from 'react';
import type { Cowboy, Deregistered, Rollout, RolloutDetail, Server } from '@runway/contracts/http';
import { api, type Capabilities } from '../api';
import { ageSeconds, duration, sameSha, shortSha, when } from '../format';
import { type LiveEvent, useLiveEvents, useNow, useResource } from '../live';
import { Link } from '../router';
import { Badge, Empty, Loading, Problem, RevisionLink, Section } from '../ui';

const SERVER_CHANGES = ['deploy-reported', 'deploy-requested', 'cowboy-applied', 'cowboy-removed', 'promoted', 'qa-tip-moved'];
const ROLLOUT_CHANGES = ['deploy-reported', 'deploy-requested', 'promoted', 'qa-tip-moved'];
/**
 * A deploy failed at its deadline, a cancel, a deregistration and drift have no event of their
 * own: the page asks again this often too.
 */
const POLL_MS = 5000;
const ACTIVE = new Set(['queued', 'waiting-window', 'preflight', 'blocked', 'in-progress', 'paused']);
const DEPLOYING = new Set(['in-progress', 'paused']);
const CATCH_UP_MEANING = 'a rollout of its own for servers released from a hold, back after an outage, newly registered, or drifted from what Runway put there';

/**
 * Fetches again just after the soonest of these deadlines has passed: rollout fails a deploy
 * no agent reported then, and no event says so.
 */
function useReloadAfter(deadlines: (string | null | undefined)[], reload: () => void): void {
  const now = Date.now();
  const soonest = deadlines
    .map((d) => (d ? Date.parse(d) : NaN))
    .filter((t) => Number.isFinite(t) && t > now - 5000)
    .sort((a, b) => a - b)[0];
  useEffect(() => {
    if (soonest === undefined) return;
    const t = window.setTimeout(reload, Math.max(0, soonest - Date.now()) + 1500);
    return () => window.clearTimeout(t);
  }, [soonest, reload]);
}

export function waveOf(s: Server): string {
  return s.wave ?? s.environment;
}

/** Why a server needs a catch-up, as far as the page can tell while it is on its way. */
function catchUpReason(s: Server | undefined): string {
  if (!s) return 'no longer registered';
  if (s.drift) return `drifted: runs ${shortSha(s.drift.running)}, Runway put ${shortSha(s.drift.expected)} there`;
  if (!s.lastDeployedRevision) return 'newly registered: Runway has not deployed it yet';
  return `behind its track, at ${shortSha(s.runningRevision)} (released from a hold, back after an outage, or skipped)`;
}

function revisionLabel(r: Pick<Rollout, 'toRevno' | 'toSha'>): ReactNode {
  return (
    <RevisionLink rev={{ revno: r.toRevno, sha: r.toSha }}>
      {r.toRevno ? `r${r.toRevno} ` : ''}
      <code>{shortSha(r.toSha)}</code>
    </RevisionLink>
  );
}

/** A sha a server runs, should run or ran, linking to that revision's story. */
function ShaLink({ sha }: { sha: string | null | undefined }) {
  const code = <code title={sha ?? undefined}>{shortSha(sha)}</code>;
  return sha ? <RevisionLink rev={{ sha }}>{code}</RevisionLink> : code;
}

function causeBadge(r: Rollout): ReactNode {
  if (r.cause === 'catch-up') {
    return (
      <Badge kind="warn" title={CATCH_UP_MEANING}>
        catch-up
      </Badge>
    );
  }
  return r.cause;
}

/** A failure in one line: its first (the server, or who cancelled and why) and, for a deploy's output, its last. */
function failureNote(failure: string): string {
  const lines = failure.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length > 1 ? `${lines[0]} (${lines[lines.length - 1]})` : (lines[0] ?? '');
}

/** Whom a rollout is for: its servers, or its whole track. */
function target(r: Rollout): string {
  if (r.hosts?.length) return r.hosts.join(', ');
  return (r.track ?? r.cause) === 'qa-tip' ? 'QA servers' : 'production';
}

function statusBadge(status: string): ReactNode {
  const kind = status === 'succeeded' ? 'good' : status === 'failed' ? 'bad' : status === 'cancelled' || status === 'superseded' ? 'warn' : 'info';
  return <Badge kind={kind}>{status}</Badge>;
}

/** A deploy's deadline: a countdown while it runs, "overdue" once passed and rollout has not failed it yet. */
function Deadline({ at, now }: { at: string | null | undefined; now: number }) {
  if (!at) return null;
  const left = (Date.parse(at) - now) / 1000;
  if (!Number.isFinite(left)) return null;
  const title = `Rollout fails this deploy at ${when(at)} if its agent has not reported by then.`;
  return left >= 0 ? (
    <span className="muted small" title={title} data-deadline="pending">
      deadline in {duration(left)}
    </span>
  ) : (
    <Badge kind="bad" title={title}>
      overdue by {duration(-left)}
    </Badge>
  );
}

/** An operator action that needs a reason: a button that opens a one-field form. */
function ReasonForm({
  open, label, submit, onOpen, onClose, onSubmit, buttonLabel, buttonText,
}: {
  open: boolean;
  label: string;
  submit: string;
  buttonLabel: string;
  buttonText: string;
  onOpen: () => void;
  onClose: () => void;
  onSubmit: (reason: string) => Promise<void>;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      await onSubmit(reason.trim());
      setReason('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (!open) {
    return (
      <button type="button" className="secondary small" onClick={onOpen} aria-label={buttonLabel}>
        {buttonText}
      </button>
    );
  }
  return (
    <form className="inline-form" onSubmit={send}>
      <label>
        {label}
        <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} maxLength={4096} required autoFocus />
      </label>
      <button type="submit" disabled={busy}>
        {submit}
      </button>
      <button type="button" className="secondary" onClick={onClose}>
        Keep it
      </button>
      <Problem message={error} />
    </form>
  );
}

export function Servers({ capabilities }: { capabilities: Capabilities }) {
  const servers = useResource<Server[]>('rollout', '/servers?deregistered=include', SERVER_CHANGES, { pollMs: POLL_MS });
  const cowboys = useResource<Cowboy[]>('rollout', '/cowboys?status=applied', SERVER_CHANGES);
  const rollouts = useResource<Rollout[]>('rollout', '/rollouts?limit=10', ROLLOUT_CHANGES, { pollMs: POLL_MS });
  const [deregistered, setDeregistered] = useState<Deregistered[]>([]);
  const now = useNow(1000);
  // A heartbeat says all a row needs: no refetch, just the new time. A new revision may be drift: fetch.
  useLiveEvents(['agent-heartbeat'], (events: LiveEvent[]) => {
    const known = new Map((servers.data ?? []).map((s) => [s.host, s]));
    const changed = events.some((e) => {
      const s = known.get(String(e.data.host));
      return !s || (typeof e.data.runningRevision === 'string' && e.data.runningRevision !== s.runningRevision);
    });
    if (changed) return servers.reload();
    servers.update((list) =>
      list.map((s) => {
        const e = events.find((x) => x.data.host === s.host);
        return e ? { ...s, lastHeartbeatAt: e.time, reachable: true } : s;
      }),
    );
  });
  const { reload: reloadRollouts } = rollouts;
  const { reload: reloadServers } = servers;
  const reloadAll = useCallback(() => {
    reloadRollouts();
    reloadServers();
  }, [reloadRollouts, reloadServers]);
  useReloadAfter((servers.data ?? []).map((s) => s.deploying?.deadlineAt), reloadAll);
  // The one deploying comes first; a rollout queued behind it is named beside it.
  const current = rollouts.data?.find((r) => DEPLOYING.has(r.status)) ?? rollouts.data?.find((r) => ACTIVE.has(r.status)) ?? rollouts.data?.[0];
  const next = rollouts.data?.find((r) => r.status === 'queued' && r.track === current?.track && r.cause === current?.cause && r.id !== current?.id);
  const byWave = new Map<string, Server[]>();
  for (const s of servers.data ?? []) byWave.set(waveOf(s), [...(byWave.get(waveOf(s)) ?? []), s]);
  // rollout lists servers in rollout order (waves as configured), so waves appear in that order.
  const waves = [...byWave.keys()];
  const cowboysOf = (host: string) => (cowboys.data ?? []).filter((c) => c.host === host);
  const serverOf = (host: string) => servers.data?.find((s) => s.host === host);
  return (
    <>
      <h1>Servers</h1>
      <Problem message={servers.error ?? cowboys.error ?? rollouts.error} />
      {deregistered.map((d) => (
        <p key={d.host} className="notice" role="status" data-testid={`deregistered-${d.host}`}>
          {d.host} deregistered by {d.deregisteredBy}: {d.reason}. It takes part in no rollout until its agent registers again.
        </p>
      ))}
      {current && <CurrentRollout key={current.id} rollout={current} next={next} serverOf={serverOf} capabilities={capabilities} onChanged={reloadAll} />}
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
                <th scope="col">Deploying</th>
                <th scope="col">Cowboys</th>
                <th scope="col">Hold</th>
                {capabilities.operator && <th scope="col">Deregister</th>}
              </tr>
            </thead>
            <tbody>
              {byWave.get(w)!.map((s) => {
                const age = ageSeconds(s.lastHeartbeatAt, now);
                const mine = cowboysOf(s.host);
                return (
                  <tr key={s.host} data-host={s.host}>
                    <th scope="row">
                      <Link to={`/servers/${encodeURIComponent(s.host)}/trail`} title={`Everything that happened to ${s.host}`}>
                        {s.host}
                      </Link>
                    </th>
                    <td>{s.environment}</td>
                    <td data-testid={`runs-${s.host}`}>
                      <ShaLink sha={s.runningRevision} />
                      <Desired server={s} />
                    </td>
                    <td>
                      {s.deregisteredAt ? (
                        <Badge kind="warn" title={`by ${s.deregisteredBy ?? 'an operator'} at ${when(s.deregisteredAt)}`}>
                          deregistered
                        </Badge>
                      ) : s.reachable ? (
                        <Badge kind="good">reachable</Badge>
                      ) : (
                        <Badge kind="bad">unreachable</Badge>
                      )}
                    </td>
                    <td>{age === null ? 'never' : `${duration(age)} ago`}</td>
                    <td data-testid={`deploying-${s.host}`}>
                      {s.deploying ? (
                        <>
                          <ShaLink sha={s.deploying.revision} /> {s.deploying.status}{' '}
                          <Deadline at={s.deploying.deadlineAt} now={now} />
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>
                      {mine.length === 0
                        ? 'none'
                        : mine.map((c) => (
                            <Badge key={c.id} kind={c.policy === 'hold' ? 'warn' : 'info'} title={c.reason ?? undefined}>
                              {c.patchHash.slice(0, 8)} ({c.policy})
                            </Badge>
                          ))}
                    </td>
                    <td>
                      <HoldCell server={s} capabilities={capabilities} onChanged={servers.reload} />
                    </td>
                    {capabilities.operator && (
                      <td>
                        {!s.deregisteredAt && (
                          <DeregisterCell
                            server={s}
                            onDone={(d) => {
                              setDeregistered((list) => [...list.filter((x) => x.host !== d.host), d]);
                              reloadAll();
                            }}
                          />
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Section>
      ))}
      {rollouts.data && rollouts.data.length > 0 && <RecentRollouts rollouts={rollouts.data} current={current} capabilities={capabilities} onChanged={reloadAll} />}
    </>
  );
}

/** What a server should run, and its drift from what Runway put there. */
function Desired({ server: s }: { server: Server }) {
  if (s.drift) {
    const wait = s.hold ? ' once its hold ends' : !s.reachable ? ' once it is reachable' : '';
    return (
      <div className="small" data-testid={`drift-${s.host}`}>
        <Badge kind="bad">drifted</Badge> runs <ShaLink sha={s.drift.running} />, Runway put <ShaLink sha={s.drift.expected} /> there
        {s.drift.since ? ` (since ${when(s.drift.since)})` : ''}.
        {s.desiredRevision && (
          <>
            {' '}
            A catch-up rollout puts <ShaLink sha={s.desiredRevision} /> back{wait}.
          </>
        )}
      </div>
    );
  }
  if (s.desiredRevision && !(s.runningRevision && sameSha(s.runningRevision, s.desiredRevision))) {
    return (
      <div className="muted small" data-testid={`desired-${s.host}`}>
        should run <ShaLink sha={s.desiredRevision} />
      </div>
    );
  }
  return null;
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
  if (!capabilities.operator || server.deregisteredAt) return <>—</>;
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

/** Deregisters a server gone for good: it leaves every rollout until its agent registers again. */
function DeregisterCell({ server, onDone }: { server: Server; onDone: (d: Deregistered) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <ReasonForm
      open={open}
      onOpen={() => setOpen(true)}
      onClose={() => setOpen(false)}
      buttonLabel={`Deregister ${server.host}`}
      buttonText="Deregister"
      label={`Reason to deregister ${server.host}`}
      submit="Deregister"
      onSubmit={async (reason) => {
        const d = await api.send<Deregistered>('POST', 'rollout', `/servers/${encodeURIComponent(server.host)}/deregister`, { reason });
        setOpen(false);
        onDone(d);
      }}
    />
  );
}

/** Cancels a rollout for good, with a reason: what has not gone out is cancelled, and its track is free. */
function CancelRollout({ rollout, onChanged }: { rollout: Rollout; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const name = `${rollout.toRevno ? `r${rollout.toRevno} ` : ''}${shortSha(rollout.toSha)}`;
  return (
    <ReasonForm
      open={open}
      onOpen={() => setOpen(true)}
      onClose={() => setOpen(false)}
      buttonLabel={`Cancel the rollout of ${name}`}
      buttonText="Cancel rollout"
      label={`Reason to cancel the rollout of ${name}`}
      submit="Cancel rollout"
      onSubmit={async (reason) => {
        await api.send('POST', 'rollout', `/rollouts/${rollout.id}/cancel`, { reason });
        setOpen(false);
        onChanged();
      }}
    />
  );
}

/** Why a rollout exists, in words: a catch-up says for which servers and, while on its way, why each. */
function CauseLine({ r, serverOf }: { r: Rollout; serverOf: (host: string) => Server | undefined }) {
  if (r.cause === 'catch-up') {
    return (
      <div data-testid="rollout-cause">
        <p>
          <Badge kind="warn">catch-up</Badge> for {target(r)}: {CATCH_UP_MEANING}.
        </p>
        {ACTIVE.has(r.status) && (
          <ul className="plain">
            {(r.hosts ?? []).map((h) => (
              <li key={h}>
                {h}: {catchUpReason(serverOf(h))}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  if (r.hosts?.length) return <p data-testid="rollout-cause">For {target(r)}.</p>;
  return null;
}

/** A rollout's failure, or who cancelled it and why (not an alarm: an operator chose it). */
function Outcome({ r }: { r: Rollout }) {
  if (r.status === 'cancelled') {
    return (
      <p data-testid="rollout-cancelled">
        <Badge kind="warn">cancelled</Badge> {r.failure ?? `by ${r.cancelledBy ?? 'an operator'}`}
      </p>
    );
  }
  return r.failure ? <Problem message={r.failure} /> : null;
}

function CurrentRollout({
  rollout, next, serverOf, capabilities, onChanged,
}: {
  rollout: Rollout;
  next?: Rollout;
  serverOf: (host: string) => Server | undefined;
  capabilities: Capabilities;
  onChanged: () => void;
}) {
  const detail = useResource<RolloutDetail>('rollout', `/rollouts/${rollout.id}`, ROLLOUT_CHANGES, { pollMs: POLL_MS });
  const [output, setOutput] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const now = useNow(1000);
  useLiveEvents(['deploy-progress'], (events) => {
    const mine = events.filter((e) => e.data.rolloutId === rollout.id);
    if (mine.length) setOutput((o) => ({ ...o, ...Object.fromEntries(mine.map((e) => [String(e.data.deployId), String(e.data.outputTail ?? '')])) }));
  });
  const r = detail.data ?? { ...rollout, deploys: [] };
  useReloadAfter(r.deploys.map((d) => d.deadlineAt), detail.reload);
  const changed = () => {
    onChanged();
    detail.reload();
  };
  const done = r.deploys.filter((d) => d.status === 'succeeded').length;
  const act = async (what: 'pause' | 'resume') => {
    setError(undefined);
    try {
      await api.send('POST', 'rollout', `/rollouts/${r.id}/${what}`);
      changed();
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
          <div className="actions">
            {r.status === 'paused' ? (
              <button type="button" onClick={() => act('resume')}>
                Resume
              </button>
            ) : (
              <button type="button" className="secondary" onClick={() => act('pause')}>
                Pause
              </button>
            )}
            <CancelRollout rollout={r} onChanged={changed} />
          </div>
        ) : undefined
      }
    >
      <p data-testid="rollout-summary">
        {revisionLabel(r)} ({r.cause}, {r.kind}): {statusBadge(r.status)} batch {Math.min(r.currentBatch + 1, Math.max(r.batches, 1))} of {Math.max(r.batches, 1)}, {done} of{' '}
        {r.deploys.length} servers done
      </p>
      <progress max={Math.max(r.deploys.length, 1)} value={done} aria-label="Servers deployed" />
      <CauseLine r={r} serverOf={serverOf} />
      {r.status === 'queued' && <p>Queued: it starts when the rollout deploying now ends.</p>}
      {next && (
        <p data-testid="rollout-next">
          Next: {revisionLabel(next)}, queued; it starts when this one ends.
        </p>
      )}
      {r.scheduledFor && <p>Waits for the downtime window at {when(r.scheduledFor)}.</p>}
      <Outcome r={r} />
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
              <th scope="col">Deadline</th>
              <th scope="col">Output</th>
            </tr>
          </thead>
          <tbody>
            {r.deploys.map((d) => {
              const tail = output[d.id] ?? d.outputTail;
              return (
                <tr key={d.id} data-deploy-host={d.host}>
                  <th scope="row">{d.host}</th>
                  <td>{d.wave ?? '—'}</td>
                  <td>{d.batch + 1}</td>
                  <td>{d.status}</td>
                  <td>{d.deadlineAt ? <Deadline at={d.deadlineAt} now={now} /> : '—'}</td>
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

/** The latest rollouts: why each exists (catch-ups marked), for whom, how it ended and, for a cancel, who and why. */
function RecentRollouts({ rollouts, current, capabilities, onChanged }: { rollouts: Rollout[]; current?: Rollout; capabilities: Capabilities; onChanged: () => void }) {
  return (
    <Section title="Recent rollouts" id="recent-rollouts">
      <table>
        <thead>
          <tr>
            <th scope="col">Revision</th>
            <th scope="col">Cause</th>
            <th scope="col">For</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Note</th>
            {capabilities.operator && <th scope="col">Act</th>}
          </tr>
        </thead>
        <tbody>
          {rollouts.map((r) => (
            <tr key={r.id} data-rollout={r.id} data-cause={r.cause} data-status={r.status}>
              <th scope="row">{revisionLabel(r)}</th>
              <td>{causeBadge(r)}</td>
              <td>{target(r)}</td>
              <td>{statusBadge(r.status)}</td>
              <td>{when(r.createdAt)}</td>
              <td>{r.failure ? failureNote(r.failure) : r.status === 'paused' && r.pausedBy ? `paused by ${r.pausedBy}` : ''}</td>
              {capabilities.operator && <td>{ACTIVE.has(r.status) && r.id !== current?.id && <CancelRollout rollout={r} onChanged={onChanged} />}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
