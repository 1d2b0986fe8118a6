/**
 * The agent holds what it publishes to the contract. Real: NATS JetStream (a namespace of this
 * file's own) and the Agent class itself with its consumer, scan and deploy commands; stood in
 * for: rollout, by an HTTP server that accepts the registration and nothing else.
 *
 * A cowboy scan that prints a SHA-512 (which the agent's line regexp and the payload class both
 * accept) once made an event id longer than the envelope allows, and the cowboy was lost: now
 * every cowboy found is reported, once. A deploy request the agent answers from a state record the
 * contract cannot carry is dead-lettered once, with the reason, and the agent carries on.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { agentDurableName, type CloudEvent, type DeployRequestedV1, Events, Subjects } from '@runway/contracts';
import { DEFAULT_STREAM_SETTINGS, provisionStreams } from '@runway/messaging';
import { dropNamespace, eventually, randomSha, uniqueNamespace } from '@runway/testing';
import { Agent } from '../src/agent';
import { loadAgentEnv } from '../src/config';

const HOST = 'app1.lpnet';
const SHORT_HASH = 'c0ffee1234';
const SHA512 = 'c0ffee'.repeat(22).slice(0, 128);

interface Stored {
  subject: string;
  reason?: string;
  event: CloudEvent<Record<string, unknown>>;
}

async function messages(jsm: JetStreamManager, stream: string): Promise<Stored[]> {
  const info = await jsm.streams.info(stream);
  const out: Stored[] = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!m) continue;
    out.push({ subject: m.subject, reason: m.header?.get('Runway-Dead-Letter-Reason') || undefined, event: JSON.parse(new TextDecoder().decode(m.data)) });
  }
  return out;
}

describe('rollout-agent: every event it publishes meets its contract (real NATS JetStream)', () => {
  const namespace = uniqueNamespace();
  const subjects = new Subjects(namespace);
  const logs: Record<string, unknown>[] = [];
  const deployId = randomUUID();
  const rolloutId = randomUUID();
  const revision = randomSha();
  let dir: string;
  let rollout: Server;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let agent: Agent;

  beforeAll(async () => {
    nc = await connect({ servers: process.env.NATS_URL! });
    jsm = await provisionStreams(nc, subjects, { ...DEFAULT_STREAM_SETTINGS, storage: 'memory', maxAgeMs: 3600_000 });
    rollout = createServer((req, res) => {
      res.writeHead(req.method === 'POST' && req.url === '/agents/register' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => rollout.listen(0, '127.0.0.1', r));
    dir = mkdtempSync(join(tmpdir(), 'runway-agent-events-'));
    // A record the contract cannot carry, as a hand-edited or older state file may hold.
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ deploys: { [deployId]: { status: 'succeded', revision, rolloutId, at: new Date().toISOString() } } }));
    const env = loadAgentEnv({
      AGENT_HOST: HOST, AGENT_ENVIRONMENT: 'lpnet', RUNWAY_NAMESPACE: namespace, NATS_URL: process.env.NATS_URL,
      RUNWAY_ROLLOUT_URL: `http://127.0.0.1:${(rollout.address() as AddressInfo).port}`, RUNWAY_AGENT_TOKEN: 'rwy_agent_token_0123456789',
      AGENT_DEPLOY_COMMAND: 'true', AGENT_COWBOY_SCAN_COMMAND: `printf '%s\\n' '${SHORT_HASH} search OOM' '${SHA512} patched by hand'`,
      AGENT_HEARTBEAT_MS: '200', AGENT_STATE_DIR: dir,
    });
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    agent = new Agent(env, log);
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    await nc?.close();
    await new Promise((r) => rollout?.close(r));
    await dropNamespace(process.env.NATS_URL!, namespace).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports every scanned cowboy, a SHA-512 one too, each once', async () => {
    const cowboys = await eventually(async () => {
      const found = (await messages(jsm, subjects.eventStream)).filter((m) => m.subject === subjects.event(Events.CowboyApplied.type, HOST));
      return found.length >= 2 ? found : null;
    }, { what: 'both cowboys on the stream' });
    expect(cowboys.map((c) => c.event.data.patchHash).sort()).toEqual([SHA512, SHORT_HASH].sort());
    // Heartbeats scan again and again; the ids repeat, so JetStream keeps one of each.
    await new Promise((r) => setTimeout(r, 600));
    expect((await messages(jsm, subjects.eventStream)).filter((m) => m.subject === subjects.event(Events.CowboyApplied.type, HOST))).toHaveLength(2);
    expect(logs.filter((l) => l.msg === 'event refused: it does not meet its contract' && l.type === Events.CowboyApplied.type)).toEqual([]);
  });

  it('dead-letters, once, a deploy request whose report cannot be valid, and keeps running', async () => {
    const request: CloudEvent<DeployRequestedV1> = {
      specversion: '1.0', id: randomUUID(), source: 'runway/rollout', type: Events.DeployRequested.type, subject: HOST, time: new Date().toISOString(),
      datacontenttype: 'application/json', correlationid: randomUUID(),
      data: { deployId, rolloutId, host: HOST, environment: 'lpnet', revision, kind: 'no-downtime', carryCowboys: [] },
    };
    await jetstream(nc).publish(subjects.event(Events.DeployRequested.type, HOST), JSON.stringify(request), { msgID: request.id });

    const dead = await eventually(async () => (await messages(jsm, subjects.deadLetterStream)).find((m) => m.event.id === request.id), {
      what: 'the deploy request on the dead-letter stream',
    });
    expect(dead.reason).toMatch(new RegExp(`^handler rejected the event: refusing to publish ${Events.DeployReported.type.replace(/\./g, '\\.')}: data\\.status: `));
    const consumer = await jsm.consumers.info(subjects.eventStream, agentDurableName(HOST));
    expect(consumer).toMatchObject({ num_ack_pending: 0, num_pending: 0, num_redelivered: 0 });
    const reports = (await messages(jsm, subjects.eventStream)).filter((m) => m.subject === subjects.event(Events.DeployReported.type, HOST));
    expect(reports).toEqual([]);

    // Still alive: heartbeats keep coming after the refusal.
    const since = (await jsm.streams.info(subjects.telemetryStream)).state.last_seq;
    await eventually(async () => (await jsm.streams.info(subjects.telemetryStream)).state.last_seq > since, { what: 'a heartbeat after the dead letter' });
  });
});
