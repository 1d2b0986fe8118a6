/**
 * The demo `npm start` runs where nothing else is configured: a real git repository with
 * `stable`, `production-stable` and `production-devel` (qa-gate reads it, promotion pushes to
 * it), four local agents in three waves whose deploys check the revision out into a directory
 * of their own, and rollout settings that make every step visible within seconds. Each part
 * gives way to the user's own: QA_GIT_REPOSITORY / PROMOTION_GIT_REMOTE replace the
 * repository, and any rollout setting set in the environment is kept.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The demo's servers: QA runs the tip of stable on qastaging; production goes edge, then lpnet. */
export const DEMO_AGENTS = [
  { host: 'qastaging1', environment: 'qastaging' },
  { host: 'edge1', environment: 'edge' },
  { host: 'lpnet1', environment: 'lpnet' },
  { host: 'lpnet2', environment: 'lpnet' },
];

const IDENTITY = { GIT_AUTHOR_NAME: 'Runway demo', GIT_AUTHOR_EMAIL: 'demo@runway.invalid', GIT_COMMITTER_NAME: 'Runway demo', GIT_COMMITTER_EMAIL: 'demo@runway.invalid' };

function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...IDENTITY }, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * The demo repository under `dir`, made once and kept between runs (the database remembers its
 * commits): `origin.git` is the remote every part uses, `work/` a clone to commit in.
 */
export function ensureDemoRepository(dir) {
  const remote = join(dir, 'origin.git');
  const work = join(dir, 'work');
  if (existsSync(join(remote, 'HEAD')) && existsSync(join(work, '.git'))) return { remote, work, created: false };
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '--bare', '-b', 'stable', remote);
  git(dir, 'clone', '-q', remote, work);
  git(work, 'checkout', '-q', '-B', 'stable');
  git(work, 'config', 'user.name', IDENTITY.GIT_AUTHOR_NAME);
  git(work, 'config', 'user.email', IDENTITY.GIT_AUTHOR_EMAIL);
  mkdirSync(join(work, 'lib'), { recursive: true });
  mkdirSync(join(work, 'database', 'schema'), { recursive: true });
  writeFileSync(join(work, 'README.md'), '# The Runway demo application\n\nCommit to `stable`, land it, and watch it reach every server.\n');
  writeFileSync(join(work, 'lib', 'greeting.py'), 'def greeting():\n    return "Hello from the demo"\n');
  writeFileSync(join(work, 'database', 'schema', 'README'), 'Schema patches (patch-YYYY-NN-N.sql) need a downtime deploy.\n');
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'The demo application');
  git(work, 'push', '-q', 'origin', 'stable', 'stable:production-stable', 'stable:production-devel');
  git(work, 'fetch', '-q', 'origin');
  return { remote, work, created: true };
}

/** A deploy command that checks `$RUNWAY_REVISION` out into `serverDir/app`, as a server would run it. */
export function deployCommand(remote, serverDir) {
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const app = join(serverDir, 'app');
  return [
    'set -e',
    `[ -d ${q(join(app, '.git'))} ] || git clone -q ${q(remote)} ${q(app)}`,
    `git -C ${q(app)} fetch -q origin '+refs/heads/*:refs/remotes/origin/*'`,
    `git -C ${q(app)} -c advice.detachedHead=false checkout -q --detach "$RUNWAY_REVISION"`,
    // A real deploy takes a moment; so does this one, so the waves can be watched.
    'sleep 1',
    `echo "$(date -u +%FT%TZ) $RUNWAY_REVISION ($RUNWAY_DEPLOY_KIND)" >> ${q(join(serverDir, 'deployed.log'))}`,
  ].join('\n');
}

/** `daily HH:MM/<minutes>` opening `inMinutes` from now (UTC), so a schema patch is seen waiting, then going. */
export function demoDowntimeWindow(now = new Date(), inMinutes = 5, lengthMinutes = 30) {
  const at = new Date(now.getTime() + inMinutes * 60_000);
  const hh = String(at.getUTCHours()).padStart(2, '0');
  const mm = String(at.getUTCMinutes()).padStart(2, '0');
  return `daily ${hh}:${mm}/${lengthMinutes}`;
}

/** Rollout's settings for the demo, where the environment does not set them. */
export function demoRolloutEnv(env = process.env, now = new Date()) {
  const wanted = {
    // edge is production's first wave here; QA runs on qastaging alone.
    QA_ENVIRONMENTS: 'qastaging',
    ROLLOUT_WAVES: 'qastaging,edge,lpnet',
    // One server at a time: edge1, then lpnet1, then lpnet2.
    ROLLOUT_BATCH_SIZE: '1',
    ROLLOUT_DOWNTIME_WINDOW: demoDowntimeWindow(now),
    AGENT_HEARTBEAT_TIMEOUT_SECONDS: '15',
  };
  return Object.fromEntries(Object.entries(wanted).filter(([k]) => !env[k]));
}
