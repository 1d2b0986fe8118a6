/** The `runway` command line: global options, every command group, errors and exit codes. */
import { Command, CommanderError, Option } from 'commander';
import { registerAgent } from './commands/agent';
import { registerCowboys } from './commands/cowboys';
import { registerFlags } from './commands/flags';
import { registerPromotion } from './commands/promotion';
import { registerRevisions } from './commands/revisions';
import { registerRollout } from './commands/rollout';
import { registerStatus } from './commands/status';
import { registerTrail } from './commands/trail';
import { type Action, arg, Ctx, type Deps, type GlobalOptions } from './context';
import { CliError, ExitCode } from './exit-codes';
import { json } from './output';
import { parsePositiveInt } from './parse';

export const VERSION = '0.1.0';

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  error: a service unreachable or failing, or an input it rejected
  2  usage: unknown command or option, bad or missing argument
  3  auth: no token, a bad or revoked one, or one without the role
  4  not found: no such revision, lock, rollout, cowboy, rule, landing or security fix
  5  conflict or held: not approved, already there, changed meanwhile, nothing to dismiss,
     a rollout already ended (cancel), or superseded or cancelled (rollout watch)
  6  cowboys check: a cowboy is applied somewhere
  7  rollout watch: the rollout failed

Environment:
  RUNWAY_URL      where Runway runs; each service at its standard port (default http://127.0.0.1)
  RUNWAY_TOKEN    the bearer token (or "token" in the config file)
  RUNWAY_QA_GATE_URL, RUNWAY_PROMOTION_URL, RUNWAY_ROLLOUT_URL, RUNWAY_FLAGS_URL, RUNWAY_TRAIL_URL
                  one service elsewhere
  RUNWAY_CONFIG   the config file (default ~/.config/runway/config.json)`;

export function buildProgram(deps: Deps, onExitCode: (code: number) => void): Command {
  const program = new Command('runway');
  program
    .description('Runway from the command line: revisions and QA, the deployable revision, promotion, rollouts, servers, cowboys, feature flags, agents, the trail')
    .version(VERSION, '-V, --version')
    .option('--json', 'print JSON for scripts instead of tables')
    .option('--config <path>', 'config file (default: $RUNWAY_CONFIG, else ~/.config/runway/config.json)')
    .option('--url <url>', 'where Runway runs, every service at its standard port (default: $RUNWAY_URL)')
    .addOption(new Option('--timeout <ms>', 'HTTP timeout per request').argParser(arg(parsePositiveInt)).default(15_000))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => deps.io.out(s), writeErr: (s) => deps.io.err(s) })
    .addHelpText('after', EXIT_CODES_HELP);

  const action = (fn: Action) => async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = args[args.length - 2];
    const ctx = new Ctx(deps, cmd.optsWithGlobals() as GlobalOptions);
    // commander passes the positional arguments, then the options, then the command.
    const code = await fn(ctx, ...args.slice(0, -2), opts);
    if (typeof code === 'number') onExitCode(code);
  };
  for (const register of [registerStatus, registerRevisions, registerPromotion, registerRollout, registerCowboys, registerFlags, registerAgent, registerTrail]) register(program, action);
  return program;
}

/** Runs one command line; answers the exit code. Errors go to stderr (as JSON with --json). */
export async function run(argv: string[], deps: Deps): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const program = buildProgram(deps, (c) => (exitCode = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    // --help and --version end here with exit code 0; every other commander error is usage.
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    const err = e instanceof CliError ? e : new CliError(`unexpected error: ${(e as Error)?.message ?? String(e)}`, ExitCode.ERROR);
    const wantsJson = argv.includes('--json');
    if (wantsJson) {
      deps.io.err(`${json({ error: { message: err.message, exitCode: err.exitCode, status: err.details.status, code: err.details.code, errors: err.details.errors } })}\n`);
    } else {
      deps.io.err(`runway: ${err.message}\n`);
    }
    return err.exitCode;
  }
}
