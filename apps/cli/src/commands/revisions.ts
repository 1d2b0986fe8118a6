/** qa-gate: `runway revisions`, `runway qa`, `runway deployable`, `runway land`, `runway landings`. */
import { Argument, type Command, Option } from 'commander';
import { type Deployable, type Landing, type LandingAnswer, type LandingPage, LANDING_STATES, type Revision, type RevisionPage } from '@runway/contracts';
import { arg, collect, type Ctx, parseOrUsage, type Register } from '../context';
import { CliError, ExitCode } from '../exit-codes';
import { parseLandingId, parsePositiveInt, parseRevisionRef, parseSince, parseUntil, type RevisionRef } from '../parse';
import { revLabel } from '../output';
import {
  blockerName, deployableSummary, dismissedSummary, landingsTable, landingSummary, productionBadLine, qaLabel, revisionsTable,
} from './revisions.format';

const QA_STATUSES = ['ok', 'bad', 'untestable', 'no-qa', 'needs-testing'];

/** The QA branch qa-gate watches (its answer to GET /deployable), for revnos given without --branch. */
async function qaBranch(ctx: Ctx): Promise<string> {
  return (await ctx.client('qa-gate').get<Deployable>('/deployable')).branch;
}

/** qa-gate addresses a revision by id or sha; a revno is looked up on its branch. */
export async function findRevision(ctx: Ctx, ref: RevisionRef, branch: string | undefined): Promise<Revision> {
  const qa = ctx.client('qa-gate');
  if (ref.kind === 'sha') return qa.get<Revision>(`/revisions/${ref.sha}`);
  const b = branch ?? (await qaBranch(ctx));
  const page = await qa.get<RevisionPage>('/revisions', { branch: b, before: ref.revno + 1, limit: 1 });
  const r = page.items[0];
  if (!r || r.revno !== ref.revno) throw new CliError(`no revision r${ref.revno} on ${b}`, ExitCode.NOT_FOUND);
  return r;
}

