/**
 * Cowboys (hot patches applied by hand) and the servers kept out of rollouts: by an
 * operator's hold, or by a cowboy with the `hold` policy.
 */
import { type FormEvent, useState } from 'react';
import { api, type Capabilities } from '../api';
import { when } from '../format';
import { useResource } from '../live';
import { Badge, Empty, Loading, Problem, RevisionLink, Section } from '../ui';
import type { Cowboy, Server } from '@runway/contracts/http';

const CHANGES = ['cowboy-applied', 'cowboy-removed', 'deploy-reported'];

export function Cowboys({ capabilities }: { capabilities: Capabilities }) {
  const cowboys = useResource<Cowboy[]>('rollout', '/cowboys', CHANGES);
  const servers = useResource<Server[]>('rollout', '/servers', CHANGES);
  const live = (cowboys.data ?? []).filter((c) => c.status === 'applied');
  const retired = (cowboys.data ?? []).filter((c) => c.status === 'retired');
  const held = new Map<string, string[]>();
  for (const s of servers.data ?? []) if (s.hold) held.set(s.host, [`held by ${s.hold.author}: ${s.hold.reason}${s.hold.until ? ` (until ${when(s.hold.until)})` : ''}`]);
  for (const c of live.filter((x) => x.policy === 'hold')) {
    held.set(c.host, [...(held.get(c.host) ?? []), `cowboy ${c.patchHash.slice(0, 10)} (hold): ${c.reason ?? 'no reason given'}`]);
  }
  return (
    <>
      <h1>Cowboys</h1>
      <Problem message={cowboys.error ?? servers.error} />
      <Section title="Servers kept out of rollouts">
        {!servers.data && !servers.error && <Loading what="servers" />}
        {servers.data && held.size === 0 && <Empty>No server is held: every server takes every rollout.</Empty>}
        {held.size > 0 && (
          <ul className="plain" aria-label="Held servers">
            {[...held.entries()].sort().map(([host, why]) => (
              <li key={host} data-held-host={host}>
                <strong>{host}</strong>: {why.join('; ')}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Applied">
        {!cowboys.data && !cowboys.error && <Loading what="cowboys" />}
        {cowboys.data && live.length === 0 && <Empty>No cowboy is applied anywhere: production is clean.</Empty>}
        {live.length > 0 && <CowboyTable rows={live} capabilities={capabilities} onChanged={cowboys.reload} />}
      </Section>
      {capabilities.operator && <RecordCowboy onChanged={cowboys.reload} />}
      <Section title="Retired">
        {retired.length === 0 ? <Empty>None yet.</Empty> : <CowboyTable rows={retired} capabilities={capabilities} onChanged={cowboys.reload} />}
      </Section>
    </>
  );
}

function CowboyTable({ rows, capabilities, onChanged }: { rows: Cowboy[]; capabilities: Capabilities; onChanged: () => void }) {
  const [error, setError] = useState<string>();
  const retire = async (c: Cowboy) => {
    const reason = window.prompt(`Why is cowboy ${c.patchHash.slice(0, 10)} on ${c.host} gone?`);
    if (!reason) return;
    setError(undefined);
    try {
      await api.send('DELETE', 'rollout', `/cowboys/${c.id}`, { reason });
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <>
      <table>
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">Patch</th>
            <th scope="col">Policy</th>
            <th scope="col">Why</th>
            <th scope="col">Applied</th>
            <th scope="col">Fixed by</th>
            <th scope="col">Status</th>
            {capabilities.operator && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.id} data-cowboy-host={c.host}>
              <th scope="row">{c.host}</th>
              <td>
                <code title={c.patchHash}>{c.patchHash.slice(0, 12)}</code>
                {c.detected && <Badge kind="warn" title="Found by the agent's scan: nobody told Runway">detected</Badge>}
              </td>
              <td>{c.policy}</td>
              <td>{c.reason}</td>
              <td>
                {when(c.appliedAt)} <span className="muted small">by {c.appliedBy}</span>
              </td>
              <td>
                {c.fixedBy ? (
                  <RevisionLink rev={{ sha: c.fixedBy }}>
                    <code>{c.fixedBy.slice(0, 10)}</code>
                  </RevisionLink>
                ) : (
                  '—'
                )}
              </td>
              <td>{c.status === 'retired' ? `retired ${when(c.retiredAt)}${c.retiredReason ? `: ${c.retiredReason}` : ''}` : 'applied'}</td>
              {capabilities.operator && (
                <td>
                  {c.status === 'applied' && (
                    <button type="button" className="secondary small" onClick={() => retire(c)}>
                      Retire
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <Problem message={error} />
    </>
  );
}

function RecordCowboy({ onChanged }: { onChanged: () => void }) {
  const [hosts, setHosts] = useState('');
  const [patchHash, setPatchHash] = useState('');
  const [reason, setReason] = useState('');
  const [policy, setPolicy] = useState<'hold' | 'carry'>('hold');
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api.send('POST', 'rollout', '/cowboys', {
        hosts: hosts.split(/[\s,]+/).filter(Boolean), patchHash: patchHash.trim(), reason, policy,
      });
      setHosts('');
      setPatchHash('');
      setReason('');
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Section title="Record a cowboy">
      <form className="inline-form" onSubmit={submit}>
        <label>
          Hosts (comma separated)
          <input value={hosts} onChange={(e) => setHosts(e.target.value)} required />
        </label>
        <label>
          Patch hash
          <input value={patchHash} onChange={(e) => setPatchHash(e.target.value)} required pattern="[0-9a-f]{7,128}" />
        </label>
        <label>
          Reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} required minLength={3} />
        </label>
        <label>
          Policy
          <select value={policy} onChange={(e) => setPolicy(e.target.value as 'hold' | 'carry')}>
            <option value="hold">hold (keep the server out of rollouts)</option>
            <option value="carry">carry (re-apply after each deploy)</option>
          </select>
        </label>
        <button type="submit">Record</button>
        <Problem message={error} />
      </form>
    </Section>
  );
}
