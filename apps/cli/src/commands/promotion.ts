/** promotion: `runway promote`, `runway promotions`, `runway lock`, `runway unlock`, `runway security-fixes`. */
import type { Command } from 'commander';
import type { NewLock, Promoted, Promotion, PromotionStatus, SecurityFix } from '@runway/contracts';
import { arg, parseOrUsage, type Register } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import { parsePositiveInt, parseRevisionRef, parseUntil } from '../parse';
import { lockSummary, mergedBackSummary, promotionsTable, securityFixesTable } from './promotion.format';

export const registerPromotion: Register = (program: Command, action) => {
  program
    .command('promote')
    .description('move production-stable to an approved revision now (role operator)')
    .argument('<rev>', 'revno (r42 or 42) or sha')
    .option('--force', 'promote a revision QA has not approved (recorded as forced; needs --reason)')
    .option('--reason <text>', 'why; required with --force')
    .action(action(async (ctx, rev, opts) => {
      const o = opts as { force?: boolean; reason?: string };
      const ref = parseOrUsage(() => parseRevisionRef(rev as string));
      if (o.force && !o.reason) throw new CliError('--force needs --reason', ExitCode.USAGE);
      const revision = ref.kind === 'revno' ? `r${ref.revno}` : ref.sha;
      const res = await ctx.client('promotion').post<Promoted>('/promotions', { revision, force: o.force || undefined, reason: o.reason });
      ctx.print(res, () => (res.promoted ? `promoted: production-stable is now ${res.promoted}` : `nothing to promote: ${revision} is already in production-stable`));
    }));

  program
    .command('promotions')
    .description('promotions of production-stable, newest first')
    .option('-n, --limit <n>', 'at most this many (1-1000)', arg(parsePositiveInt), 20)
    .action(action(async (ctx, opts) => {
      const list = await ctx.client('promotion').get<Promotion[]>('/promotions', { limit: (opts as { limit: number }).limit });
      ctx.print(list, () => promotionsTable(list, ctx.io.now()));
    }));

  program
    .command('lock')
    .description('stop automatic promotion; approvals queue until unlocked (role operator)')
    .argument('<reason>', 'why, shown to everyone')
    .option('--until <time>', 'release by itself at (ISO 8601, or a duration such as 2h)')
    .option('--author <who>', 'who the lock is for (default: the token\'s name)')
    .action(action(async (ctx, reason, opts) => {
      const o = opts as { until?: string; author?: string };
      const until = o.until ? parseOrUsage(() => parseUntil(o.until!, ctx.io.now())) : undefined;
      const lock = await ctx.client('promotion').post<NewLock>('/locks', { reason, until, author: o.author });
      ctx.print(lock, () => lockSummary(lock));
    }));

  program
    .command('unlock')
    .description('release a promotion lock (role operator); with no id, the only active lock')
    .argument('[id]', 'the lock id (see runway status)')
    .option('--all', 'release every active lock')
    .action(action(async (ctx, id, opts) => {
      const promotion = ctx.client('promotion');
      let ids: string[];
      if (id) ids = [id as string];
      else {
        const locks = (await promotion.get<PromotionStatus>('/status')).locks;
        if (!locks.length) throw new CliError('promotion is not locked', ExitCode.NOT_FOUND);
        if (locks.length > 1 && !(opts as { all?: boolean }).all) {
          throw new CliError(`${locks.length} locks are active; name one or use --all:\n${locks.map((l) => `  ${l.id}  ${l.reason}`).join('\n')}`, ExitCode.USAGE);
        }
        ids = locks.map((l) => l.id);
      }
      if (!ids.every((x) => /^[0-9a-f-]{36}$/i.test(x))) throw new CliError(`not a lock id: ${ids.join(', ')}`, ExitCode.USAGE);
      for (const x of ids) await promotion.delete(`/locks/${x}`);
      const status = await promotion.get<PromotionStatus>('/status');
      ctx.print({ released: ids, status }, () => `released ${ids.join(', ')}\nautomatic promotion: ${status.automaticPromotion}`);
    }));

  const fixes = program
    .command('security-fixes')
    .description('security fixes on production and how each came back to stable: list, merged-back');

  fixes
    .command('list', { isDefault: true })
    .description('every security fix, with where it is and how it was merged back (the default)')
    .option('--pending', 'only fixes stable does not have yet')
    .action(action(async (ctx, opts) => {
      const all = await ctx.client('promotion').get<SecurityFix[]>('/security-fixes');
      const list = (opts as { pending?: boolean }).pending ? all.filter((f) => !f.mergedBackAt) : all;
      ctx.print(list, () => securityFixesTable(list, ctx.io.now()));
    }));

  fixes
    .command('merged-back')
    .description('confirm a security fix is in stable when git cannot tell: no repository, or a reworked patch (role operator)')
    .argument('<sha>', 'the security fix (7 or more hex digits)')
    .requiredOption('--reason <text>', 'where stable got it, for the record')
    .action(action(async (ctx, sha, opts) => {
      const ref = parseOrUsage(() => parseRevisionRef(sha as string));
      if (ref.kind !== 'sha') throw new CliError(`merged-back needs a sha, not a revno: ${sha}`, ExitCode.USAGE);
      const fix = await ctx.client('promotion').post<SecurityFix>(`/security-fixes/${ref.sha}/merged-back`, { reason: (opts as { reason: string }).reason });
      ctx.print(fix, () => mergedBackSummary(fix, ctx.io.now()));
    }));
};
