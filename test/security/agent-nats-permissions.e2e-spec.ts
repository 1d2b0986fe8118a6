/**
 * Agents on NATS, one user per host. Real: a nats-server of this file's own whose config holds a
 * full-rights user for the rollout service and one user per agent (app1, app2) with the entry
 * `runway agent nats-permissions` prints, pasted as it is; Postgres (own database); the rollout
 * service and two agents as real processes from their dist/, each agent with its own NATS user.
 *
 * Both agents deploy a promotion, report a cowboy and dead-letter a bad request with no more
 * than their own permissions, without one violation in the server's log. Then, connected as app1, perfect forgeries about app2 (valid
 * events, on app2's own subjects, so only the server can stop them) are refused by the server,
 * as are looking up, creating or pulling from app2's consumer, widening app1's own, and
 * listening to replies other than app1's; and rollout's view of app2 is what app2 reported.
 */
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, PermissionViolationError } from '@nats-io/transport-node';
import {
  agentDurableName, agentInboxPrefix, type AgentHeartbeatV1, type CloudEvent, type DeployReportedV1, durableName, Events, type PromotedV1, Subjects,
} from '@runway/contracts';
import { apiClient, type ApiClient, createIsolatedDatabase, eventually, freePort, type IsolatedDatabase, randomSha, TEST_ADMIN_TOKEN, uniqueNamespace } from '@runway/testing';
import { issueToken, type ProcessHandle, ROOT, startAgent, startService } from '../../tools/stack.cjs';
import { type ConfiguredNats, startNatsWithUsers } from './nats-with-password';

const HOSTS = ['app1', 'app2'] as const;
type Host = (typeof HOSTS)[number];
const SERVICE_PASSWORD = `svc-${randomUUID()}`;
const AGENT_PASSWORDS: Record<Host, string> = { app1: `a1-${randomUUID()}`, app2: `a2-${randomUUID()}` };

interface Server {
  host: string;
  runningRevision: string | null;
  lastHeartbeatAt: string | null;
}

interface Deploy {
  id: string;
  host: string;
  status: string;
  outputTail: string | null;
}

/** The users entry for `host`, from the built CLI, exactly as an operator would paste it. */
function cliUserEntry(host: Host, namespace: string): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'apps', 'cli', 'dist', 'main.js'), 'agent', 'nats-permissions', host, '--namespace', namespace], {
    encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() },
  });
  if (r.status !== 0) throw new Error(`runway agent nats-permissions ${host} exited ${r.status}: ${r.stderr} (run npm run build first)`);
  return r.stdout;
}

const violations = (log: string) => log.split('\n').filter((l) => /Violation/.test(l));

function envelope<T extends object>(type: string, subject: string, data: T, source: string, time = new Date()): CloudEvent<T> {
  return {
    specversion: '1.0', id: randomUUID(), source, type, subject, time: time.toISOString(), datacontenttype: 'application/json', correlationid: randomUUID(), data,
  };
}

