/**
 * production-stable and what waits for it: automatic promotion (on, locked, frozen), locks,
 * approvals waiting, security fixes not yet merged back (with their age), the last hold, and
 * the promotions so far.
 */
import { type FormEvent, useState } from 'react';
import { api, type Capabilities } from '../api';
import { ageSeconds, duration, shortSha, when } from '../format';
import { useNow, useResource } from '../live';
import { Badge, Empty, Loading, Problem, Section } from '../ui';

interface Status {
  branch: string;
  repository: string | null;
  productionStable: { sha: string; revno: number | null; since: string; promotionId: string } | null;
  automaticPromotion: 'on' | 'locked' | 'frozen';
  locks: { id: string; reason: string; author: string; created_by: string; created_at: string; until: string | null }[];
  freeze: { spec: string; until: string } | null;
  pendingApprovals: { sha: string; revno: number; approvedAt: string; containsDb: boolean }[];
  pendingMergeBack: { sha: string; reportedAt: string; promotedAt: string | null; ageSeconds: number }[];
  lastHold: { sha: string; revno: number | null; code: string; reason: string; created_at: string } | null;
  gitError: string | null;
}

interface Promotion {
  id: string;
  fromRevno: number | null;
  toSha: string;
  toRevno: number | null;
  cause: string;
  kind: string;
  deployKind: string;
  requestedBy: string;
  forced: boolean;
  reason: string | null;
  containsDb: boolean;
  createdAt: string;
}

const CHANGES = ['promoted', 'promotion-held', 'qa-passed', 'revision-landed'];

export function Production({ capabilities }: { capabilities: Capabilities }) {
  const status = useResource<Status>('promotion', '/status', CHANGES);
  const history = useResource<Promotion[]>('promotion', '/promotions?limit=20', CHANGES);
  const now = useNow(5000);
  const s = status.data;
  return (
    <>
      <h1>Production</h1>
      <Problem message={status.error} />
      {!s && !status.error && <Loading what="production's status" />}
      {s && (
        <>
          <dl className="facts" aria-label="production-stable">
            <div data-testid="production-stable">
              <dt>{s.branch}</dt>
              <dd>{s.productionStable ? `r${s.productionStable.revno ?? '?'} (${shortSha(s.productionStable.sha)})` : 'not promoted yet'}</dd>
            </div>
            <div>
              <dt>Since</dt>
              <dd>{s.productionStable ? `${when(s.productionStable.since)} (${duration(ageSeconds(s.productionStable.since, now))} ago)` : '—'}</dd>
            </div>
            <div data-testid="automatic-promotion">
              <dt>Automatic promotion</dt>
              <dd>
                <Badge kind={s.automaticPromotion === 'on' ? 'good' : 'warn'}>{s.automaticPromotion}</Badge>
              </dd>
            </div>
            <div>
              <dt>Repository</dt>
              <dd>{s.repository ?? 'none (promotions are recorded only)'}</dd>
            </div>
          </dl>
          {s.gitError && <Problem message={`git: ${s.gitError}`} />}
          {s.lastHold && (
            <Section title="Held">
              <p role="status">
                r{s.lastHold.revno ?? '?'} ({shortSha(s.lastHold.sha)}) is held: {s.lastHold.reason} <Badge kind="warn">{s.lastHold.code}</Badge>
              </p>
            </Section>
          )}
          <Locks status={s} capabilities={capabilities} onChanged={status.reload} />
          <Section title="Approvals waiting">
            {s.pendingApprovals.length === 0 ? (
              <Empty>No approved revision waits: production is as far as QA allows.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Revision</th>
                    <th scope="col">sha</th>
                    <th scope="col">Approved</th>
                    <th scope="col">DB</th>
                  </tr>
                </thead>
                <tbody>
                  {s.pendingApprovals.map((a) => (
                    <tr key={a.sha}>
                      <td>r{a.revno}</td>
                      <td>
                        <code>{shortSha(a.sha)}</code>
                      </td>
                      <td>{when(a.approvedAt)}</td>
                      <td>{a.containsDb ? <Badge kind="db">DB</Badge> : 'no'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Security fixes awaiting merge-back">
            {s.pendingMergeBack.length === 0 ? (
              <Empty>None: stable holds every security fix.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">sha</th>
                    <th scope="col">Reported</th>
                    <th scope="col">In production since</th>
                    <th scope="col">Age</th>
                  </tr>
                </thead>
                <tbody>
                  {s.pendingMergeBack.map((f) => (
                    <tr key={f.sha}>
                      <td>
                        <code>{shortSha(f.sha)}</code>
                      </td>
                      <td>{when(f.reportedAt)}</td>
                      <td>{when(f.promotedAt)}</td>
                      <td>{duration(ageSeconds(f.reportedAt, now))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
        </>
      )}
      <Section title="Promotions">
        <Problem message={history.error} />
        {history.data && history.data.length === 0 && <Empty>Nothing has been promoted yet.</Empty>}
        {history.data && history.data.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">To</th>
                <th scope="col">From</th>
                <th scope="col">Cause</th>
                <th scope="col">How</th>
                <th scope="col">Deploy</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {history.data.map((p) => (
                <tr key={p.id}>
                  <td>{when(p.createdAt)}</td>
                  <td>
                    r{p.toRevno ?? '?'} <code>{shortSha(p.toSha)}</code>
                  </td>
                  <td>{p.fromRevno ? `r${p.fromRevno}` : '—'}</td>
                  <td>
                    {p.cause}
                    {p.forced && <Badge kind="warn">forced</Badge>}
                  </td>
                  <td>{p.kind}</td>
                  <td>{p.deployKind}</td>
                  <td>{p.requestedBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

function Locks({ status, capabilities, onChanged }: { status: Status; capabilities: Capabilities; onChanged: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const lock = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      await api.send('POST', 'promotion', '/locks', { reason });
      setReason('');
    });
  };
  return (
    <Section title="Locks and freezes">
      {status.freeze && (
        <p>
          Frozen by the window <code>{status.freeze.spec}</code> until {when(status.freeze.until)}.
        </p>
      )}
      {status.locks.length === 0 && !status.freeze && <Empty>No lock and no freeze: approved revisions go at once.</Empty>}
      {status.locks.length > 0 && (
        <ul className="plain">
          {status.locks.map((l) => (
            <li key={l.id}>
              Locked by {l.author}: {l.reason} <span className="muted small">since {when(l.created_at)}{l.until ? `, until ${when(l.until)}` : ''}</span>{' '}
              {capabilities.operator && (
                <button type="button" className="secondary" disabled={busy} onClick={() => act(() => api.send('DELETE', 'promotion', `/locks/${l.id}`))}>
                  Release
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {capabilities.operator && (
        <form className="inline-form" onSubmit={lock}>
          <label>
            Lock promotion, because
            <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required />
          </label>
          <button type="submit" disabled={busy}>
            Lock
          </button>
        </form>
      )}
      <Problem message={error} />
    </Section>
  );
}
