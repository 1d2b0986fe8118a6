#!/usr/bin/env node
/**
 * `npm start`: the whole of Runway on this machine. Installs and builds if needed, finds or
 * starts Postgres and NATS (see infra.mjs), migrates, starts the four services, one local agent
 * and the dashboard, and prints where everything is. Ctrl-C stops what it started.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { build, ensureDatabase, ensureInstalled, ensureNats, ensurePostgres, STATE } from './infra.mjs';

const require = createRequire(import.meta.url);
const say = (m) => console.log(`runway: ${m}`);

ensureInstalled(say);
mkdirSync(STATE, { recursive: true });
const pg = await ensurePostgres(say);
const nats = await ensureNats(say);
const databaseUrl = process.env.DATABASE_URL ?? (await ensureDatabase(pg.url, 'runway'));
say(`Postgres: ${pg.source}; NATS: ${nats.source}`);
say('building');
if (build() !== 0) process.exit(1);

const tokenFile = join(STATE, 'admin-token');
const adminToken = process.env.RUNWAY_ADMIN_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : `rwy_${randomBytes(32).toString('base64url')}`);
if (!process.env.RUNWAY_ADMIN_TOKEN) writeFileSync(tokenFile, adminToken, { mode: 0o600 });

const { startStack, startAgent, startDashboard, issueToken } = require('./stack.cjs');
const logDir = join(STATE, 'logs');
const env = { DATABASE_URL: databaseUrl, NATS_URL: nats.url, RUNWAY_ADMIN_TOKEN: adminToken, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
say('starting qa-gate, promotion, rollout and flags');
const stack = await startStack(env, { logDir });

// The local agent keeps its token between runs; a stale one is replaced.
const agentHost = process.env.AGENT_HOST ?? 'localhost';
const agentTokenFile = join(STATE, `agent-${agentHost}.token`);
let agentToken = existsSync(agentTokenFile) ? readFileSync(agentTokenFile, 'utf8').trim() : '';
const probe = agentToken
  ? await fetch(`${stack.url('rollout')}/servers`, { headers: { authorization: `Bearer ${agentToken}` } }).then((r) => r.status)
  : 401;
if (probe === 401) {
  agentToken = await issueToken(stack.url('rollout'), adminToken, { name: `agent ${agentHost}`, roles: ['agent'], host: agentHost });
  writeFileSync(agentTokenFile, agentToken, { mode: 0o600 });
}
const deployLog = join(STATE, 'deployed.log');
const agent = await startAgent(
  {
    NATS_URL: nats.url, RUNWAY_ROLLOUT_URL: stack.url('rollout'), RUNWAY_AGENT_TOKEN: agentToken, AGENT_HOST: agentHost,
    AGENT_ENVIRONMENT: process.env.AGENT_ENVIRONMENT ?? 'qastaging', AGENT_STATE_DIR: join(STATE, 'agent'),
    AGENT_DEPLOY_COMMAND: process.env.AGENT_DEPLOY_COMMAND ?? `echo "$(date -u +%FT%TZ) deployed $RUNWAY_REVISION ($RUNWAY_DEPLOY_KIND)" | tee -a "${deployLog}"`,
    LOG_LEVEL: env.LOG_LEVEL,
  },
  { logDir },
);

const dashboard = await startDashboard(
  { NATS_URL: nats.url, LOG_LEVEL: env.LOG_LEVEL },
  Object.fromEntries(['qa-gate', 'promotion', 'rollout', 'flags'].map((n) => [n, stack.url(n)])),
  { logDir, port: Number(process.env.DASHBOARD_PORT ?? 3100) },
);

console.log(`
Runway is running.
  dashboard   ${dashboard.url}      (log in with the admin token below)
  qa-gate     ${stack.url('qa-gate')}      (API docs: ${stack.url('qa-gate')}/docs)
  promotion   ${stack.url('promotion')}
  rollout     ${stack.url('rollout')}
  flags       ${stack.url('flags')}
  agent       ${agentHost} (deploys are logged to ${deployLog})
  logs        ${logDir}
  admin token ${tokenFile}

Land a revision and watch it deploy:
  TOKEN=$(cat ${tokenFile})
  curl -s -X POST ${stack.url('qa-gate')}/revisions -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
       -d '{"branch":"stable","sha":"'$(openssl rand -hex 20)'","message":"Fix a typo [no-qa]"}'
  curl -s ${stack.url('rollout')}/servers -H "authorization: Bearer $TOKEN"

Ctrl-C stops Runway.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say('stopping');
  await dashboard.stop();
  await agent.stop();
  await stack.stop();
  await pg.stop?.();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const h of [...Object.values(stack.services), agent, dashboard]) {
  h.exited.then(({ code, signal }) => {
    if (!stopping) say(`${h.name} stopped unexpectedly (${signal ?? code}); see ${h.logFile}`);
  });
}
