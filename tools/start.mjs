#!/usr/bin/env node
/**
 * `npm start`: the whole of Runway on this machine. Installs and builds if needed, finds or
 * starts Postgres and NATS (see infra.mjs), migrates, starts the five services and the
 * dashboard and, unless `--no-demo`, the demo (demo.mjs): a real git repository and four
 * agents in three waves. Prints where everything is and a short tour. Ctrl-C stops what it
 * started.
 *
 * RUNWAY_STATE_DIR moves the state (default `.runway/`); RUNWAY_BASE_PORT moves the ports
 * (dashboard on it, qa-gate, promotion, rollout, flags and trail on the next five; default 3100).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { build, ensureDatabase, ensureInstalled, ensureNats, ensurePostgres, ROOT, STATE } from './infra.mjs';
import { DEMO_AGENTS, demoRolloutEnv, deployCommand, ensureDemoRepository } from './demo.mjs';

const require = createRequire(import.meta.url);
const say = (m) => console.log(`runway: ${m}`);
const demo = !process.argv.includes('--no-demo');
const basePort = Number(process.env.RUNWAY_BASE_PORT ?? 3100);
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65530) {
  console.error(`runway: RUNWAY_BASE_PORT must be a port number, not ${process.env.RUNWAY_BASE_PORT}`);
  process.exit(2);
}

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

// The demo's repository, unless the user named their own.
const ownGit = Boolean(process.env.QA_GIT_REPOSITORY || process.env.PROMOTION_GIT_REMOTE);
const demoDir = join(STATE, 'demo');
const repo = demo && !ownGit ? ensureDemoRepository(demoDir) : null;
if (repo?.created) say(`made the demo repository ${repo.remote}`);
const remote = process.env.PROMOTION_GIT_REMOTE ?? process.env.QA_GIT_REPOSITORY ?? repo?.remote;

const { startStack, startAgent, startDashboard, issueToken } = require('./stack.cjs');
const logDir = join(STATE, 'logs');
const env = {
  DATABASE_URL: databaseUrl, NATS_URL: nats.url, RUNWAY_ADMIN_TOKEN: adminToken, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  QA_GIT_CACHE_DIR: process.env.QA_GIT_CACHE_DIR ?? join(STATE, 'qa-gate', 'git'),
  PROMOTION_GIT_WORKDIR: process.env.PROMOTION_GIT_WORKDIR ?? join(STATE, 'promotion', 'git'),
  ...(repo ? { QA_GIT_REPOSITORY: repo.remote, PROMOTION_GIT_REMOTE: repo.remote } : {}),
  ...(demo ? demoRolloutEnv() : {}),
};
say(`starting qa-gate, promotion, rollout, flags and trail${repo ? ` on the demo repository` : ''}`);
const ports = { 'qa-gate': basePort + 1, promotion: basePort + 2, rollout: basePort + 3, flags: basePort + 4, trail: basePort + 5 };
/** What has started, so that a failed start stops it rather than leaving it running. */
const running = [];
const failedStart = async (e) => {
  console.error(`runway: could not start: ${e.message}`);
  await Promise.all(running.map((h) => h.stop().catch(() => undefined)));
  await pg.stop?.();
  process.exit(1);
};
const stack = await startStack(env, { logDir, ports }).catch(failedStart);
running.push(...Object.values(stack.services));

/** An agent token per host, kept between runs; a stale one (a new database) is replaced. */
async function agentToken(host) {
  const file = join(STATE, `agent-${host}.token`);
  let token = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  const probe = token ? await fetch(`${stack.url('rollout')}/servers`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status) : 401;
  if (probe === 401) {
    token = await issueToken(stack.url('rollout'), adminToken, { name: `agent ${host}`, roles: ['agent'], host });
    writeFileSync(file, token, { mode: 0o600 });
  }
  return token;
}

const agents = [];
if (demo) {
  say(`starting ${DEMO_AGENTS.length} agents: ${DEMO_AGENTS.map((a) => `${a.host} (${a.environment})`).join(', ')}`);
  const settled = await Promise.allSettled(DEMO_AGENTS.map(async ({ host, environment }) => {
    const serverDir = join(demoDir, 'servers', host);
    mkdirSync(serverDir, { recursive: true });
    return startAgent(
      {
        NATS_URL: nats.url, RUNWAY_ROLLOUT_URL: stack.url('rollout'), RUNWAY_AGENT_TOKEN: await agentToken(host), AGENT_HOST: host,
        AGENT_ENVIRONMENT: environment, AGENT_STATE_DIR: join(serverDir, 'state'), AGENT_HEARTBEAT_MS: '5000',
        AGENT_DEPLOY_COMMAND: remote ? deployCommand(remote, serverDir) : `echo "$(date -u +%FT%TZ) $RUNWAY_REVISION" >> '${join(serverDir, 'deployed.log')}'`,
        // At least info: an agent's log is its own file, and its "agent ready" line is how
        // startAgent knows it is up.
        LOG_LEVEL: ['trace', 'debug'].includes(env.LOG_LEVEL) ? env.LOG_LEVEL : 'info',
      },
      { logDir },
    );
  }));
  for (const a of settled) if (a.status === 'fulfilled') running.push(a.value);
  const failed = settled.find((a) => a.status === 'rejected');
  if (failed) await failedStart(failed.reason);
  agents.push(...settled.map((a) => a.value));
}

