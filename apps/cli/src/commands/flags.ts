/** flags: `runway flags get|set|unset|edit|explain|log` (the API is apps/flags/API.md). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Changelog, FlagExplanation, RuleChange, RuleSet } from '@runway/contracts';
import { arg, collect, type Ctx, type Register } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import { parseKeyValue, parseNonNegativeInt, parsePositiveInt } from '../parse';
import { changelogSummary, changeSummary, evaluationContext, explanationSummary, lineErrors, rulesTable } from './flags.format';

const FLAG_NAME = /^[A-Za-z0-9_.-]+$/;

function flagPath(flag: string): string {
  if (!FLAG_NAME.test(flag)) throw new CliError(`not a flag name: ${flag}`, ExitCode.USAGE);
  return `/flags/${encodeURIComponent(flag)}`;
}

/** Opens $VISUAL or $EDITOR on a file; the editor gets no Runway token in its environment. */
function runEditor(ctx: Ctx, file: string): void {
  const editor = ctx.env.VISUAL || ctx.env.EDITOR || 'vi';
  const env: NodeJS.ProcessEnv = { ...ctx.env, RUNWAY_RULES_FILE: file };
  delete env.RUNWAY_TOKEN;
  const r = spawnSync(`${editor} "$RUNWAY_RULES_FILE"`, { shell: true, stdio: 'inherit', env });
  if (r.error) throw new CliError(`cannot run the editor ${editor}: ${r.error.message}`, ExitCode.ERROR);
  if (r.status !== 0) throw new CliError(`the editor ${editor} exited with ${r.status ?? r.signal}; nothing saved`, ExitCode.ERROR);
}

/** Rejected rules: the line errors, and where the edited text was kept for another try. */
function rejected(e: CliError, text: string, dir: string): CliError {
  const kept = join(dir, 'rules.txt');
  writeFileSync(kept, text);
  const again = `your text is kept in ${kept}; fix it and run: runway flags edit --file ${kept} -m ...`;
  if (e.details.errors?.length) return new CliError(`the rules were rejected, nothing changed:\n${lineErrors(e.details.errors, text)}\n${again}`, ExitCode.ERROR, e.details);
  if (e.exitCode === ExitCode.CONFLICT) return new CliError(`someone changed the rules meanwhile (${e.message}); nothing changed\n${again}`, ExitCode.CONFLICT, e.details);
  return e;
}

