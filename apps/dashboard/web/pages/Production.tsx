/**
 * production-stable and what waits for it: whether it runs a revision QA found bad, automatic
 * promotion (on, locked, frozen), locks, approvals waiting and those QA withdrew, security
 * fixes and how each came back to stable (or how long it has waited), the last hold, and the
 * promotions so far.
 */
import { type FormEvent, useState } from 'react';
import type { PromotionStatus as Status, Promotion, SecurityFix } from '@runway/contracts/http';
import { api, type Capabilities } from '../api';
import { ageSeconds, duration, shortSha, when } from '../format';
import { useNow, useResource } from '../live';
import { ProductionRunsBadAlert } from '../ProductionRunsBad';
import { Badge, Empty, Loading, Problem, RevisionLink, Section } from '../ui';

const CHANGES = ['promoted', 'promotion-held', 'qa-passed', 'revision-landed', 'approval-withdrawn', 'production-qa-changed'];
/**
 * qa-gate publishes most of these and promotion applies them as the page fetches: fetch again a
 * little later. A merge-back git finds is announced by no event at all: ask now and then too.
 */
const SETTLE = { followUpMs: 1500 };
const FIXES_POLL = { ...SETTLE, pollMs: 30_000 };

export function Production({ capabilities }: { capabilities: Capabilities }) {
  const status = useResource<Status>('promotion', '/status', CHANGES, SETTLE);
  const history = useResource<Promotion[]>('promotion', '/promotions?limit=20', CHANGES);
  const fixes = useResource<SecurityFix[]>('promotion', '/security-fixes', CHANGES, FIXES_POLL);
  const now = useNow(5000);
  const s = status.data;
  return (
    <>
      <h1>Production</h1>
      <Problem message={status.error} />
      {!s && !status.error && <Loading what="production's status" />}
      {s?.productionRunsBad && <ProductionRunsBadAlert bad={s.productionRunsBad} now={now} />}
      {s && (
        <>
          <dl className="facts" aria-label="production-stable">
            <div data-testid="production-stable">
              <dt>{s.branch}</dt>
              <dd>{s.productionStable ? <RevisionLink rev={s.productionStable} /> : 'not promoted yet'}</dd>
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
          {s.gitError && <Problem message={`git: ${s.gitError.message}`} />}
          {s.lastHold && (
            <Section title="Held">
              <p role="status">
                <RevisionLink rev={s.lastHold}>
                  r{s.lastHold.revno ?? '?'} ({shortSha(s.lastHold.sha)})
                </RevisionLink>{' '}
                is held: {s.lastHold.reason} <Badge kind="warn">{s.lastHold.code}</Badge>
              </p>
              {s.lastHold.code === 'merge-back-unknown' && (
                <p data-testid="merge-back-unknown">
                  There is no git repository to ask, and production carries a security fix that stable may not have: promoting now could
                  take it out of production. Once stable has it, an operator confirms it below (<em>Confirm merged back</em>), and the
                  approval goes out. Configuring <code>PROMOTION_GIT_REMOTE</code> lets Runway see merge-backs for itself.
                </p>
              )}
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
                      <td>
                        <RevisionLink rev={a}>r{a.revno}</RevisionLink>
                      </td>
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
          <WithdrawnApprovals withdrawn={s.withdrawnApprovals ?? []} />
          <SecurityFixes
            fixes={fixes.data}
            error={fixes.error}
            pending={s.pendingMergeBack}
            now={now}
            capabilities={capabilities}
            onChanged={() => {
              fixes.reload();
              status.reload();
            }}
          />
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
                    <RevisionLink rev={{ revno: p.toRevno, sha: p.toSha }}>
                      r{p.toRevno ?? '?'} <code>{shortSha(p.toSha)}</code>
                    </RevisionLink>
                  </td>
                  <td>
                    {p.fromRevno || p.fromSha ? (
                      <RevisionLink rev={{ revno: p.fromRevno, sha: p.fromSha }}>{p.fromRevno ? `r${p.fromRevno}` : shortSha(p.fromSha)}</RevisionLink>
                    ) : (
                      '—'
                    )}
                  </td>
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

function WithdrawnApprovals({ withdrawn }: { withdrawn: Status['withdrawnApprovals'] }) {
  return (
    <Section title="Approvals QA withdrew">
      {withdrawn.length === 0 ? (
        <Empty>None: QA has not taken an approval back.</Empty>
      ) : (
        <table data-testid="withdrawn-approvals">
          <thead>
            <tr>
              <th scope="col">Revision</th>
              <th scope="col">Approved</th>
              <th scope="col">Withdrawn</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {withdrawn.map((a) => (
              <tr key={`${a.sha}-${a.withdrawnAt}`} data-revno={a.revno}>
                <td>
                  <RevisionLink rev={a}>
                    r{a.revno} <code>{shortSha(a.sha)}</code>
                  </RevisionLink>
                </td>
                <td>{when(a.approvedAt)}</td>
                <td>{when(a.withdrawnAt)}</td>
                <td>{a.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

/** How a fix came back to stable, in words. */
function mergedBackText(f: SecurityFix): string {
  const at = f.mergedBackBy ? ` at ${shortSha(f.mergedBackBy)}` : '';
  switch (f.mergedBackHow) {
    case 'patch-id':
      return `merged back by cherry-pick (patch identity)${at}`;
    case 'ancestry':
      return `merged back by merge${at}`;
    case 'operator':
      return `confirmed by an operator: ${f.mergedBackNote ?? ''}`;
    default:
      return `merged back${at}`;
  }
}

function SecurityFixes({ fixes, error, pending, now, capabilities, onChanged }: {
  fixes: SecurityFix[] | undefined;
  error: string | undefined;
  pending: Status['pendingMergeBack'];
  now: number;
  capabilities: Capabilities;
  onChanged: () => void;
}) {
  const waiting = fixes ? fixes.filter((f) => !f.mergedBackAt).length : pending.length;
  // Without a repository, promotion says how a merge-back could be known at all: the same sentence for every fix.
  const detection = pending.find((p) => p.detection)?.detection;
  return (
    <Section title="Security fixes">
      <Problem message={error} />
      <p className="small" data-testid="merge-back-pending">
        {waiting === 0 ? 'Stable holds every security fix.' : `${waiting} awaiting merge-back to stable.`}
        {waiting > 0 && detection && ` ${detection.charAt(0).toUpperCase()}${detection.slice(1)}.`}
      </p>
      {fixes && fixes.length === 0 && <Empty>No security fix has been reported.</Empty>}
      {fixes && fixes.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">sha</th>
              <th scope="col">Reported</th>
              <th scope="col">In production since</th>
              <th scope="col">Merge-back</th>
            </tr>
          </thead>
          <tbody>
            {fixes.map((f) => (
              <tr key={f.sha} data-fix={f.sha}>
                <td>
                  <RevisionLink rev={{ sha: f.sha }}>
                    <code>{shortSha(f.sha)}</code>
                  </RevisionLink>
                </td>
                <td>
                  {when(f.reportedAt)} <span className="muted small">by {f.reportedBy}</span>
                </td>
                <td>{f.promotedAt ? when(f.promotedAt) : 'not yet'}</td>
                <td>
                  {f.mergedBackAt ? (
                    <>
                      <span data-testid="merged-back">{mergedBackText(f)}</span> <span className="muted small">({when(f.mergedBackAt)})</span>
                    </>
                  ) : (
                    <>
                      <Badge kind="warn">pending</Badge> for {duration(ageSeconds(f.reportedAt, now))}
                      {capabilities.operator && <ConfirmMergedBack sha={f.sha} onChanged={onChanged} />}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

/** An operator says a fix is in stable when git cannot tell (no repository, or a patch reworked by hand). */
function ConfirmMergedBack({ sha, onChanged }: { sha: string; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.send('POST', 'promotion', `/security-fixes/${encodeURIComponent(sha)}/merged-back`, { reason });
      setOpen(false);
      setReason('');
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (!open) {
    return (
      <>
        {' '}
        <button type="button" className="secondary small" onClick={() => setOpen(true)} aria-label={`Confirm ${shortSha(sha)} merged back`}>
          Confirm merged back
        </button>
      </>
    );
  }
  return (
    <form className="inline-form" onSubmit={submit}>
      <label className="grow">
        Where stable got {shortSha(sha)}
        <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required autoFocus />
      </label>
      <button type="submit" disabled={busy}>
        Confirm
      </button>
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <Problem message={error} />
    </form>
  );
}
