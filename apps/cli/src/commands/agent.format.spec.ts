import { agentNatsPermissions, Subjects } from '@runway/contracts';
import { agentNatsUser, agentNatsUserText, passwordVariable } from './agent.format';

describe('agent NATS user', () => {
  it("holds the contracts' permissions for the host and namespace, the host as user, a password variable", () => {
    const u = agentNatsUser('app1.lpnet', { namespace: 'prod' });
    expect(u).toEqual({
      host: 'app1.lpnet', namespace: 'prod', user: 'app1.lpnet', password: '$AGENT_APP1_LPNET_NATS_PASSWORD', inboxPrefix: '_INBOX.prod.agent.app1_lpnet',
      permissions: agentNatsPermissions(new Subjects('prod'), 'app1.lpnet'),
    });
    expect(agentNatsUser('app1', { user: 'agent-app1', password: 'x' })).toMatchObject({ user: 'agent-app1', password: 'x', namespace: '' });
  });

  it('names one environment variable per host', () => {
    expect(passwordVariable('app1')).toBe('$AGENT_APP1_NATS_PASSWORD');
    expect(passwordVariable('db-2.lpnet')).toBe('$AGENT_DB_2_LPNET_NATS_PASSWORD');
  });

  it('refuses what is not a host name, or a namespace Runway would refuse', () => {
    expect(() => agentNatsUser('app1 *')).toThrow(/not a host name/);
    expect(() => agentNatsUser('>')).toThrow(/not a host name/);
    expect(() => agentNatsUser('app1', { namespace: 'a.b' })).toThrow(/namespace/);
  });

  it('renders a commented users entry, its password read from the environment', () => {
    const text = agentNatsUserText(agentNatsUser('app1'));
    expect(text.split('\n').slice(0, 4)).toEqual([
      '# The Runway agent on app1: publishes only about app1, reads only its own deploy requests.',
      "# Paste into nats-server's authorization { users: [ ... ] }; start the agent with NATS_USER=app1 and NATS_PASSWORD.",
      '# nats-server reads the password from its environment variable AGENT_APP1_NATS_PASSWORD.',
      '{',
    ]);
    expect(text).toContain('  password: $AGENT_APP1_NATS_PASSWORD\n');
    expect(text).toContain('"telemetry.runway.agent.heartbeat.v1.app1"');
    expect(text).not.toContain('app2');
  });
});
