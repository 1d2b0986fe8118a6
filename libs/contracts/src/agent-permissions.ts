/**
 * What the agent of one host may do on NATS, as nats-server permissions: publish the events it
 * reports about its own host, dead-letter its own deploy requests, look up, create and pull
 * from its own durable consumer and acknowledge what it pulled, and receive replies on an inbox
 * of its own. Nothing else: no other host's subjects, no other consumer, no stream admin, no
 * wildcard over Runway's subjects. Together with the rule that an event travels on its own key's
 * subject (EventConsumer dead-letters any other), a compromised agent can speak only for its
 * own server. The subjects below are the ones @nats-io/jetstream 3.4 uses against nats-server
 * 2.9, found by running the real agent behind these permissions and reading the server's
 * permission-violation log (test/security/agent-nats-permissions.e2e-spec.ts holds them to it).
 */
import { Events } from './catalogue';
import { durableName, Subjects, subjectToken } from './subjects';

/** The service name in the agent's durable consumer name (`agent__runway_deploy_requested_v1__<host>`). */
export const AGENT_SERVICE = 'agent';

export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

/** The events an agent publishes about its host; the catalogue keys each of them by `host`. */
export const AGENT_PUBLISHED_EVENTS = [Events.DeployReported, Events.DeployProgress, Events.AgentHeartbeat, Events.CowboyApplied] as const;

const JS_API = '$JS.API';

/** The durable consumer the agent of `host` reads its deploy requests from. */
export function agentDurableName(host: string): string {
  return durableName(AGENT_SERVICE, Events.DeployRequested.type, host);
}

/**
 * Where replies to the agent of `host` arrive (JetStream acks of its publishes, the messages
 * it pulls). Its own, because a subscription to `_INBOX.>` would also receive every other
 * agent's pulled deploy requests: replies travel on plain subjects that anyone allowed to
 * subscribe there can read.
 */
export function agentInboxPrefix(subjects: Subjects, host: string): string {
  return `_INBOX.${subjects.prefix}agent.${subjectToken(host)}`;
}

export function agentNatsPermissions(subjects: Subjects, host: string): NatsPermissions {
  const stream = subjects.streamOf(Events.DeployRequested.type);
  const durable = agentDurableName(host);
  const requests = subjects.event(Events.DeployRequested.type, host);
  return {
    publish: {
      allow: [
        ...AGENT_PUBLISHED_EVENTS.map((e) => subjects.event(e.type, host)),
        subjects.deadLetter(requests),
        // The filter is part of the create subject, and nats-server refuses a config whose
        // filter differs from it: so the agent can re-create its consumer, never widen it.
        `${JS_API}.CONSUMER.CREATE.${stream}.${durable}.${requests}`,
        `${JS_API}.CONSUMER.INFO.${stream}.${durable}`,
        `${JS_API}.CONSUMER.MSG.NEXT.${stream}.${durable}`,
        `$JS.ACK.${stream}.${durable}.>`,
      ],
    },
    subscribe: { allow: [`${agentInboxPrefix(subjects, host)}.>`] },
  };
}

export interface NatsUserEntry {
  user: string;
  /**
   * The password as nats-server should read it. `$NAME` is left bare, so nats-server takes it
   * from its environment (and refuses to start when it is unset); anything else is quoted.
   */
  password: string;
}

const VARIABLE = /^\$[A-Za-z_][A-Za-z0-9_]*$/;

/** One entry of nats-server's `authorization { users: [...] }`, as text to paste into its config. */
export function natsUserConfig(entry: NatsUserEntry, permissions: NatsPermissions, comment?: string): string {
  // nats-server reads `allow: []` as no restriction at all (seen on 2.9.10): never render one.
  if (!permissions.publish.allow.length || !permissions.subscribe.allow.length) throw new Error('an empty allow list would allow everything');
  const list = (subjects: string[]) => `[\n${subjects.map((s) => `      ${JSON.stringify(s)}`).join(',\n')}\n    ]`;
  return [
    ...(comment ? comment.split('\n').map((l) => `# ${l}`) : []),
    '{',
    `  user: ${JSON.stringify(entry.user)}`,
    `  password: ${VARIABLE.test(entry.password) ? entry.password : JSON.stringify(entry.password)}`,
    '  permissions: {',
    `    publish: { allow: ${list(permissions.publish.allow)} }`,
    `    subscribe: { allow: ${list(permissions.subscribe.allow)} }`,
    '  }',
    '}',
  ].join('\n');
}
