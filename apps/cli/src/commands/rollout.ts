/** rollout: `runway servers [list|deregister]`, `runway rollout list|show|watch|pause|resume|cancel`, `runway hold`, `runway release`. */
import { setTimeout as sleep } from 'node:timers/promises';
import { MultiBar, type SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { Cowboy, Deregistered, NewHold, Rollout, RolloutDetail, Server } from '@runway/contracts';
import { arg, type Ctx, parseOrUsage, type Register } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import { json } from '../output';
import { revLabel } from '../output';
import { parsePositiveInt, parseReason, parseUntil } from '../parse';
import { isFinished, pickRollout, rolloutOutcome, rolloutsTable, serversTable, waveProgress } from './rollout.format';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function resolveRollout(ctx: Ctx, id: string | undefined): Promise<RolloutDetail> {
  const rollout = ctx.client('rollout');
  if (id) {
    if (!UUID.test(id)) throw new CliError(`not a rollout id: ${id}`, ExitCode.USAGE);
    return rollout.get<RolloutDetail>(`/rollouts/${id}`);
  }
  const picked = pickRollout(await rollout.get<Rollout[]>('/rollouts', { limit: 20 }));
  if (!picked) throw new CliError('no rollouts yet', ExitCode.NOT_FOUND);
  return rollout.get<RolloutDetail>(`/rollouts/${picked.id}`);
}

/** The exit code a finished rollout gives `watch`: a rollout that did not go out (superseded, cancelled) is not a success. */
export function watchExitCode(r: Rollout): number {
  if (r.status === 'failed') return ExitCode.ROLLOUT_FAILED;
  if (r.status === 'superseded' || r.status === 'cancelled') return ExitCode.CONFLICT;
  return ExitCode.OK;
}

function rolloutId(id: unknown): string {
  if (typeof id !== 'string' || !UUID.test(id)) throw new CliError(`not a rollout id: ${String(id)}`, ExitCode.USAGE);
  return id;
}

/** Polls a rollout until it ends, with one progress bar per wave (on stderr). */
async function watch(ctx: Ctx, first: RolloutDetail, intervalMs: number, timeoutMs: number | undefined): Promise<RolloutDetail> {
  const client = ctx.client('rollout');
  const deadline = timeoutMs ? Date.now() + timeoutMs : Infinity;
  // Bars go to stderr, made once the rollout has deploys; stdout keeps the outcome for scripts.
  const progress: { multibar: MultiBar | null } = { multibar: null };
  const multibar = () =>
    (progress.multibar ??= new MultiBar({
      format: '{wave} [{bar}] {value}/{total} {state}',
      hideCursor: ctx.io.isTTY,
      clearOnComplete: false,
      stopOnComplete: false,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      barsize: 30,
      emptyOnZero: true,
    }));
  const bars = new Map<string, SingleBar>();
  let lastStatus = '';
  let r = first;
  try {
    for (;;) {
      if (r.status !== lastStatus) {
        lastStatus = r.status;
        const line = `rollout ${r.id.slice(0, 8)} to ${r.toRevno ? `r${r.toRevno} ` : ''}${r.toSha.slice(0, 10)}: ${r.status}${r.failure ? ` (${r.failure.split('\n')[0]})` : ''}`;
        if (progress.multibar) progress.multibar.log(`${line}\n`);
        else if (!ctx.json) ctx.note(line);
      }
      const waves = waveProgress(r.deploys ?? []);
      if (!ctx.json && waves.length) {
        const mb = multibar();
        const width = Math.max(4, ...waves.map((w) => w.wave.length));
        for (const w of waves) {
          const payload = { wave: w.wave.padEnd(width), state: w.state };
          const bar = bars.get(w.wave);
          if (bar) {
            bar.setTotal(w.total);
            bar.update(w.done, payload);
          } else bars.set(w.wave, mb.create(w.total, w.done, payload));
        }
        if (ctx.io.isTTY) mb.update();
      }
      if (isFinished(r)) return r;
      if (Date.now() > deadline) throw new CliError(`rollout ${r.id} still ${r.status} after ${timeoutMs} ms`, ExitCode.ERROR);
      await sleep(intervalMs);
      r = await client.get<RolloutDetail>(`/rollouts/${r.id}`);
    }
  } finally {
    progress.multibar?.stop();
  }
}

export const registerRollout: Register = (program: Command, action) => {
  const servers = program.command('servers').description('servers with an agent: list, deregister');

  servers
    .command('list', { isDefault: true })
    .description('each server: environment, wave, running and desired revision, drift, heartbeat, the deploy in flight and its deadline, and what holds it: an operator hold or a hold cowboy (the default)')
    .action(action(async (ctx) => {
      const rollout = ctx.client('rollout');
      const [list, cowboys] = await Promise.all([rollout.get<Server[]>('/servers?deregistered=include'), rollout.get<Cowboy[]>('/cowboys', { status: 'applied' })]);
      ctx.print(list, () => serversTable(list, ctx.io.now(), cowboys));
    }));

  servers
    .command('deregister')
    .description('take a server gone for good out of every rollout; its agent registering again brings it back (role operator)')
    .argument('<host>', 'the server')
    .requiredOption('--reason <text>', 'why: replaced, decommissioned', arg(parseReason))
    .action(action(async (ctx, host, opts) => {
      const reason = (opts as { reason: string }).reason;
      const answer = await ctx.client('rollout').post<Deregistered>(`/servers/${encodeURIComponent(host as string)}/deregister`, { reason });
      ctx.print(answer, () => `${answer.host} deregistered by ${answer.deregisteredBy}: ${answer.reason}`);
    }));

  program
    .command('hold')
    .description('keep a server out of every rollout (role operator)')
    .argument('<host>', 'the server')
    .argument('<reason>', 'why')
    .option('--until <time>', 'release by itself at (ISO 8601, or a duration such as 2h)')
    .action(action(async (ctx, host, reason, opts) => {
      const o = opts as { until?: string };
      const until = o.until ? parseOrUsage(() => parseUntil(o.until!, ctx.io.now())) : undefined;
      const hold = await ctx.client('rollout').put<NewHold>(`/servers/${encodeURIComponent(host as string)}/hold`, { reason, until });
      ctx.print(hold, () => `${host} held: ${reason}`);
    }));

  program
    .command('release')
    .description('release a server\'s hold (role operator)')
    .argument('<host>', 'the server')
    .action(action(async (ctx, host) => {
      await ctx.client('rollout').delete(`/servers/${encodeURIComponent(host as string)}/hold`);
      ctx.print({ released: host }, () => `${host} released`);
    }));

  const rollout = program.command('rollout').description('rollouts: list, show, watch, pause, resume, cancel');

  rollout
    .command('list')
    .description('rollouts, newest first')
    .option('-n, --limit <n>', 'at most this many (1-500)', arg(parsePositiveInt), 20)
    .action(action(async (ctx, opts) => {
      const list = await ctx.client('rollout').get<Rollout[]>('/rollouts', { limit: (opts as { limit: number }).limit });
      ctx.print(list, () => rolloutsTable(list, ctx.io.now()));
    }));

  rollout
    .command('show')
    .description('one rollout with its deploys (default: the newest unfinished, else the newest)')
    .argument('[id]', 'rollout id')
    .action(action(async (ctx, id) => {
      const r = await resolveRollout(ctx, id as string | undefined);
      ctx.print(r, () => rolloutOutcome(r, ctx.io.now()));
    }));

  rollout
    .command('watch')
    .description('follow a rollout until it ends, with a progress bar per wave; exits 0 when it succeeds, 7 when it fails')
    .argument('[id]', 'rollout id (default: the newest unfinished, else the newest)')
    .option('--interval <ms>', 'how often to poll', arg(parsePositiveInt), 1000)
    .option('--max-wait <seconds>', 'give up after this long (exit 1)', arg(parsePositiveInt))
    .action(action(async (ctx, id, opts) => {
      const o = opts as { interval: number; maxWait?: number };
      const r = await watch(ctx, await resolveRollout(ctx, id as string | undefined), o.interval, o.maxWait ? o.maxWait * 1000 : undefined);
      ctx.out(ctx.json ? json(r) : rolloutOutcome(r, ctx.io.now()));
      return watchExitCode(r);
    }));

  for (const verb of ['pause', 'resume'] as const) {
    rollout
      .command(verb)
      .description(`${verb} a rollout (role operator)`)
      .argument('<id>', 'rollout id')
      .action(action(async (ctx, id) => {
        const r = await ctx.client('rollout').post<Rollout>(`/rollouts/${rolloutId(id)}/${verb}`);
        ctx.print(r, () => `rollout ${id}: ${r.status}`);
      }));
  }

  rollout
    .command('cancel')
    .description('stop a rollout for good: what has not gone out is cancelled and its track is free; deploys already running finish (role operator)')
    .argument('<id>', 'rollout id')
    .requiredOption('--reason <text>', 'why, kept and shown with the rollout', arg(parseReason))
    .action(action(async (ctx, id, opts) => {
      const r = await ctx.client('rollout').post<Rollout>(`/rollouts/${rolloutId(id)}/cancel`, { reason: (opts as { reason: string }).reason });
      ctx.print(r, () => `rollout ${r.id} to ${revLabel({ revno: r.toRevno, sha: r.toSha })}: ${r.failure ?? r.status}`);
    }));
};
