import { Subjects } from '@runway/contracts';
import { type LiveClient, LiveHub } from './live';

function event(type: string, data: object, id = Math.random().toString(36)) {
  return new TextEncoder().encode(JSON.stringify({ specversion: '1.0', id, type, source: 'test', time: '2026-01-01T00:00:00Z', data }));
}

function client(sessionId = 's1') {
  const chunks: string[] = [];
  let ended = false;
  const c: LiveClient = { sessionId, send: (x) => void chunks.push(x), end: () => void (ended = true) };
  return { c, chunks, batches: () => chunks.filter((x) => x.startsWith('event: runway')).map((x) => JSON.parse(x.split('data: ')[1])), ended: () => ended };
}

describe('LiveHub', () => {
  const subjects = new Subjects('ns1');
  const log = { info: () => undefined, warn: () => undefined };

  it('sends the namespace events in batches, the newest heartbeat of each host only, and never token events', async () => {
    const hub = new LiveHub(subjects, log, 10);
    const a = client();
    hub.add(a.c);
    expect(a.chunks[0]).toContain('event: status');
    hub.receive(subjects.event('runway.revision.landed.v1', 'stable'), event('runway.revision.landed.v1', { branch: 'stable', sha: 'abc1234' }));
    hub.receive(subjects.event('runway.agent.heartbeat.v1', 'app1'), event('runway.agent.heartbeat.v1', { host: 'app1', uptimeS: 1 }));
    hub.receive(subjects.event('runway.agent.heartbeat.v1', 'app1'), event('runway.agent.heartbeat.v1', { host: 'app1', uptimeS: 2 }));
    hub.receive(subjects.event('runway.agent.heartbeat.v1', 'app2'), event('runway.agent.heartbeat.v1', { host: 'app2', uptimeS: 7 }));
    hub.receive(subjects.event('runway.token.issued.v1', 'registry'), event('runway.token.issued.v1', { sha256: 'f'.repeat(64) }));
    hub.receive('other.runway.revision.landed.v1.stable', event('runway.revision.landed.v1', { branch: 'x' }));
    hub.receive(subjects.event('runway.qa.passed.v1', 'stable'), new TextEncoder().encode('not json'));
    await new Promise((r) => setTimeout(r, 30));
    const [batch] = a.batches();
    expect(batch.map((e: { name: string; data: { host?: string; uptimeS?: number } }) => [e.name, e.data.host ?? null, e.data.uptimeS ?? null])).toEqual([
      ['revision-landed', null, null],
      ['agent-heartbeat', 'app1', 2],
      ['agent-heartbeat', 'app2', 7],
    ]);
    expect(a.batches()).toHaveLength(1);
    await hub.close();
  });

  it("ends only the logged-out session's streams", async () => {
    const hub = new LiveHub(subjects, log, 10);
    const a = client('s1');
    const b = client('s2');
    hub.add(a.c);
    hub.add(b.c);
    hub.endSession('s1');
    expect(a.ended()).toBe(true);
    expect(b.ended()).toBe(false);
    expect(hub.clientCount).toBe(1);
    await hub.close();
  });
});
