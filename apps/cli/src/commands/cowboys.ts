/** rollout's cowboys: `runway cowboys [list|add|remove|fix|check]`. */
import { type Command, Option } from 'commander';
import type { Cowboy, Preflight } from '@runway/contracts';
import { collect, type Ctx, type Register } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import { cowboysTable, findByIdPrefix, preflightSummary } from './cowboys.format';

async function findCowboy(ctx: Ctx, idOrPrefix: string): Promise<Cowboy> {
  if (!/^[0-9a-f-]{4,36}$/i.test(idOrPrefix)) throw new CliError(`not a cowboy id: ${idOrPrefix}`, ExitCode.USAGE);
  const live = await ctx.client('rollout').get<Cowboy[]>('/cowboys', { status: 'applied' });
  const found = findByIdPrefix(live, idOrPrefix);
  if (found === 'ambiguous') throw new CliError(`${idOrPrefix} names more than one cowboy; give more of the id`, ExitCode.USAGE);
  if (!found) throw new CliError(`no applied cowboy ${idOrPrefix}`, ExitCode.NOT_FOUND);
  return found;
}

export const registerCowboys: Register = (program: Command, action) => {
  const cowboys = program.command('cowboys').description('hot patches applied by hand: list, add, remove, fix, check');

  cowboys
    .command('list', { isDefault: true })
    .description('applied cowboys (the default)')
    .option('--all', 'retired ones too')
    .action(action(async (ctx, opts) => {
      const list = await ctx.client('rollout').get<Cowboy[]>('/cowboys', { status: (opts as { all?: boolean }).all ? undefined : 'applied' });
      ctx.print(list, () => cowboysTable(list, ctx.io.now()));
    }));

  cowboys
    .command('add')
    .description('record a cowboy applied by hand on some servers (role operator)')
    .argument('<patch-hash>', 'hash of the patch content, 7 to 128 hex digits')
    .requiredOption('--host <host>', 'a server it is applied on (repeatable)', collect)
    .requiredOption('--reason <text>', 'why it was applied')
    .addOption(new Option('--policy <policy>', 'at deploy time: hold the server out, or carry the patch over').choices(['hold', 'carry']).default('hold'))
    .option('--fixed-by <sha>', 'the revision that fixes it for good, if known')
    .option('--description <text>', 'what the patch does')
    .action(action(async (ctx, hash, opts) => {
      const o = opts as { host: string[]; reason: string; policy: string; fixedBy?: string; description?: string };
      const rows = await ctx.client('rollout').post<Cowboy[]>('/cowboys', {
        hosts: o.host, patchHash: hash, reason: o.reason, policy: o.policy, fixedBy: o.fixedBy, description: o.description,
      });
      ctx.print(rows, () => `recorded:\n${cowboysTable(rows, ctx.io.now())}`);
    }));

  cowboys
    .command('remove')
    .description('retire a cowboy that was removed by hand (role operator)')
    .argument('<id>', 'cowboy id, or an unambiguous prefix of it')
    .requiredOption('--reason <text>', 'how it was removed')
    .action(action(async (ctx, id, opts) => {
      const c = await findCowboy(ctx, id as string);
      const row = await ctx.client('rollout').delete<Cowboy>(`/cowboys/${c.id}`, { reason: (opts as { reason: string }).reason });
      ctx.print(row, () => `retired ${row.id.slice(0, 8)} on ${row.host}: ${row.retiredReason ?? ''}`);
    }));

  cowboys
    .command('fix')
    .description('set the fixing revision or the policy of a cowboy (role operator)')
    .argument('<id>', 'cowboy id, or an unambiguous prefix of it')
    .option('--fixed-by <sha>', 'the revision that fixes it for good')
    .addOption(new Option('--policy <policy>', 'hold or carry').choices(['hold', 'carry']))
    .action(action(async (ctx, id, opts) => {
      const o = opts as { fixedBy?: string; policy?: string };
      if (!o.fixedBy && !o.policy) throw new CliError('give --fixed-by or --policy', ExitCode.USAGE);
      const c = await findCowboy(ctx, id as string);
      const row = await ctx.client('rollout').patch<Cowboy>(`/cowboys/${c.id}`, { fixedBy: o.fixedBy, policy: o.policy });
      ctx.print(row, () => cowboysTable([row], ctx.io.now()));
    }));

  cowboys
    .command('check')
    .description(`for scripts: exit 0 when no cowboy is applied anywhere, ${ExitCode.COWBOYS_APPLIED} when any is`)
    .action(action(async (ctx) => {
      const p = await ctx.client('rollout').get<Preflight>('/preflight/cowboys');
      ctx.print(p, () => preflightSummary(p, ctx.io.now()));
      return p.clean ? ExitCode.OK : ExitCode.COWBOYS_APPLIED;
    }));
};
