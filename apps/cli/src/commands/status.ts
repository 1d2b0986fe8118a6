/** `runway status`: the whole pipeline at a glance, from every service. `runway config`: where the CLI points. */
import type { Command } from 'commander';
import type { Deployable, Preflight, PromotionStatus, Rollout, SecurityFix, Server } from '@runway/contracts';
import type { Register } from '../context';
import { SERVICE_NAMES } from '../config';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes';
import { details, revLabel } from '../output';
import { promotionSummary } from './promotion.format';
import { deployableSummary } from './revisions.format';
import { isFinished } from './rollout.format';

export interface Status {
  qa: Deployable | null;
  promotion: PromotionStatus | null;
  /** Every security fix (promotion's GET /security-fixes), for how recent ones were merged back. */
  securityFixes: SecurityFix[] | null;
  rollout: Rollout | null;
  /** `drifted`: servers running something other than what Runway put there (a catch-up rollout heals them). */
  servers: { total: number; reachable: number; held: number; drifted: number } | null;
  cowboys: { clean: boolean; count: number; hosts: string[] } | null;
  errors: { service: string; message: string; exitCode: ExitCodeValue }[];
}

export function statusSummary(s: Status, now: Date): string {
  const parts: string[] = [];
  if (s.qa) parts.push(`QA (qa-gate)\n${indent(deployableSummary(s.qa, now))}`);
  if (s.promotion) parts.push(`Promotion\n${indent(promotionSummary(s.promotion, now, s.securityFixes))}`);
  const rows: [string, string][] = [];
  if (s.rollout) rows.push(['last rollout', `${revLabel({ revno: s.rollout.toRevno, sha: s.rollout.toSha })} ${s.rollout.cause}: ${s.rollout.status}${isFinished(s.rollout) ? '' : ' (runway rollout watch)'}`]);
  if (s.servers) rows.push(['servers', `${s.servers.total} (${s.servers.reachable} up, ${s.servers.held} held${s.servers.drifted ? `, ${s.servers.drifted} drifted` : ''})`]);
  if (s.cowboys) rows.push(['cowboys', s.cowboys.clean ? 'none' : `${s.cowboys.count} on ${s.cowboys.hosts.join(', ')}`]);
  if (rows.length) parts.push(`Rollout\n${indent(details(rows))}`);
  // Two calls to one service that is down fail alike: say it once.
  for (const m of new Set(s.errors.map((e) => `${e.service}: ${e.message}`))) parts.push(m);
  return parts.join('\n\n');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}

export const registerStatus: Register = (program: Command, action) => {
  program
    .command('status')
    .description('the pipeline at a glance: deployable revision and blocker, production-stable (and whether it runs a bad revision), locks, withdrawn approvals, security fixes, last rollout, servers, cowboys')
    .action(action(async (ctx) => {
      const errors: Status['errors'] = [];
      const settle = async <T>(service: string, p: Promise<T>): Promise<T | null> => {
        try {
          return await p;
        } catch (e) {
          if (!(e instanceof CliError)) throw e;
          errors.push({ service, message: e.message, exitCode: e.exitCode });
          return null;
        }
      };
      const [qa, promotion, securityFixes, rollouts, servers, cowboys] = await Promise.all([
        settle('qa-gate', ctx.client('qa-gate').get<Deployable>('/deployable')),
        settle('promotion', ctx.client('promotion').get<PromotionStatus>('/status')),
        settle('promotion', ctx.client('promotion').get<SecurityFix[]>('/security-fixes')),
        settle('rollout', ctx.client('rollout').get<Rollout[]>('/rollouts', { limit: 1 })),
        settle('rollout', ctx.client('rollout').get<Server[]>('/servers')),
        settle('rollout', ctx.client('rollout').get<Preflight>('/preflight/cowboys')),
      ]);
      const status: Status = {
        qa, promotion, securityFixes, rollout: rollouts?.[0] ?? null,
        servers: servers
          ? { total: servers.length, reachable: servers.filter((s) => s.reachable).length, held: servers.filter((s) => s.hold).length, drifted: servers.filter((s) => s.drift).length }
          : null,
        cowboys: cowboys ? { clean: cowboys.clean, count: cowboys.count, hosts: cowboys.hosts } : null,
        errors,
      };
      // Every service failing the same way (a bad token, say) is that failure; anything partial is an error.
      if (errors.length && !qa && !promotion && !securityFixes && !rollouts && !servers && !cowboys && errors.every((e) => e.exitCode === errors[0].exitCode)) {
        throw new CliError(errors.map((e) => e.message).join('\n'), errors[0].exitCode);
      }
      ctx.print(status, () => statusSummary(status, ctx.io.now()));
      return errors.length ? ExitCode.ERROR : ExitCode.OK;
    }));

  program
    .command('config')
    .description('where runway points: the config file, each service URL, and where the token comes from (never the token)')
    .action(action(async (ctx) => {
      const c = ctx.config;
      const view = { configPath: c.configPath, configFound: c.configFound, urls: c.urls, token: c.tokenSource === 'none' ? 'not set' : `set (${c.tokenSource})` };
      ctx.print(view, () => details([
        ['config file', `${c.configPath}${c.configFound ? '' : ' (not found)'}`],
        ...SERVICE_NAMES.map((n) => [n, c.urls[n]] as [string, string]),
        ['token', view.token],
      ]));
    }));
};