describe('agents on NATS: one user per host (own nats-server with permissions, real processes)', () => {
  const namespace = uniqueNamespace();
  const subjects = new Subjects(namespace);
  const stream = subjects.eventStream;
  const sha = randomSha();
  let dir: string;
  let nats: ConfiguredNats;
  let db: IsolatedDatabase;
  let rollout: ProcessHandle;
  let admin: ApiClient;
  let service: NatsConnection;
  const agents: ProcessHandle[] = [];
  let app1: NatsConnection;
  let app1Js: JetStreamClient;
  /** What the server told app1's connection it refused. */
  const app1Refusals: string[] = [];
  let deploys: Record<Host, Deploy>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runway-agent-perms-'));
    nats = await startNatsWithUsers(
      [`{ user: "rollout", password: ${JSON.stringify(SERVICE_PASSWORD)} }`, ...HOSTS.map((h) => cliUserEntry(h, namespace))],
      { AGENT_APP1_NATS_PASSWORD: AGENT_PASSWORDS.app1, AGENT_APP2_NATS_PASSWORD: AGENT_PASSWORDS.app2 },
    );
    db = await createIsolatedDatabase();
    const logDir = join(dir, 'logs');
    rollout = await startService('rollout', {
      DATABASE_URL: db.url, NATS_URL: nats.url, NATS_USER: 'rollout', NATS_PASSWORD: SERVICE_PASSWORD, RUNWAY_NAMESPACE: namespace,
      RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'info', OUTBOX_POLL_MS: '250', EVENT_ACK_WAIT_MS: '2000', ROLLOUT_TICK_MS: '200',
    }, { logDir, port: await freePort() });
    admin = apiClient(rollout.url!, TEST_ADMIN_TOKEN);
    service = await connect({ servers: nats.url, user: 'rollout', pass: SERVICE_PASSWORD });
    for (const host of HOSTS) {
      const token = await issueToken(rollout.url!, TEST_ADMIN_TOKEN, { name: `agent ${host}`, roles: ['agent'], host });
      agents.push(await startAgent({
        NATS_URL: nats.url, NATS_USER: host, NATS_PASSWORD: AGENT_PASSWORDS[host], RUNWAY_NAMESPACE: namespace, RUNWAY_ROLLOUT_URL: rollout.url, RUNWAY_AGENT_TOKEN: token,
        AGENT_HOST: host, AGENT_ENVIRONMENT: 'lpnet', AGENT_STATE_DIR: join(dir, 'agents', host), AGENT_HEARTBEAT_MS: '500', AGENT_ACK_WAIT_MS: '3000', LOG_LEVEL: 'info',
        // Printing makes the agent publish deploy-progress too.
        // Finds a hot patch once the test drops its file, so the agent publishes cowboy-applied.
        AGENT_COWBOY_SCAN_COMMAND: `if [ -f "${join(dir, `cowboy-${host}`)}" ]; then echo abcdef1234 hot fix by hand; fi`,
        AGENT_DEPLOY_COMMAND: `echo "deploying $RUNWAY_REVISION on $RUNWAY_HOST"; sleep 0.6; echo "$RUNWAY_REVISION" >> "${join(dir, `deployed-${host}.log`)}"`,
      }, { logDir }));
    }
  }, 120_000);

  afterAll(async () => {
    await app1?.close().catch(() => undefined);
    await service?.close().catch(() => undefined);
    await Promise.all(agents.map((a) => a.stop()));
    await rollout?.stop();
    await db?.drop().catch(() => undefined);
    await nats?.stop();
    if (dir && !process.env.KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function servers(): Promise<Record<string, Server>> {
    const res = await admin.get('/servers');
    expect(res.status).toBe(200);
    return Object.fromEntries((res.body as Server[]).map((s) => [s.host, s]));
  }

  it('lets both agents deploy a promotion with their own users, and the server refuses them nothing', async () => {
    const promotionId = randomUUID();
    const data: PromotedV1 = {
      promotionId, branch: 'production-stable', toSha: sha, toRevno: 7, revisions: [{ sha, db: false }], containsDbRevision: false,
      deployKind: 'no-downtime', cause: 'qa-passed', pendingMergeBack: [],
    };
    const promoted = envelope(Events.Promoted.type, 'production-stable', data, 'runway/promotion');
    await jetstream(service).publish(subjects.event(Events.Promoted.type, 'production-stable'), JSON.stringify(promoted), { msgID: promoted.id });

    const done = await eventually(async () => {
      const listed = ((await admin.get('/rollouts?limit=50')).body as { id: string; sourceId: string }[]).find((r) => r.sourceId === promotionId);
      if (!listed) return null;
      const r = (await admin.get(`/rollouts/${listed.id}`)).body as { status: string; deploys: Deploy[] };
      return r.status === 'succeeded' || r.status === 'failed' ? r : null;
    }, { what: 'the rollout of the promotion to end', timeoutMs: 40_000, intervalMs: 200 });
    expect(done.status).toBe('succeeded');
    deploys = Object.fromEntries(HOSTS.map((h) => [h, done.deploys.find((d) => d.host === h)!])) as Record<Host, Deploy>;
    for (const host of HOSTS) {
      expect(deploys[host]).toMatchObject({ status: 'succeeded' });
      expect(readFileSync(join(dir, `deployed-${host}.log`), 'utf8').trim()).toBe(sha);
    }
    const seen = await eventually(async () => {
      const s = await servers();
      return HOSTS.every((h) => s[h]?.runningRevision === sha && s[h].lastHeartbeatAt) ? s : null;
    }, { what: 'both servers running the promotion and heartbeating' });
    expect(Object.keys(seen).sort()).toEqual(['app1', 'app2']);
    // Each agent made its own consumer, on its own host's subject.
    const jsm = await jetstreamManager(service);
    for (const host of HOSTS) {
      expect((await jsm.consumers.info(stream, agentDurableName(host))).config.filter_subject).toBe(subjects.event(Events.DeployRequested.type, host));
    }
    // A hot patch found on app1, and a deploy request it cannot read, which it dead-letters.
    writeFileSync(join(dir, 'cowboy-app1'), '');
    await eventually(async () => ((await admin.get('/cowboys')).body as { host: string; patchHash: string }[]).some((c) => c.host === 'app1' && c.patchHash === 'abcdef1234'), {
      what: "app1's cowboy-applied in rollout",
    });
    const requests = subjects.event(Events.DeployRequested.type, 'app1');
    await jetstream(service).publish(requests, '{"not": "an event"}', { msgID: randomUUID() });
    const dead = await eventually(
      () => jsm.streams.getMessage(subjects.deadLetterStream, { last_by_subj: subjects.deadLetter(requests) }).catch(() => null),
      { what: "app1's dead letter" },
    );
    expect(dead!.header.get('Runway-Consumer')).toBe(agentDurableName('app1'));

    // Everything the agents did was allowed: connecting, their consumer, heartbeats, progress,
    // reports, a cowboy, a dead letter.
    expect(violations(nats.log())).toEqual([]);
  }, 60_000);

  it("refuses app1 a heartbeat or a deploy report on app2's subjects, even a perfect forgery", async () => {
    app1 = await connect({ servers: nats.url, user: 'app1', pass: AGENT_PASSWORDS.app1, inboxPrefix: agentInboxPrefix(subjects, 'app1') });
    void (async () => {
      for await (const s of app1.status()) if (s.type === 'error') app1Refusals.push(s.error.message);
    })();
    app1Js = jetstream(app1);

    // A day ahead, and a revision app2 never ran: accepted, either would show in GET /servers.
    const heartbeat: AgentHeartbeatV1 = { host: 'app2', environment: 'lpnet', runningRevision: randomSha(), agentVersion: '0.1.0', uptimeS: 1 };
    const forgedHeartbeat = envelope(Events.AgentHeartbeat.type, 'app2', heartbeat, 'runway/agent/app2', new Date(Date.now() + 24 * 3600_000));
    const report: DeployReportedV1 = { deployId: deploys.app2.id, rolloutId: randomUUID(), host: 'app2', revision: sha, status: 'rolled-back', outputTail: 'forged by app1' };
    const forgedReport = envelope(Events.DeployReported.type, 'app2', report, 'runway/agent/app2');
    const heartbeatSubject = subjects.event(Events.AgentHeartbeat.type, 'app2');
    const reportSubject = subjects.event(Events.DeployReported.type, 'app2');

    // A JetStream publish waits for a PubAck; nats.js 3 rejects it at once with the server's refusal.
    for (const [subject, event] of [[heartbeatSubject, forgedHeartbeat], [reportSubject, forgedReport]] as const) {
      const refused = await app1Js.publish(subject, JSON.stringify(event), { msgID: event.id, timeout: 5000 }).then(() => null, (e: Error) => e);
      expect(refused?.message).toBe(`Permissions Violation for Publish to "${subject}"`);
      expect(refused?.cause).toBeInstanceOf(PermissionViolationError);
    }
    // A plain publish gets no answer: the refusal comes as an error status on the connection.
    app1.publish(heartbeatSubject, JSON.stringify({ ...forgedHeartbeat, id: randomUUID() }));
    app1.publish(subjects.event(Events.DeployProgress.type, 'app2'), '{}');
    app1.publish(subjects.event(Events.CowboyApplied.type, 'app2'), '{}');
    app1.publish(subjects.deadLetter(subjects.event(Events.DeployRequested.type, 'app2')), '{}');
    await app1.flush();
    await eventually(async () => app1Refusals.length >= 6, { what: 'the refusals reported on the connection' });
    expect(app1Refusals).toEqual(expect.arrayContaining([
      `Permissions Violation for Publish to "${heartbeatSubject}"`,
      `Permissions Violation for Publish to "${reportSubject}"`,
      `Permissions Violation for Publish to "${subjects.event(Events.DeployProgress.type, 'app2')}"`,
      `Permissions Violation for Publish to "${subjects.event(Events.CowboyApplied.type, 'app2')}"`,
      `Permissions Violation for Publish to "${subjects.deadLetter(subjects.event(Events.DeployRequested.type, 'app2'))}"`,
    ]));

    // The same connection may still speak for app1: the refusals are app2's subjects, not app1's user.
    const own = envelope(Events.AgentHeartbeat.type, 'app1', { ...heartbeat, host: 'app1', runningRevision: sha }, 'runway/agent/app1');
    const ack = await app1Js.publish(subjects.event(Events.AgentHeartbeat.type, 'app1'), JSON.stringify(own), { msgID: own.id });
    expect(ack.stream).toBe(subjects.telemetryStream);

    // Nothing of the forgeries reached a stream.
    const jsm = await jetstreamManager(service);
    const lastReport = await jsm.streams.getMessage(stream, { last_by_subj: reportSubject });
    expect(lastReport!.json<CloudEvent<DeployReportedV1>>()).toMatchObject({ source: 'runway/agent/app2', data: { status: 'succeeded' } });
    expect(lastReport!.json<CloudEvent<object>>().id).not.toBe(forgedReport.id);
    const lastBeat = await jsm.streams.getMessage(subjects.telemetryStream, { last_by_subj: heartbeatSubject });
    expect(lastBeat!.json<CloudEvent<object>>().id).not.toBe(forgedHeartbeat.id);
    expect(lastBeat!.json<CloudEvent<AgentHeartbeatV1>>().data.runningRevision).toBe(sha);
  }, 30_000);

  it("refuses app1 looking up, creating or pulling from app2's consumer, and widening its own", async () => {
    const app2Durable = agentDurableName('app2');
    const app2Requests = subjects.event(Events.DeployRequested.type, 'app2');
    const jsm = await jetstreamManager(app1, { checkAPI: false });
    const refusal = (subject: string) => new RegExp(`^Permissions Violation for Publish to "${subject.replace(/[$.*+?^{}()|[\]\\]/g, '\\$&')}"$`);

    await expect(jsm.consumers.info(stream, app2Durable)).rejects.toThrow(refusal(`$JS.API.CONSUMER.INFO.${stream}.${app2Durable}`));
    await expect(app1Js.consumers.get(stream, app2Durable)).rejects.toThrow(refusal(`$JS.API.CONSUMER.INFO.${stream}.${app2Durable}`));
    await expect(jsm.consumers.delete(stream, app2Durable)).rejects.toThrow(refusal(`$JS.API.CONSUMER.DELETE.${stream}.${app2Durable}`));
    await expect(
      jsm.consumers.add(stream, { durable_name: app2Durable, filter_subject: app2Requests, ack_policy: AckPolicy.Explicit }),
    ).rejects.toThrow(refusal(`$JS.API.CONSUMER.CREATE.${stream}.${app2Durable}.${app2Requests}`));
    // A consumer of another name on app2's requests, and the old create API, which does not name the filter.
    await expect(
      jsm.consumers.add(stream, { durable_name: 'app1-snoop', filter_subject: app2Requests, ack_policy: AckPolicy.Explicit }),
    ).rejects.toThrow(refusal(`$JS.API.CONSUMER.CREATE.${stream}.app1-snoop.${app2Requests}`));
    await expect(app1.request(`$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${agentDurableName('app1')}`, '{}')).rejects.toThrow(/Permissions Violation/);
    // Pulling straight from app2's consumer, and acking one of its deliveries.
    await expect(app1.request(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${app2Durable}`, JSON.stringify({ batch: 1 }))).rejects.toThrow(
      refusal(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${app2Durable}`),
    );
    await expect(app1.request(`$JS.ACK.${stream}.${app2Durable}.1.1.1.1.0`, '+ACK')).rejects.toThrow(/Permissions Violation/);
    // Reading the stream directly.
    await expect(app1.request(`$JS.API.STREAM.MSG.GET.${stream}`, JSON.stringify({ last_by_subj: app2Requests }))).rejects.toThrow(/Permissions Violation/);

    // app1's own consumer: its create subject names its filter, and the server holds the config to it.
    const own = agentDurableName('app1');
    const ownRequests = subjects.event(Events.DeployRequested.type, 'app1');
    await expect(
      jsm.consumers.update(stream, own, { filter_subject: subjects.eventWildcard }),
    ).rejects.toThrow(refusal(`$JS.API.CONSUMER.CREATE.${stream}.${own}.${subjects.eventWildcard}`));
    const widen = { stream_name: stream, action: 'update', config: { durable_name: own, name: own, filter_subject: app2Requests, ack_policy: 'explicit', deliver_policy: 'all' } };
    const answer = (await app1.request(`$JS.API.CONSUMER.CREATE.${stream}.${own}.${ownRequests}`, JSON.stringify(widen))).json<{ error?: { err_code: number } }>();
    expect(answer.error?.err_code).toBe(10131); // "did not match filtered subject from create subject"
    expect((await jsm.consumers.info(stream, own)).config.filter_subject).toBe(ownRequests);

    // app2's consumer is as app2 made it, with nothing taken from it.
    const app2Consumer = await (await jetstreamManager(service)).consumers.info(stream, app2Durable);
    expect(app2Consumer.config.filter_subject).toBe(app2Requests);
    expect({ pending: app2Consumer.num_pending, ackPending: app2Consumer.num_ack_pending }).toEqual({ pending: 0, ackPending: 0 });
  }, 30_000);

  it("refuses app1 listening to any replies but its own (others' pulled deploy requests travel there)", async () => {
    for (const subject of ['_INBOX.>', `${agentInboxPrefix(subjects, 'app2')}.>`, subjects.event(Events.DeployRequested.type, 'app2'), '>']) {
      const sub = app1.subscribe(subject);
      // Allowed, the subscription would simply stay open.
      const closed = await Promise.race([sub.closed, new Promise((r) => setTimeout(() => r('still subscribed'), 5000))]);
      if (!sub.isClosed()) sub.unsubscribe();
      expect(closed).toBeInstanceOf(PermissionViolationError);
      expect((closed as Error).message).toBe(`Permissions Violation for Subscription to "${subject}"`);
    }
  }, 30_000);

  it('leaves app2 in rollout as app2 reported it, and logs every refusal against app1 only', async () => {
    // Wait until rollout has handled everything the streams hold, so a forgery would have shown.
    const jsm = await jetstreamManager(service);
    await eventually(async () => {
      for (const type of [Events.AgentHeartbeat.type, Events.DeployReported.type]) {
        const info = await jsm.consumers.info(subjects.streamOf(type), durableName('rollout', type));
        if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
      }
      return true;
    }, { what: "rollout's consumers to catch up" });

    const app2 = (await servers()).app2;
    expect(app2.runningRevision).toBe(sha);
    expect(new Date(app2.lastHeartbeatAt!).getTime()).toBeLessThan(Date.now() + 60_000);
    const rollouts = (await admin.get('/rollouts?limit=50')).body as { id: string }[];
    expect(rollouts).toHaveLength(1);
    const after = (await admin.get(`/rollouts/${rollouts[0].id}`)).body as { status: string; deploys: Deploy[] };
    expect(after.status).toBe('succeeded');
    expect(after.deploys.find((d) => d.host === 'app2')).toMatchObject({ status: 'succeeded', outputTail: deploys.app2.outputTail });
    // And app2's agent still heartbeats: its lastHeartbeatAt moves on its own.
    const before = new Date(app2.lastHeartbeatAt!).getTime();
    await eventually(async () => new Date((await servers()).app2.lastHeartbeatAt!).getTime() > before, { what: "app2's next heartbeat" });

    const refused = violations(nats.log());
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((l) => !/User "app1"/.test(l))).toEqual([]);
    expect(refused.some((l) => l.includes(`Publish Violation - User "app1", Subject "${subjects.event(Events.AgentHeartbeat.type, 'app2')}"`))).toBe(true);
    expect(refused.some((l) => l.includes(`Subscription Violation - User "app1", Subject "_INBOX.>"`))).toBe(true);
  }, 30_000);
});
