#!/usr/bin/env node
/** Entry point of the agent process on an application server. */
import 'reflect-metadata';
import pino from 'pino';
import { Agent } from './agent';
import { loadAgentEnv } from './config';

async function main(): Promise<void> {
  const env = loadAgentEnv();
  const log = pino({
    level: env.LOG_LEVEL, base: { service: 'rollout-agent', host: env.AGENT_HOST }, timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
  const agent = new Agent(env, log);
  await agent.start();
  const stop = () => void agent.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`runway agent: cannot start: ${(e as Error).message}\n`);
  process.exit(1);
});
