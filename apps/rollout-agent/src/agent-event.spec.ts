import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import {
  type AgentHeartbeatV1, type CloudEvent, type CowboyAppliedV1, type DeployReportedV1, type DeployRequestedV1, type DeployStatus, Events, HOST_PATTERN, parseEvent,
} from '@runway/contracts';
import { isPoison } from '@runway/messaging';
import { checkedEvent, cowboyEventId, InvalidAgentEventError } from './agent-event';
import { loadAgentEnv } from './config';

/** What the agent's config accepts as AGENT_HOST, so the cases below start from a host it would run as. */
function agentHost(host: string): string {
  return loadAgentEnv({
    AGENT_HOST: host, AGENT_ENVIRONMENT: 'lpnet', RUNWAY_ROLLOUT_URL: 'http://rollout', RUNWAY_AGENT_TOKEN: 'rwy_0123456789abcdef', AGENT_DEPLOY_COMMAND: 'true',
  }).AGENT_HOST;
}

/** The cowboy report exactly as `scanCowboys` builds it from one line of the scan's output. */
function scannedCowboy(host: string, patchHash: string): { data: CowboyAppliedV1; id: string } {
  return { data: { host, patchHash, appliedBy: `found by the agent on ${host}`, detected: true }, id: cowboyEventId(host, patchHash) };
}

function refusal(fn: () => unknown): InvalidAgentEventError {
  try {
    fn();
  } catch (e) {
    return e as InvalidAgentEventError;
  }
  throw new Error('the event was not refused');
}

const hex = (n: number) => 'c0ffee'.repeat(Math.ceil(n / 6)).slice(0, n);

describe('checkedEvent: what the agent may publish', () => {
  const heartbeat: AgentHeartbeatV1 = { host: 'app1.lpnet', environment: 'lpnet', agentVersion: '0.1.0', uptimeS: 3 };

  it('builds the envelope a consumer accepts, named after this host', () => {
    const event = checkedEvent(Events.AgentHeartbeat, heartbeat, { id: 'hb-1', host: 'app1.lpnet' });
    expect(event).toMatchObject({ id: 'hb-1', source: 'runway/agent/app1.lpnet', type: Events.AgentHeartbeat.type, subject: 'app1.lpnet', correlationid: 'hb-1', data: heartbeat });
    expect(parseEvent(JSON.stringify(event)).ok).toBe(true);
  });

  it('carries the correlation of the request it answers, and names it as the cause', () => {
    const request = { id: randomUUID(), correlationid: randomUUID() } as CloudEvent<DeployRequestedV1>;
    const data: DeployReportedV1 = { deployId: randomUUID(), rolloutId: randomUUID(), host: 'app1.lpnet', revision: 'abc1234', status: 'started' };
    const event = checkedEvent(Events.DeployReported, data, { id: `${data.deployId}:started`, host: 'app1.lpnet', cause: request });
    expect(event).toMatchObject({ correlationid: request.correlationid, causationid: request.id });
  });

  // The agent's scan regexp and CowboyAppliedV1.patchHash both take up to 128 hex digits (a
  // SHA-512), but `cowboy:<host>:<hash>` may be 128 characters at most as an event id: every
  // consumer dead-lettered such a report, and the cowboy was never known. Its id now fits.
  it('reports a cowboy whose hash is a SHA-512, which the scan accepts, under an id that fits', () => {
    const { data, id } = scannedCowboy(agentHost('app1.lpnet'), hex(128));
    expect(/^\s*([0-9a-f]{7,128})(?:\s+(.*))?$/.exec(data.patchHash)?.[1]).toBe(data.patchHash);
    expect(`cowboy:app1.lpnet:${data.patchHash}`.length).toBeGreaterThan(128);
    const event = checkedEvent(Events.CowboyApplied, data, { id, host: data.host });
    expect(event.data.patchHash).toBe(data.patchHash);
    // The same patch on the same host is the same event, at every heartbeat; another host's is not.
    expect(id).toBe(scannedCowboy('app1.lpnet', hex(128)).id);
    expect(id).not.toBe(scannedCowboy('app2.lpnet', hex(128)).id);
  });

  it('keeps the readable id of a short hash, and refuses an id too long for the envelope', () => {
    const host = agentHost(`app1.${'lpnet-eu-west-1'.repeat(3)}.example.internal`);
    expect(host.length).toBeGreaterThan(56);
    expect(scannedCowboy(host, hex(12)).id).toBe(`cowboy:${host}:${hex(12)}`);
    const sha256 = scannedCowboy(host, hex(64));
    expect(checkedEvent(Events.CowboyApplied, sha256.data, { id: sha256.id, host }).data).toEqual(sha256.data);
    // The check itself refuses what the envelope cannot carry, naming both fields.
    const e = refusal(() => checkedEvent(Events.CowboyApplied, sha256.data, { id: `cowboy:${host}:${hex(64)}`, host }));
    expect(e).toBeInstanceOf(InvalidAgentEventError);
    expect(e).toMatchObject({ code: 'INVALID_OUTGOING_EVENT', eventType: Events.CowboyApplied.type });
    expect(e.reason).toBe('id: id must be shorter than or equal to 128 characters; correlationid: correlationid must be shorter than or equal to 128 characters');
    expect(e.message).toBe(`refusing to publish ${Events.CowboyApplied.type}: ${e.reason}`);
  });

  it('names every bad field of a host name the config accepts but the contract cannot carry', () => {
    // RFC 1123 allows 253 characters; "found by the agent on <host>" and "runway/agent/<host>" overflow 256.
    const host = agentHost(['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(60)].join('.'));
    expect(host).toMatch(HOST_PATTERN);
    const { data } = scannedCowboy(host, hex(7));
    const cowboy = refusal(() => checkedEvent(Events.CowboyApplied, data, { id: randomUUID(), host }));
    expect(cowboy.reason).toContain('source: source must be shorter than or equal to 256 characters');
    expect(cowboy.reason).toContain('data.appliedBy: appliedBy must be shorter than or equal to 256 characters');
    const beat = refusal(() => checkedEvent(Events.AgentHeartbeat, { ...heartbeat, host }, { id: randomUUID(), host }));
    expect(beat.reason).toBe('source: source must be shorter than or equal to 256 characters');
  });

  it('names the bad payload field, never its value, and is poison to the consumer that asked', () => {
    const data = {
      deployId: randomUUID(), rolloutId: randomUUID(), host: 'app1.lpnet', revision: 'abc1234', status: 'succeded' as DeployStatus, outputTail: 'DB_PASSWORD=hunter2',
    };
    const e = refusal(() => checkedEvent(Events.DeployReported, data, { id: `${data.deployId}:succeded`, host: 'app1.lpnet' }));
    expect(e.reason).toMatch(/^data\.status: status must be one of the following values/);
    expect(e.message).not.toContain('hunter2');
    expect(e.message).not.toContain('succeded');
    // So a deploy request whose report can never be valid is dead-lettered, not redelivered for ever.
    expect(isPoison(e)).toBe(true);
  });

  it('refuses a progress report whose elapsed time went negative with the wall clock', () => {
    const data = { deployId: randomUUID(), rolloutId: randomUUID(), host: 'app1.lpnet', outputTail: '', elapsedMs: -40 };
    expect(refusal(() => checkedEvent(Events.DeployProgress, data, { id: randomUUID(), host: 'app1.lpnet' })).reason).toMatch(/^data\.elapsedMs: /);
  });
});