const dashboard = await startDashboard(
  { NATS_URL: nats.url, LOG_LEVEL: env.LOG_LEVEL },
  Object.fromEntries(['qa-gate', 'promotion', 'rollout', 'flags'].map((n) => [n, stack.url(n)])),
  { logDir, port: basePort },
).catch(failedStart);

const rel = (p) => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};
const cliEnv = basePort === 3100 ? '' : `  export RUNWAY_QA_GATE_URL=${stack.url('qa-gate')} RUNWAY_PROMOTION_URL=${stack.url('promotion')} RUNWAY_ROLLOUT_URL=${stack.url('rollout')} RUNWAY_FLAGS_URL=${stack.url('flags')}\n`;
const tour = repo
  ? `
A short tour (in another terminal, from ${rel(ROOT)}; \`npx runway\` is the CLI, or put
node_modules/.bin on your PATH):
  export RUNWAY_TOKEN=$(cat ${rel(tokenFile)})
${cliEnv}  W=${rel(repo.work)}
  # 1. Commit to stable, push, and land it as buildbot would: qastaging1 gets it at once.
  echo '# a change' >> $W/lib/greeting.py && git -C $W commit -qam 'Change the greeting' && git -C $W push -q origin stable
  npx runway land $(git -C $W rev-parse HEAD)
  # 2. QA marks it ok: production-stable moves, and edge1, lpnet1, lpnet2 roll out one by one.
  npx runway qa $(git -C $W rev-parse HEAD) ok
  npx runway servers            # or the dashboard's Servers page
  git -C ${rel(join(demoDir, 'servers', 'lpnet1', 'app'))} log -1 --oneline   # what lpnet1 runs
  # 3. A schema patch is a downtime deploy: it waits for the window (${env.ROLLOUT_DOWNTIME_WINDOW ?? process.env.ROLLOUT_DOWNTIME_WINDOW} UTC).
  echo 'ALTER TABLE person ADD COLUMN karma int;' > $W/database/schema/patch-2209-01-0.sql
  git -C $W add -A && git -C $W commit -qm 'Add karma' && git -C $W push -q origin stable
  npx runway land $(git -C $W rev-parse HEAD) && npx runway qa $(git -C $W rev-parse HEAD) ok
  npx runway rollout list
  # 4. A cowboy (a patch applied by hand) holds its server out of rollouts until its fix lands.
  npx runway cowboys add 0badc0ffee --host lpnet2 --reason 'hot fix for a timeout'
  npx runway servers
`
  : `
Land a revision and watch it deploy:
  export RUNWAY_TOKEN=$(cat ${rel(tokenFile)})
${cliEnv}  npx runway land $(openssl rand -hex 20) --message 'Fix a typo [no-qa]'
  npx runway servers
`;

console.log(`
Runway is running.
  dashboard   ${dashboard.url}      (log in with the admin token below)
  qa-gate     ${stack.url('qa-gate')}      (API docs: ${stack.url('qa-gate')}/docs)
  promotion   ${stack.url('promotion')}
  rollout     ${stack.url('rollout')}
  flags       ${stack.url('flags')}
  trail       ${stack.url('trail')}
${repo ? `  repository  ${repo.remote} (commit in ${repo.work})\n` : remote ? `  repository  ${remote}\n` : ''}${agents.length ? `  agents      ${DEMO_AGENTS.map((a) => a.host).join(', ')} (checkouts in ${join(demoDir, 'servers')})\n` : ''}  logs        ${logDir}
  admin token ${tokenFile}
${tour}
Ctrl-C stops Runway.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say('stopping');
  await dashboard.stop();
  await Promise.all(agents.map((a) => a.stop()));
  await stack.stop();
  await pg.stop?.();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const h of [...Object.values(stack.services), ...agents, dashboard]) {
  h.exited.then(({ code, signal }) => {
    if (!stopping) say(`${h.name} stopped unexpectedly (${signal ?? code}); see ${h.logFile}`);
  });
}
