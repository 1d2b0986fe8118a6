/**
 * Feature flags: the rules as text in an editor that marks each line the service refuses,
 * the changelog with diffs, the documentation, flags nobody documented or evaluates any more,
 * and an "evaluate with explain" box.
 */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type {
  Changelog as ChangelogAnswer, FlagExplanation, FlagList, FlagSummary, LineError, Rule, RuleChange, RulesCheck, RuleSet, StaleFlags, Undocumented,
} from '@runway/contracts/http';
import { api, ApiError, type Capabilities } from '../api';
import { when } from '../format';
import { useResource } from '../live';
import { Empty, Loading, Problem, Section } from '../ui';

const CHANGES = ['flag-changed'];

export function Flags({ capabilities }: { capabilities: Capabilities }) {
  const flags = useResource<FlagList>('flags', '/flags', CHANGES);
  return (
    <>
      <h1>Flags</h1>
      <RulesEditor canEdit={capabilities.flagEditor} />
      <Evaluate names={(flags.data?.flags ?? []).map((f) => f.name)} />
      <Changelog />
      <Docs flags={flags.data?.flags} error={flags.error} />
      <Neglected />
    </>
  );
}

function RulesEditor({ canEdit }: { canEdit: boolean }) {
  const rules = useResource<RuleSet>('flags', '/rules', CHANGES);
  const [draft, setDraft] = useState<string>();
  const [comment, setComment] = useState('');
  const [errors, setErrors] = useState<LineError[]>([]);
  const [message, setMessage] = useState<{ kind: 'ok' | 'problem'; text: string }>();
  const [preview, setPreview] = useState<string>();
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const saved = rules.data?.text ?? '';
  const text = draft ?? saved;
  const dirty = draft !== undefined && draft !== saved;
  const lines = text.split('\n');
  const errorAt = new Map<number, string[]>();
  for (const e of errors) errorAt.set(e.line, [...(errorAt.get(e.line) ?? []), e.message]);

  useEffect(() => {
    // Someone else saved while nobody was editing here: show theirs.
    if (draft !== undefined && draft === saved) setDraft(undefined);
  }, [saved, draft]);

  const goToLine = (line: number) => {
    const el = area.current;
    if (!el) return;
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    el.focus();
    el.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  };

  const refused = (e: unknown) => {
    if (e instanceof ApiError && Array.isArray(e.body?.errors)) {
      setErrors(e.body.errors);
      setMessage({ kind: 'problem', text: `Not saved: ${e.body.errors.length} line(s) refused. Nothing changed.` });
    } else if (e instanceof ApiError && e.status === 409) {
      setMessage({ kind: 'problem', text: 'Not saved: the rules changed since you loaded them. Copy your edit, reload, and apply it again.' });
    } else {
      setMessage({ kind: 'problem', text: (e as Error).message });
    }
  };

  const check = async () => {
    setBusy(true);
    setMessage(undefined);
    try {
      const r = await api.send<RulesCheck>('POST', 'flags', '/rules/check', { text });
      setErrors(r.errors ?? []);
      setPreview(r.diff);
      setMessage(r.ok ? { kind: 'ok', text: 'The rules are valid.' } : { kind: 'problem', text: `${r.errors.length} line(s) would be refused.` });
    } catch (e) {
      refused(e);
    } finally {
      setBusy(false);
    }
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setMessage(undefined);
    try {
      const r = await api.send<RuleChange>('PUT', 'flags', '/rules', {
        text, comment, ...(rules.data ? { expectedVersion: rules.data.version } : {}),
      });
      setErrors([]);
      setPreview(undefined);
      setComment('');
      setDraft(undefined);
      setMessage({ kind: 'ok', text: r.changed === false ? 'Nothing changed.' : `Saved: version ${r.version}.` });
      rules.reload();
    } catch (err) {
      refused(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="Rules" actions={rules.data ? <span className="muted small">version {String(rules.data.version)}</span> : undefined}>
      <Problem message={rules.error} />
      {!rules.data && !rules.error && <Loading what="the rules" />}
      {rules.data && (
        <form onSubmit={save} className="rules-form">
          <p className="muted small">
            One rule a line: <code>flag scope priority value</code>. Scopes: <code>default</code>, <code>server.&lt;env&gt;</code>, <code>pageid:&lt;page&gt;</code>,{' '}
            <code>team:&lt;name&gt;</code>, <code>user:&lt;name&gt;</code>, <code>script:&lt;name&gt;</code>, <code>userslice:&lt;a&gt;,&lt;b&gt;</code>, <code>percent:&lt;n&gt;</code>.
          </p>
          <label htmlFor="rules-text">Rules text</label>
          <div className="editor">
            <div className="gutter" ref={gutter} aria-hidden="true">
              {lines.map((_, i) => (
                <div key={i} className={errorAt.has(i + 1) ? 'gutter-error' : undefined} title={errorAt.get(i + 1)?.join('; ')}>
                  {i + 1}
                </div>
              ))}
            </div>
            <textarea
              id="rules-text"
              ref={area}
              value={text}
              wrap="off"
              spellCheck={false}
              readOnly={!canEdit}
              rows={Math.min(Math.max(lines.length + 1, 8), 30)}
              aria-invalid={errors.length > 0 || undefined}
              aria-describedby={errors.length ? 'rules-errors' : undefined}
              onScroll={(e) => {
                if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
              }}
              onChange={(e) => {
                setDraft(e.target.value);
                setErrors([]);
              }}
            />
          </div>
          {errors.length > 0 && (
            <ul id="rules-errors" className="line-errors" aria-label="Refused lines">
              {errors.map((er, i) => (
                <li key={i} data-line={er.line}>
                  <button type="button" className="link" onClick={() => goToLine(er.line)}>
                    Line {er.line}
                  </button>
                  : {er.message} <code>{lines[er.line - 1] ?? ''}</code>
                </li>
              ))}
            </ul>
          )}
          {canEdit ? (
            <div className="inline-form">
              <label>
                Why (goes in the changelog)
                <input value={comment} onChange={(e) => setComment(e.target.value)} required minLength={3} />
              </label>
              <button type="button" className="secondary" onClick={check} disabled={busy}>
                Check
              </button>
              <button type="submit" disabled={busy || !dirty}>
                Save rules
              </button>
              {dirty && (
                <button type="button" className="secondary" onClick={() => (setDraft(undefined), setErrors([]), setMessage(undefined))}>
                  Discard edit
                </button>
              )}
            </div>
          ) : (
            <p className="muted small">Your token may read the rules but not change them.</p>
          )}
          {message && (
            <p className={message.kind === 'ok' ? 'notice' : 'problem'} role={message.kind === 'ok' ? 'status' : 'alert'} data-testid="rules-message">
              {message.text}
            </p>
          )}
          {preview && <Diff text={preview} label="What would change" />}
        </form>
      )}
    </Section>
  );
}

function Diff({ text, label }: { text: string; label: string }) {
  return (
    <pre className="diff" aria-label={label}>
      {text.split('\n').map((l, i) => (
        <span key={i} className={l.startsWith('+') && !l.startsWith('+++') ? 'ins' : l.startsWith('-') && !l.startsWith('---') ? 'del' : l.startsWith('@@') ? 'hunk' : undefined}>
          {l}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

function Changelog() {
  const log = useResource<ChangelogAnswer>('flags', '/changelog?limit=20', CHANGES);
  return (
    <Section title="Changelog">
      <Problem message={log.error} />
      {!log.data && !log.error && <Loading what="the changelog" />}
      {log.data && log.data.entries.length === 0 && <Empty>No change yet.</Empty>}
      {log.data && log.data.entries.length > 0 && (
        <ol className="changelog plain">
          {log.data.entries.map((c, i) => (
            <li key={String(c.id)} data-change={String(c.id)}>
              <details open={i === 0}>
                <summary>
                  <strong>{c.comment || '(no comment)'}</strong> <span className="muted small">by {c.by}, {when(c.at)}{c.flags?.length ? `; ${c.flags.join(', ')}` : ''}</span>
                </summary>
                <Diff text={c.diff ?? ''} label={`Diff of change ${c.id}`} />
              </details>
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

function Docs({ flags, error }: { flags: FlagSummary[] | undefined; error: string | undefined }) {
  return (
    <Section title="Documentation">
      <Problem message={error} />
      {!flags && !error && <Loading what="flags" />}
      {flags && flags.length === 0 && <Empty>No flag is documented or ruled yet.</Empty>}
      {flags && flags.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Flag</th>
              <th scope="col">Title</th>
              <th scope="col">Domain</th>
              <th scope="col">Default</th>
              <th scope="col">Rules</th>
              <th scope="col">Last evaluated</th>
            </tr>
          </thead>
          <tbody>
            {flags.map((f) => (
              <tr key={f.name}>
                <th scope="row">
                  <code>{f.name}</code>
                </th>
                <td>{f.documented ? (f.title ?? '') : <span className="problem-text">undocumented</span>}{f.description && <div className="muted small">{f.description}</div>}</td>
                <td>{f.domain ?? '—'}</td>
                <td>{f.default ?? '—'}</td>
                <td>{f.rules}</td>
                <td>{f.lastEvaluatedAt ? when(f.lastEvaluatedAt) : 'never'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function Neglected() {
  const undocumented = useResource<Undocumented>('flags', '/undocumented', CHANGES);
  const stale = useResource<StaleFlags>('flags', '/flags/stale?days=30', CHANGES);
  const seen = [...(undocumented.data?.flags ?? []).map((f) => ({ ...f, kind: 'flag' })), ...(undocumented.data?.scopes ?? []).map((s) => ({ ...s, kind: 'scope' }))];
  return (
    <>
      <Section title="Used but undocumented">
        <Problem message={undocumented.error} />
        {undocumented.data && seen.length === 0 && <Empty>Every flag and scope in use is documented.</Empty>}
        {seen.length > 0 && (
          <ul className="plain">
            {seen.map((s) => (
              <li key={`${s.kind}-${s.name}`}>
                {s.kind} <code>{s.name}</code> <span className="muted small">seen {when(s.firstSeen)} – {when(s.lastSeen)} from {s.source}</span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Not evaluated for 30 days">
        <Problem message={stale.error} />
        {stale.data && stale.data.flags.length === 0 && <Empty>Every flag has been evaluated recently.</Empty>}
        {stale.data && stale.data.flags.length > 0 && (
          <ul className="plain">
            {stale.data.flags.map((f) => (
              <li key={f.name}>
                <code>{f.name}</code> <span className="muted small">{f.lastEvaluatedAt ? `last ${when(f.lastEvaluatedAt)}` : 'never evaluated'}</span>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

function ruleText(r: Rule | null | undefined): string {
  return r ? `${r.flag} ${r.scope} ${r.priority} ${r.value}` : 'none';
}

function Evaluate({ names }: { names: string[] }) {
  const [flag, setFlag] = useState('');
  const [context, setContext] = useState('{\n  "user": "ada",\n  "teams": ["launchpad"],\n  "server": "lpnet"\n}');
  const [result, setResult] = useState<FlagExplanation>();
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setResult(undefined);
    let ctx: unknown;
    try {
      ctx = JSON.parse(context);
    } catch {
      setError('The context must be a JSON object.');
      return;
    }
    try {
      setResult(await api.send<FlagExplanation>('POST', 'flags', `/evaluate/${encodeURIComponent(flag.trim())}`, { context: ctx }));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Section title="Evaluate with explain">
      <form className="inline-form" onSubmit={submit}>
        <label>
          Flag
          <input value={flag} onChange={(e) => setFlag(e.target.value)} list="flag-names" required />
        </label>
        <datalist id="flag-names">
          {names.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        <label className="grow">
          Context (JSON)
          <textarea value={context} onChange={(e) => setContext(e.target.value)} rows={5} spellCheck={false} />
        </label>
        <button type="submit">Evaluate</button>
      </form>
      <Problem message={error} />
      {result && (
        <div className="explain" role="status" data-testid="evaluation">
          <p>
            <code>{result.flag}</code> = <strong>{JSON.stringify(result.value)}</strong> ({result.reason}; rule: <code>{ruleText(result.rule)}</code>)
          </p>
          {result.explain && (
            <>
              <p className="small">Active scopes: {result.explain.activeScopes.join(', ') || 'none'}</p>
              <ol className="small">
                {result.explain.steps.map((s, i) => (
                  <li key={i} className={ruleText(s.rule) === ruleText(result.rule) ? 'step-chosen' : s.active ? undefined : 'muted'}>
                    <code>{ruleText(s.rule)}</code>: {s.why}
                    {ruleText(s.rule) === ruleText(result.rule) && <strong> (gave the value)</strong>}
                  </li>
                ))}
              </ol>
            </>
          )}
        </div>
      )}
    </Section>
  );
}
