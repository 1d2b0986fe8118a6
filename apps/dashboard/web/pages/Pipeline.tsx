/**
 * The QA branch as a timeline: every recent revision coloured by QA status, with the last
 * promoted, the deployable and the tip marked, DB revisions flagged, revisions that came in a
 * collapsed build named with it, and what blocks the next deployable revision (a revision, or
 * a landing git refused or has not placed), with the QA action and the operator's dismissal.
 * Above all, whether production runs a revision QA found bad.
 */
import { type FormEvent, useMemo, useState } from 'react';
import type { Blocker as AnyBlocker, Deployable, LandingBlocker, Revision, RevisionPage } from '@runway/contracts/http';
import { api, type Capabilities } from '../api';
import { actorLabel, duration, firstLine, shortSha, when } from '../format';
import { useNow, useResource } from '../live';
import { ProductionRunsBadAlert } from '../ProductionRunsBad';
import { Badge, Empty, Loading, Problem, RevisionLink, Section } from '../ui';

/** QA's verdict on a revision, as qa-gate names it. */
type QaStatus = Revision['qaStatus'];

const CHANGES = ['revision-landed', 'qa-status-changed', 'qa-passed', 'qa-tip-moved', 'promoted', 'approval-withdrawn', 'production-qa-changed'];
/** No event says a landing was queued, refused or dismissed: /deployable is asked again this often. */
const LANDINGS_POLL_MS = 15_000;

function isLandingBlocker(b: AnyBlocker | null): b is LandingBlocker {
  return b !== null && (b.kind === 'landing-refused' || b.kind === 'landing-pending');
}
const STATUS_TEXT: Record<QaStatus, string> = {
  'needs-testing': 'needs testing', ok: 'ok', bad: 'bad', untestable: 'untestable', 'no-qa': 'no QA',
};

export function Pipeline({ capabilities }: { capabilities: Capabilities }) {
  const dep = useResource<Deployable>('qa-gate', '/deployable', CHANGES, { pollMs: LANDINGS_POLL_MS });
  const now = useNow(5000);
  const branch = dep.data?.branch;
  const revs = useResource<RevisionPage>('qa-gate', branch ? `/revisions?branch=${encodeURIComponent(branch)}&limit=80` : null, CHANGES);
  const [selected, setSelected] = useState<number>();
  const d = dep.data;
  const items = revs.data?.items ?? [];
  const chosen = items.find((r) => r.revno === selected);
  const reload = () => {
    dep.reload();
    revs.reload();
  };
  return (
    <>
      <h1>Pipeline{branch ? `: ${branch}` : ''}</h1>
      <Problem message={dep.error} />
      {!d && !dep.error && <Loading what="the deployable revision" />}
      {d?.productionRunsBad && <ProductionRunsBadAlert bad={d.productionRunsBad} now={now} />}
      {d && (
        <dl className="facts" aria-label="Where the branch stands">
          <div data-testid="fact-last-promoted">
            <dt>Last promoted</dt>
            <dd>{d.lastPromoted ? <RevisionLink rev={d.lastPromoted} /> : 'none yet'}</dd>
          </div>
          <div data-testid="fact-deployable">
            <dt>Deployable</dt>
            <dd>{d.deployable ? <RevisionLink rev={d.deployable} /> : 'none yet'}</dd>
          </div>
          <div data-testid="fact-tip">
            <dt>Tip</dt>
            <dd>{d.tip ? <RevisionLink rev={d.tip} /> : 'nothing landed'}</dd>
          </div>
          <div>
            <dt>Waiting above deployable</dt>
            <dd>{d.waiting}</dd>
          </div>
          {(d.landings?.pending ?? 0) > 0 && (
            <div data-testid="fact-landings-pending">
              <dt>Landings waiting for git</dt>
              <dd>{d.landings.pending}</dd>
            </div>
          )}
          {(d.landings?.refused.length ?? 0) > 0 && (
            <div data-testid="fact-landings-refused">
              <dt>Landings refused</dt>
              <dd>{d.landings.refused.length}</dd>
            </div>
          )}
        </dl>
      )}
      {d && <Blocker d={d} capabilities={capabilities} onChanged={reload} />}
      <Section title="Revisions" actions={<Legend />}>
        <Problem message={revs.error} />
        {revs.loading && !revs.data && <Loading what="revisions" />}
        {revs.data && items.length === 0 && <Empty>Nothing has landed on {branch} yet.</Empty>}
        {items.length > 0 && (
          <ol className="timeline" aria-label={`Revisions on ${branch}, newest first`}>
            {items.map((r) => {
              const collapsed = r.landedWith && r.landedWith !== r.sha;
              const marks = [
                d?.tip?.revno === r.revno && 'tip',
                d?.deployable?.revno === r.revno && 'deployable',
                d?.lastPromoted?.revno === r.revno && 'last promoted',
              ].filter((m): m is string => Boolean(m));
              return (
                <li key={r.id} className={`rev qa-${r.qaStatus}${d?.blocker?.revno === r.revno ? ' is-blocker' : ''}`} data-revno={r.revno} data-status={r.qaStatus}>
                  <button
                    type="button"
                    className="rev-button"
                    aria-pressed={selected === r.revno}
                    onClick={() => setSelected(selected === r.revno ? undefined : r.revno)}
                  >
                    <span className="rev-no">r{r.revno}</span>
                    <span className={`qa qa-${r.qaStatus}`}>{STATUS_TEXT[r.qaStatus]}</span>
                    {r.db && (
                      <Badge kind="db" title="Changes the database schema: its promotion needs a downtime deploy">
                        DB
                      </Badge>
                    )}
                    {marks.map((m) => (
                      <Badge key={m} kind={m.replace(' ', '-')}>
                        {m}
                      </Badge>
                    ))}
                    {d?.blocker?.revno === r.revno && <Badge kind="blocker">blocks</Badge>}
                    <span className="rev-msg">{firstLine(r.message) || shortSha(r.sha)}</span>
                    {collapsed && (
                      <span className="muted small" data-testid="landed-with" title="buildbot collapsed builds: this revision was not reported itself, but came with a later one">
                        {landedWithText(r)}
                      </span>
                    )}
                    <span className="muted small">{r.author ?? ''}</span>
                  </button>
                  {/* Beside the button, not in it: a link inside a button is neither valid nor reachable by keyboard. */}
                  <RevisionLink rev={r} label={`The story of r${r.revno}`}>
                    story
                  </RevisionLink>
                </li>
              );
            })}
          </ol>
        )}
      </Section>
      {chosen && <RevisionDetail rev={chosen} capabilities={capabilities} onChanged={reload} />}
    </>
  );
}