export const registerRevisions: Register = (program: Command, action) => {
  program
    .command('revisions')
    .description('list landed revisions, newest first, with their QA status')
    .option('-b, --branch <branch>', 'only this branch')
    .addOption(new Option('-s, --status <status>', 'only revisions with this QA status').choices(QA_STATUSES))
    .option('--since <time>', 'only revisions landed since (ISO 8601, or a duration such as 2h, 3d)')
    .option('-n, --limit <n>', 'at most this many (1-1000)', arg(parsePositiveInt), 30)
    .option('--before <revno>', 'the page below this revno (from "More: --before N")', arg(parsePositiveInt))
    .action(action(async (ctx, opts) => {
      const o = opts as { branch?: string; status?: string; since?: string; limit: number; before?: number };
      const since = o.since ? parseOrUsage(() => parseSince(o.since!, ctx.io.now())) : undefined;
      const page = await ctx.client('qa-gate').get<RevisionPage>('/revisions', { branch: o.branch, status: o.status, since, limit: o.limit, before: o.before });
      ctx.print(page, () => revisionsTable(page, ctx.io.now()));
    }));

  program
    .command('qa')
    .description('set the QA status of a revision (role qa)')
    .addArgument(new Argument('<rev>', 'revno (r42 or 42) or sha').argParser(arg(parseRevisionRef)))
    .addArgument(new Argument('<status>', 'the new QA status').choices(QA_STATUSES))
    .option('--fixed-by <rev>', 'for bad: the revno or sha of the revision that fixes it')
    .option('--note <text>', 'why, for the history')
    .option('-b, --branch <branch>', 'the branch of a revno (default: the QA branch)')
    .action(action(async (ctx, ref, status, opts) => {
      const o = opts as { fixedBy?: string; note?: string; branch?: string };
      if (o.fixedBy && status !== 'bad') throw new CliError('--fixed-by goes with bad only', ExitCode.USAGE);
      if (o.fixedBy) parseOrUsage(() => parseRevisionRef(o.fixedBy!));
      const rev = await findRevision(ctx, ref as RevisionRef, o.branch);
      const qa = ctx.client('qa-gate');
      const updated = await qa.patch<Revision>(`/revisions/${rev.id}/qa`, { status, note: o.note, fixedBy: o.fixedBy?.replace(/^r/i, '') });
      const deployable = await qa.get<Deployable>('/deployable', { branch: updated.branch });
      ctx.print({ revision: updated, deployable }, () => [
        `r${updated.revno} ${updated.sha.slice(0, 10)} (${updated.branch}): ${rev.qaStatus} -> ${qaLabel(updated)}`,
        `deployable: ${deployable.deployable ? revLabel(deployable.deployable) : 'none'}${deployable.blocker ? `; blocked by ${blockerName(deployable.blocker)} (${deployable.blocker.kind})` : ''}`,
        ...(deployable.productionRunsBad?.revisions ?? []).map((r) => `production runs bad: ${productionBadLine(r)}`),
      ].join('\n'));
    }));

  program
    .command('deployable')
    .description('the deployable revision, what blocks the next one, and who must act')
    .option('-b, --branch <branch>', 'the QA branch (default: the one qa-gate watches)')
    .action(action(async (ctx, opts) => {
      const d = await ctx.client('qa-gate').get<Deployable>('/deployable', { branch: (opts as { branch?: string }).branch });
      ctx.print(d, () => deployableSummary(d, ctx.io.now()));
    }));

  program
    .command('land')
    .description('record a landed revision (role buildbot), for buildbot or PQM scripts')
    .argument('<sha>', 'the landed commit, 7 to 64 lower-case hex digits')
    .option('-b, --branch <branch>', 'the branch it landed on (default: the QA branch)')
    .option('--revno <n>', 'its first-parent sequence number, if known', arg(parsePositiveInt))
    .option('-m, --message <text>', 'the commit message')
    .option('--author <who>', 'the commit author')
    .option('--build-url <url>', 'the build that landed it')
    .option('--landed-at <time>', 'when it landed (ISO 8601; default now)')
    .option('--file <path>', 'a changed path (repeatable), when qa-gate has no git repository', collect)
    .action(action(async (ctx, sha, opts) => {
      const o = opts as { branch?: string; revno?: number; message?: string; author?: string; buildUrl?: string; landedAt?: string; file?: string[] };
      const ref = parseOrUsage(() => parseRevisionRef(sha as string));
      if (ref.kind !== 'sha') throw new CliError(`land needs a sha, not a revno: ${sha}`, ExitCode.USAGE);
      const landedAt = o.landedAt ? parseOrUsage(() => parseUntil(o.landedAt!, ctx.io.now())) : undefined;
      const branch = o.branch ?? (await qaBranch(ctx));
      const outcome = await ctx.client('qa-gate').post<LandingAnswer>('/revisions', {
        branch, sha: ref.sha, revno: o.revno, message: o.message, author: o.author, buildUrl: o.buildUrl, landedAt, files: o.file,
      });
      ctx.print(outcome ?? null, () => landingSummary(outcome ?? null, ref.sha));
    }));

  const landings = program
    .command('landings')
    .description('landings as reported and what git made of each (qa-gate with a repository): list, dismiss');

  landings
    .command('list', { isDefault: true })
    .description('landings, newest first (the default)')
    .addOption(new Option('-s, --state <state>', 'only landings in this state').choices(LANDING_STATES))
    .option('-b, --branch <branch>', 'only this branch')
    .option('-n, --limit <n>', 'at most this many (1-1000)', arg(parsePositiveInt), 30)
    .option('--before <id>', 'the page below this landing id (from "More: --before N")', arg(parseLandingId))
    .action(action(async (ctx, opts) => {
      const o = opts as { state?: string; branch?: string; limit: number; before?: string };
      const page = await ctx.client('qa-gate').get<LandingPage>('/landings', { state: o.state, branch: o.branch, limit: o.limit, before: o.before });
      ctx.print(page, () => landingsTable(page, ctx.io.now()));
    }));

  landings
    .command('dismiss')
    .description('set a refused or pending landing aside, so it no longer blocks (role operator)')
    .argument('<id>', 'the landing id (see runway landings --state refused)', arg(parseLandingId))
    .requiredOption('--reason <text>', 'why: how the branch was set right, say')
    .action(action(async (ctx, id, opts) => {
      const landing = await ctx.client('qa-gate').post<Landing>(`/landings/${id as string}/dismiss`, { reason: (opts as { reason: string }).reason });
      ctx.print(landing, () => dismissedSummary(landing));
    }));
};

