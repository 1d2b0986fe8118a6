import 'reflect-metadata';
import { agentDurableName, agentInboxPrefix, agentNatsPermissions, natsUserConfig } from './agent-permissions';
import { Events } from './catalogue';
import { durableName, Subjects } from './subjects';

/** nats-server's subject matching: `*` is one token, `>` one or more at the end. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

const allowed = (patterns: string[], subject: string) => patterns.some((p) => matches(p, subject));

describe.each([
  ['without a namespace', ''],
  ['with namespace "ci-7"', 'ci-7'],
])('agentNatsPermissions %s', (_label, namespace) => {
  const s = new Subjects(namespace);
  const perms = agentNatsPermissions(s, 'app1');
  const pub = perms.publish.allow;
  const sub = perms.subscribe.allow;
  const stream = s.eventStream;
  const durable = agentDurableName('app1');
  const requests = s.event(Events.DeployRequested.type, 'app1');

  it('is exactly what the agent was seen to need against nats-server 2.9', () => {
    expect(pub).toEqual([
      s.event(Events.DeployReported.type, 'app1'),
      s.event(Events.DeployProgress.type, 'app1'),
      s.event(Events.AgentHeartbeat.type, 'app1'),
      s.event(Events.CowboyApplied.type, 'app1'),
      s.deadLetter(requests),
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}.${requests}`,
      `$JS.API.CONSUMER.INFO.${stream}.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `$JS.ACK.${stream}.${durable}.>`,
    ]);
    expect(sub).toEqual([`${agentInboxPrefix(s, 'app1')}.>`]);
    expect(durable).toBe(durableName('agent', Events.DeployRequested.type, 'app1'));
  });

  it("lets the agent publish its own host's reports and heartbeats and ack its own deliveries", () => {
    for (const e of [Events.DeployReported, Events.DeployProgress, Events.AgentHeartbeat, Events.CowboyApplied]) {
      expect(allowed(pub, s.event(e.type, 'app1'))).toBe(true);
    }
    expect(allowed(pub, `$JS.ACK.${stream}.${durable}.1.42.7.1796230160769639138.0`)).toBe(true);
    expect(allowed(sub, `${agentInboxPrefix(s, 'app1')}.76sQvZiPI78JNq40IBn4xz.*`)).toBe(true);
  });

  it.each(['app2', 'app10', 'app1.lpnet', 'App1'])("allows nothing about another host (%s), nor its consumer", (other) => {
    const otherDurable = agentDurableName(other);
    const otherRequests = s.event(Events.DeployRequested.type, other);
    for (const e of [Events.DeployReported, Events.DeployProgress, Events.AgentHeartbeat, Events.CowboyApplied, Events.DeployRequested]) {
      expect(allowed(pub, s.event(e.type, other))).toBe(false);
    }
    for (const subject of [
      s.deadLetter(otherRequests),
      `$JS.API.CONSUMER.CREATE.${stream}.${otherDurable}.${otherRequests}`,
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}.${otherRequests}`,
      `$JS.API.CONSUMER.INFO.${stream}.${otherDurable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${otherDurable}`,
      `$JS.ACK.${stream}.${otherDurable}.1.1.1.1.0`,
    ]) expect(allowed(pub, subject)).toBe(false);
    expect(allowed(sub, `${agentInboxPrefix(s, other)}.x.y`)).toBe(false);
  });

  it('allows no wildcard over Runway, no stream or account admin, no other consumer, and no consumer but its own filter', () => {
    expect(pub).not.toContain('>');
    expect(sub).not.toContain('>');
    for (const p of [...pub, ...sub]) {
      expect(p).not.toContain('*');
      // `>` only where the server adds tokens of its own: ack ids and inbox ids.
      if (p.includes('>')) expect(p === `$JS.ACK.${stream}.${durable}.>` || p === `${agentInboxPrefix(s, 'app1')}.>`).toBe(true);
    }
    for (const subject of [
      s.event(Events.Promoted.type, 'production-stable'),
      s.event(Events.DeployRequested.type, 'app1'),
      s.event(Events.CowboyRemoved.type, 'app1'),
      s.deadLetter(s.event(Events.AgentHeartbeat.type, 'app1')),
      '$JS.API.INFO',
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.STREAM.MSG.GET.${stream}`,
      `$JS.API.STREAM.PURGE.${stream}`,
      `$JS.API.CONSUMER.DELETE.${stream}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}.${s.eventWildcard}`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${stream}`,
      `$JS.API.CONSUMER.INFO.${stream}.${durableName('rollout', Events.DeployReported.type)}`,
      `$JS.API.CONSUMER.MSG.NEXT.${s.telemetryStream}.${durable}`,
      `$JS.ACK.${stream}.${durableName('rollout', Events.DeployReported.type)}.1.1.1.1.0`,
    ]) expect(allowed(pub, subject)).toBe(false);
    for (const subject of ['_INBOX.x', 'runway.deploy.requested.v1.app1', s.eventWildcard]) expect(allowed(sub, subject)).toBe(false);
  });
});

describe('agentInboxPrefix', () => {
  it('differs for every host and namespace, and is one subject with no wildcard', () => {
    const prefixes = [agentInboxPrefix(new Subjects(), 'app1'), agentInboxPrefix(new Subjects(), 'app2'), agentInboxPrefix(new Subjects('ns'), 'app1'), agentInboxPrefix(new Subjects(), 'app1.lpnet')];
    expect(new Set(prefixes).size).toBe(prefixes.length);
    expect(prefixes[0]).toBe('_INBOX.agent.app1');
    expect(prefixes[2]).toBe('_INBOX.ns.agent.app1');
    expect(prefixes[3]).toBe('_INBOX.agent.app1_lpnet');
    // No prefix is a prefix of another's subjects: app1's `.>` must not reach app1_lpnet's inbox.
    for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(matches(`${a}.>`, `${b}.x`)).toBe(false);
  });
});

describe('natsUserConfig', () => {
  const perms = { publish: { allow: ['a.b', '$JS.ACK.S.D.>'] }, subscribe: { allow: ['_INBOX.agent.h.>'] } };

  it('renders one users entry nats-server reads, the subjects quoted', () => {
    expect(natsUserConfig({ user: 'app1', password: 's3cret "x"' }, perms, 'the agent on app1')).toBe(
      [
        '# the agent on app1',
        '{',
        '  user: "app1"',
        '  password: "s3cret \\"x\\""',
        '  permissions: {',
        '    publish: { allow: [',
        '      "a.b",',
        '      "$JS.ACK.S.D.>"',
        '    ] }',
        '    subscribe: { allow: [',
        '      "_INBOX.agent.h.>"',
        '    ] }',
        '  }',
        '}',
      ].join('\n'),
    );
  });

  it('leaves a $VARIABLE password bare, for nats-server to read from its environment', () => {
    expect(natsUserConfig({ user: 'app1', password: '$APP1_NATS_PASSWORD' }, perms)).toContain('\n  password: $APP1_NATS_PASSWORD\n');
    expect(natsUserConfig({ user: 'app1', password: '$not a variable' }, perms)).toContain('\n  password: "$not a variable"\n');
  });

  it('refuses an empty allow list, which nats-server would read as "allow everything"', () => {
    expect(() => natsUserConfig({ user: 'u', password: 'p' }, { publish: { allow: [] }, subscribe: { allow: ['x'] } })).toThrow(/empty/);
  });
});