/** `landed with 3f2a9c0d1e in build 812`. */
function landedWithText(r: Pick<Revision, 'landedWith' | 'buildId'>): string {
  return `landed with ${shortSha(r.landedWith)}${r.buildId != null ? ` in build ${r.buildId}` : ''}`;
}

function Legend() {
  return (
    <ul className="legend" aria-label="Colours">
      {(Object.keys(STATUS_TEXT) as QaStatus[]).map((s) => (
        <li key={s}>
          <span className={`swatch qa-${s}`} aria-hidden="true" /> {STATUS_TEXT[s]}
        </li>
      ))}
    </ul>
  );
}

function Blocker({ d, capabilities, onChanged }: { d: Deployable; capabilities: Capabilities; onChanged: () => void }) {
  const b = d.blocker;
  // The wait grows while the page is open: count from when the service measured it.
  const measuredAt = useMemo(() => Date.now(), [b]);
  const now = useNow(1000);
  if (!b) {
    return (
      <Section title="Nothing blocks">
        <p data-testid="no-blocker">Every landed revision is deployable{d.deployable ? ` up to r${d.deployable.revno}` : ''}.</p>
      </Section>
    );
  }
  const waited = duration(b.waitingSeconds + Math.max(0, now - measuredAt) / 1000);
  if (isLandingBlocker(b)) return <LandingBlockerView b={b} waited={waited} capabilities={capabilities} onChanged={onChanged} />;
  const qaCanAct = b.actor === 'qa' && (b.status === 'needs-testing' || b.kind === 'needs-testing' || b.kind === 'needs-testing-fix');
  return (
    <Section title={`Blocked at r${b.revno}`} id="blocker">
      <p className="blocker-reason" data-testid="blocker-reason">
        {b.reason}
      </p>
      <dl className="facts small">
        <div>
          <dt>Who must act</dt>
          <dd>{actorLabel(b.actor)}</dd>
        </div>
        <div>
          <dt>Author</dt>
          <dd>{b.author ?? '—'}</dd>
        </div>
        <div>
          <dt>Waiting</dt>
          <dd>{waited}</dd>
        </div>
      </dl>
      {d.nextAction && <p className="next-action">Next: {d.nextAction.description}</p>}
      {qaCanAct && capabilities.qa && <QaButtons id={b.id} revno={b.revno} onChanged={onChanged} />}
      {qaCanAct && !capabilities.qa && <p className="muted small">Your token may not set QA status.</p>}
    </Section>
  );
}

function LandingBlockerView({ b, waited, capabilities, onChanged }: { b: LandingBlocker; waited: string; capabilities: Capabilities; onChanged: () => void }) {
  const refused = b.kind === 'landing-refused';
  return (
    <Section title={`Blocked by the landing of ${shortSha(b.sha)}`} id="blocker">
      <p className="blocker-reason" data-testid="blocker-reason">
        {refused ? 'Refused: ' : 'Waiting for git: '}
        {b.reason}
      </p>
      <dl className="facts small">
        <div>
          <dt>Who must act</dt>
          <dd>{actorLabel(b.actor)}</dd>
        </div>
        <div>
          <dt>Landing</dt>
          <dd>
            {b.landingId} (<code>{b.sha}</code>)
          </dd>
        </div>
        <div>
          <dt>Author</dt>
          <dd>{b.author ?? '—'}</dd>
        </div>
        <div>
          <dt>Waiting</dt>
          <dd>{waited}</dd>
        </div>
      </dl>
      {refused && capabilities.operator && <DismissLanding id={b.landingId} sha={b.sha} onChanged={onChanged} />}
      {refused && !capabilities.operator && <p className="muted small">Your token may not dismiss landings.</p>}
    </Section>
  );
}