export const registerFlags: Register = (program: Command, action) => {
  const flags = program.command('flags').description('feature flags: get, set, unset, edit, explain, log');

  flags
    .command('get')
    .description('the rules, of one flag or of all')
    .argument('[flag]', 'only this flag')
    .option('--scope <scope>', 'only rules with this scope')
    .option('--text', 'print the rule text, one rule a line, as `edit` shows it')
    .action(action(async (ctx, flag, opts) => {
      const o = opts as { scope?: string; text?: boolean };
      const set = await ctx.client('flags').get<RuleSet>('/rules', { flag: flag as string | undefined, scope: o.scope });
      if (o.text && !ctx.json) ctx.io.out(set.text.endsWith('\n') || !set.text ? set.text : `${set.text}\n`);
      else ctx.print(set, () => rulesTable(set));
    }));

  flags
    .command('set')
    .description('add a rule, or replace the value (and scope) of one (role flag-editor)')
    .argument('<flag>', 'the flag')
    .argument('<scope>', 'default, server.<env>, pageid:<page>, team:<name>, user:<name>, script:<name>, userslice:<a>,<b>, percent:<n>')
    .argument('<value>', 'the value')
    .option('-p, --priority <n>', 'the rule\'s priority (default: the priority of the flag\'s rule with this scope; 0 for a flag\'s first rule)', arg(parseNonNegativeInt))
    .requiredOption('-m, --comment <text>', 'why, for the changelog')
    .action(action(async (ctx, flag, scope, value, opts) => {
      const o = opts as { priority?: number; comment: string };
      const client = ctx.client('flags');
      const path = flagPath(flag as string);
      const current = (await client.get<RuleSet>('/rules', { flag: flag as string })).rules.filter((r) => r.flag === flag);
      let priority = o.priority;
      if (priority === undefined) {
        const same = current.filter((r) => r.scope === scope);
        if (same.length === 1) priority = same[0].priority;
        else if (same.length > 1) throw new CliError(`${flag} has ${same.length} rules with scope ${scope} (priorities ${same.map((r) => r.priority).join(', ')}); give --priority`, ExitCode.USAGE);
        else if (current.length === 0) priority = 0;
        else throw new CliError(`${flag} has rules at priorities ${current.map((r) => r.priority).join(', ')}; give --priority for the new one`, ExitCode.USAGE);
      }
      const existing = current.find((r) => r.priority === priority);
      const change = existing
        ? await client.patch<RuleChange>(`${path}/rules/${priority}`, { scope, value, comment: o.comment })
        : await client.post<RuleChange>(`${path}/rules`, { scope, priority, value, comment: o.comment });
      ctx.print(change, () => `${existing ? 'replaced' : 'added'}: ${flag} ${scope} ${priority} ${value}\n${changeSummary(change)}`);
    }));

  flags
    .command('unset')
    .description('delete one rule (role flag-editor)')
    .argument('<flag>', 'the flag')
    .argument('<priority>', 'the rule\'s priority', arg(parseNonNegativeInt))
    .requiredOption('-m, --comment <text>', 'why, for the changelog')
    .action(action(async (ctx, flag, priority, opts) => {
      const change = await ctx.client('flags').delete<RuleChange>(`${flagPath(flag as string)}/rules/${priority}`, { comment: (opts as { comment: string }).comment });
      ctx.print(change, () => `deleted: ${flag} priority ${priority}\n${changeSummary(change)}`);
    }));

  flags
    .command('edit')
    .description('edit the whole rule text in $VISUAL or $EDITOR, then save it in one change (role flag-editor)')
    .requiredOption('-m, --comment <text>', 'why, for the changelog')
    .option('--file <path>', 'save this text instead of opening an editor (for scripts, or after a rejected edit)')
    .action(action(async (ctx, opts) => {
      const o = opts as { comment: string; file?: string };
      const client = ctx.client('flags');
      const current = await client.get<RuleSet>('/rules');
      const dir = mkdtempSync(join(tmpdir(), 'runway-flags-'));
      let text: string;
      if (o.file) {
        try {
          text = readFileSync(o.file, 'utf8');
        } catch (e) {
          throw new CliError(`cannot read ${o.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ExitCode.USAGE);
        }
      } else {
        const file = join(dir, 'rules.txt');
        writeFileSync(file, current.text.endsWith('\n') || !current.text ? current.text : `${current.text}\n`);
        runEditor(ctx, file);
        text = readFileSync(file, 'utf8');
      }
      if (text.trim() === current.text.trim()) {
        rmSync(dir, { recursive: true, force: true });
        ctx.print({ version: current.version, changed: false }, () => 'no change: the rules are as they were');
        return;
      }
      let change: RuleChange;
      try {
        change = await client.put<RuleChange>('/rules', { text, comment: o.comment, expectedVersion: current.version });
      } catch (e) {
        throw e instanceof CliError ? rejected(e, text, dir) : e;
      }
      rmSync(dir, { recursive: true, force: true });
      ctx.print(change, () => changeSummary(change));
    }));

  flags
    .command('explain')
    .description('evaluate a flag for a context and show which rules applied and why')
    .argument('<flag>', 'the flag')
    .option('--user <name>', 'user name')
    .option('--user-id <id>', 'user id')
    .option('--team <name>', 'a team the user is in (repeatable)', collect)
    .option('--server <env>', 'server environment, such as lpnet or qastaging')
    .option('--page-id <id>', 'page id')
    .option('--script <name>', 'script name')
    .option('--targeting-key <key>', 'OpenFeature targeting key')
    .option('--attr <key=value>', 'any other context attribute (repeatable)', (v: string, prev: [string, string][] | undefined) => [...(prev ?? []), arg(parseKeyValue)(v)])
    .action(action(async (ctx, flag, opts) => {
      const e = await ctx.client('flags').post<FlagExplanation>(`/evaluate/${encodeURIComponent(flag as string)}`, { context: evaluationContext(opts as Parameters<typeof evaluationContext>[0]) });
      ctx.print(e, () => explanationSummary(e));
    }));

  flags
    .command('log')
    .description('the changelog, newest first')
    .option('--flag <flag>', 'only changes to this flag')
    .option('-n, --limit <n>', 'at most this many', arg(parsePositiveInt), 20)
    .option('--before <id>', 'the page below this change (from "More: --before N")')
    .option('--diff', 'show each change\'s diff')
    .action(action(async (ctx, opts) => {
      const o = opts as { flag?: string; limit: number; before?: string; diff?: boolean };
      const log = await ctx.client('flags').get<Changelog>('/changelog', { flag: o.flag, limit: o.limit, before: o.before });
      ctx.print(log, () => changelogSummary(log, ctx.io.now(), o.diff === true));
    }));
};
