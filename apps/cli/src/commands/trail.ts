/** The trail: `runway story <rev>`, `runway trail [filters]` and `runway dora`. */
import { type Command, Option } from 'commander';
import type { Dora, Story, TrailEntry, TrailPage } from '@runway/contracts';
import type { Register } from '../context';
import { doraText, storyText, trailCsv, trailJsonLines, trailTable } from './trail.format';

interface TrailOpts {
  revision?: string; server?: string; actor?: string; type?: string; since?: string; until?: string; limit: string; all?: boolean; format?: string;
}

export const registerTrail: Register = (program: Command, action) => {
  program
    .command('story')
    .description('a revision\'s story, from landing to every server: each step, who did it, and its lead time')
    .argument('<revision>', 'r<revno>, a sha or a sha prefix')
    .action(action(async (ctx, revision) => {
      const story = await ctx.client('trail').get<Story>(`/story/${encodeURIComponent(revision as string)}`);
      ctx.print(story, () => storyText(story));
    }));

  program
    .command('trail')
    .description('what happened, newest first: filter by revision, server, actor, type and time; export as JSON lines or CSV')
    .option('--revision <rev>', 'r<revno>, a sha or a sha prefix')
    .option('--server <host>', 'a server')
    .option('--actor <name>', 'a token\'s name, an agent\'s host, or runway')
    .option('--type <type>', 'an event name such as qa-status-changed, or dead-letter')
    .option('--since <time>', 'ISO 8601')
    .option('--until <time>', 'ISO 8601')
    .option('--limit <n>', 'entries per page', '50')
    .option('--all', 'every page, not only the first')
    .addOption(new Option('--format <format>', 'text (default), jsonl or csv').choices(['text', 'jsonl', 'csv']))
    .action(action(async (ctx, opts) => {
      const o = opts as TrailOpts;
      const entries: TrailEntry[] = [];
      let cursor: string | undefined;
      do {
        const page = await ctx.client('trail').get<TrailPage>('/trail', {
          revision: o.revision, server: o.server, actor: o.actor, type: o.type, since: o.since, until: o.until, limit: o.limit, cursor,
        });
        entries.push(...page.entries);
        cursor = page.next ?? undefined;
      } while (o.all && cursor);
      if (o.format === 'jsonl') ctx.io.out(trailJsonLines(entries));
      else if (o.format === 'csv') ctx.io.out(trailCsv(entries));
      else ctx.print(entries, () => trailTable(entries));
    }));

  program
    .command('dora')
    .description('DORA\'s four keys: deployment frequency, lead time for changes, change failure rate, time to restore')
    .option('--since <time>', 'ISO 8601 (default: 30 days before --until)')
    .option('--until <time>', 'ISO 8601 (default: now)')
    .option('--environment <env>', 'production (default), qa, or a server environment')
    .action(action(async (ctx, opts) => {
      const o = opts as { since?: string; until?: string; environment?: string };
      const dora = await ctx.client('trail').get<Dora>('/dora', { since: o.since, until: o.until, environment: o.environment });
      ctx.print(dora, () => doraText(dora));
    }));
};