/** An operator sets a refused landing aside, with a reason, once the branch is set right (or the landing was a mistake). */
function DismissLanding({ id, sha, onChanged }: { id: string; sha: string; onChanged: () => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.send('POST', 'qa-gate', `/landings/${encodeURIComponent(id)}/dismiss`, { reason });
      setReason('');
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label={`Dismiss the landing of ${shortSha(sha)}`}>
      <label className="grow">
        Reason to dismiss the landing of {shortSha(sha)}
        <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required />
      </label>
      <button type="submit" disabled={busy}>
        Dismiss landing
      </button>
      <Problem message={error} />
    </form>
  );
}

function QaButtons({ id, revno, onChanged }: { id: string; revno: number; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const set = async (status: QaStatus) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.send('PATCH', 'qa-gate', `/revisions/${id}/qa`, { status, note: 'set from the dashboard' });
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="actions" role="group" aria-label={`QA action for r${revno}`}>
      <button type="button" disabled={busy} onClick={() => set('ok')}>
        Mark r{revno} ok
      </button>
      <button type="button" className="secondary" disabled={busy} onClick={() => set('untestable')}>
        Mark r{revno} untestable
      </button>
      <Problem message={error} />
    </div>
  );
}

function RevisionDetail({ rev, capabilities, onChanged }: { rev: Revision; capabilities: Capabilities; onChanged: () => void }) {
  const [status, setStatus] = useState<QaStatus>(rev.qaStatus);
  const [note, setNote] = useState('');
  const [fixedBy, setFixedBy] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.send('PATCH', 'qa-gate', `/revisions/${rev.id}/qa`, {
        status, ...(note ? { note } : {}), ...(status === 'bad' && fixedBy ? { fixedBy } : {}),
      });
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={`r${rev.revno}`} id="revision-detail" actions={<RevisionLink rev={rev}>The story of r{rev.revno}</RevisionLink>}>
      <dl className="facts small">
        <div>
          <dt>sha</dt>
          <dd>
            <code>{rev.sha}</code>
          </dd>
        </div>
        <div>
          <dt>Author</dt>
          <dd>{rev.author ?? '—'}</dd>
        </div>
        <div>
          <dt>Landed</dt>
          <dd>{when(rev.landedAt)}</dd>
        </div>
        {(rev.buildId != null || rev.buildUrl) && (
          <div>
            <dt>Build</dt>
            <dd>{rev.buildUrl && /^https?:\/\//.test(rev.buildUrl) ? <a href={rev.buildUrl}>{rev.buildId != null ? `build ${rev.buildId}` : 'the build'}</a> : rev.buildId != null ? `build ${rev.buildId}` : rev.buildUrl}</dd>
          </div>
        )}
        {rev.landedWith && rev.landedWith !== rev.sha && (
          <div>
            <dt>Collapsed build</dt>
            <dd>{landedWithText(rev)}</dd>
          </div>
        )}
        <div>
          <dt>QA</dt>
          <dd>{STATUS_TEXT[rev.qaStatus]}</dd>
        </div>
        {rev.fixedByRevno && (
          <div>
            <dt>Fixed by</dt>
            <dd>
              <RevisionLink rev={{ revno: rev.fixedByRevno }}>r{rev.fixedByRevno}</RevisionLink>
            </dd>
          </div>
        )}
        {rev.fixesRevno && (
          <div>
            <dt>Fixes</dt>
            <dd>
              <RevisionLink rev={{ revno: rev.fixesRevno }}>r{rev.fixesRevno}</RevisionLink>
            </dd>
          </div>
        )}
        <div>
          <dt>Database</dt>
          <dd>{rev.db ? 'changes the schema (downtime deploy)' : rev.enrichedAt ? 'no schema change' : 'not read from git yet'}</dd>
        </div>
      </dl>
      {rev.message && <pre className="message">{rev.message}</pre>}
      {capabilities.qa && (
        <form className="inline-form" onSubmit={submit} aria-label={`Set the QA status of r${rev.revno}`}>
          <label>
            QA status
            <select value={status} onChange={(e) => setStatus(e.target.value as QaStatus)}>
              {(Object.keys(STATUS_TEXT) as QaStatus[]).map((s) => (
                <option key={s} value={s}>
                  {STATUS_TEXT[s]}
                </option>
              ))}
            </select>
          </label>
          {status === 'bad' && (
            <label>
              Fixed by (revno or sha, optional)
              <input value={fixedBy} onChange={(e) => setFixedBy(e.target.value)} />
            </label>
          )}
          <label>
            Note
            <input value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Save
          </button>
          <Problem message={error} />
        </form>
      )}
    </Section>
  );
}
