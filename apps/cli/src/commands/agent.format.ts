/**
 * What `runway agent nats-permissions` prints: the nats-server `users` entry for the agent of
 * one host, with the permissions libs/contracts derives for it, ready to paste into the
 * server's `authorization` block. The password is a variable nats-server reads from its own
 * environment, so no secret is ever printed.
 */
import { agentInboxPrefix, agentNatsPermissions, HOST_PATTERN, type NatsPermissions, natsUserConfig, Subjects, subjectToken } from '@runway/contracts';

export interface AgentNatsUser {
  host: string;
  namespace: string;
  user: string;
  /** How nats-server gets the password: `$NAME` from its environment, else the text itself. */
  password: string;
  inboxPrefix: string;
  permissions: NatsPermissions;
}

/** `$AGENT_APP1_LPNET_NATS_PASSWORD` for app1.lpnet: one environment variable per host. */
export function passwordVariable(host: string): string {
  return `$AGENT_${subjectToken(host).toUpperCase().replace(/-/g, '_')}_NATS_PASSWORD`;
}

/** Throws a plain Error on a host or namespace Runway would refuse. */
export function agentNatsUser(host: string, opts: { namespace?: string; user?: string; password?: string } = {}): AgentNatsUser {
  if (!HOST_PATTERN.test(host)) throw new Error(`not a host name: ${host}`);
  const namespace = opts.namespace ?? '';
  const subjects = new Subjects(namespace);
  return {
    host, namespace, user: opts.user ?? host, password: opts.password ?? passwordVariable(host),
    inboxPrefix: agentInboxPrefix(subjects, host), permissions: agentNatsPermissions(subjects, host),
  };
}

export function agentNatsUserText(u: AgentNatsUser): string {
  const where = u.namespace ? `, namespace ${u.namespace}` : '';
  const comment = [
    `The Runway agent on ${u.host}${where}: publishes only about ${u.host}, reads only its own deploy requests.`,
    `Paste into nats-server's authorization { users: [ ... ] }; start the agent with NATS_USER=${u.user} and NATS_PASSWORD.`,
    ...(u.password.startsWith('$') ? [`nats-server reads the password from its environment variable ${u.password.slice(1)}.`] : []),
  ].join('\n');
  return natsUserConfig({ user: u.user, password: u.password }, u.permissions, comment);
}
