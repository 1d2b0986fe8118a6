/** Setting up an application server's agent: `runway agent nats-permissions <host>`. */
import type { Command } from 'commander';
import { type Register, parseOrUsage } from '../context';
import { agentNatsUser, agentNatsUserText } from './agent.format';

export const registerAgent: Register = (program: Command, action) => {
  const agent = program.command('agent').description("an application server's agent: its NATS user");

  agent
    .command('nats-permissions')
    .description("the nats-server user entry for the agent on <host>: its own host's subjects and its own consumer, nothing else (calls no service)")
    .argument('<host>', 'the host name the agent runs as (AGENT_HOST)')
    .option('--namespace <ns>', 'the RUNWAY_NAMESPACE of the installation, if any')
    .option('--user <name>', 'the NATS user name (default: the host name)')
    .option('--password <text>', 'the password as nats-server should read it (default: $AGENT_<HOST>_NATS_PASSWORD, from its environment)')
    .action(action(async (ctx, host, opts) => {
      const o = opts as { namespace?: string; user?: string; password?: string };
      const entry = parseOrUsage(() => agentNatsUser(host as string, o));
      ctx.print(entry, () => agentNatsUserText(entry));
    }));
};
