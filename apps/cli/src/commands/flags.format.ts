/** How the flags service's answers look to people (see apps/flags/API.md). */
import type { Changelog, FlagExplanation, LineError, Rule, RuleChange, RuleSet } from '@runway/contracts';
import { ago, table } from '../output';

export function ruleText(r: Rule | null | undefined): string {
  return r ? `${r.flag} ${r.scope} ${r.priority} ${r.value}` : '-';
}

export function rulesTable(set: RuleSet): string {
  const body = set.rules.length ? table(['FLAG', 'SCOPE', 'PRIORITY', 'VALUE'], set.rules.map((r) => [r.flag, r.scope, r.priority, r.value])) : 'No rules.';
  return `${body}\n(version ${set.version})`;
}

/** Each error with the line it points at, so the editor's mistakes are easy to find. */
export function lineErrors(errors: LineError[], text: string): string {
  const lines = text.split('\n');
  return errors.map((e) => `line ${e.line}: ${e.message}${lines[e.line - 1] !== undefined ? `\n    ${lines[e.line - 1]}` : ''}`).join('\n');
}

export function changeSummary(c: RuleChange): string {
  if (c.changed === false) return `no change (version ${c.version})`;
  return [`saved: version ${c.version}${c.changeId !== undefined ? `, change ${c.changeId}` : ''}`, c.diff?.trimEnd()].filter(Boolean).join('\n');
}

export function explanationSummary(e: FlagExplanation): string {
  const head = [`${e.flag} = ${e.value === undefined || e.value === null ? '(no value: the caller\'s default)' : String(e.value)}`, `reason: ${e.reason}`, `rule: ${ruleText(e.rule)}`];
  if (e.explain?.activeScopes) head.push(`active scopes: ${e.explain.activeScopes.join(', ') || 'none'}`);
  const steps = e.explain?.steps ?? [];
  return steps.length ? `${head.join('\n')}\n${table(['RULE', 'ACTIVE', 'WHY'], steps.map((s) => [ruleText(s.rule), s.active, s.why]))}` : head.join('\n');
}

export function changelogSummary(log: Changelog, now: Date, withDiff: boolean): string {
  if (!log.entries.length) return 'No changes.';
  const out = withDiff
    ? log.entries.map((e) => `change ${e.id}  ${e.at} (${ago(e.at, now)})  ${e.by}\n  ${e.comment}\n${(e.diff ?? '').trimEnd()}`).join('\n\n')
    : table(['ID', 'WHEN', 'BY', 'FLAGS', 'COMMENT'], log.entries.map((e) => [e.id, ago(e.at, now), e.by, e.flags.join(' '), e.comment]));
  return log.next !== null && log.next !== undefined ? `${out}\nMore: --before ${log.next}` : out;
}

/** The evaluation context from the command's options. */
export function evaluationContext(o: { user?: string; userId?: string; team?: string[]; server?: string; pageId?: string; script?: string; targetingKey?: string; attr?: [string, string][] }): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  for (const [k, v] of o.attr ?? []) ctx[k] = v;
  if (o.targetingKey) ctx.targetingKey = o.targetingKey;
  if (o.user) ctx.user = o.user;
  if (o.userId) ctx.userId = o.userId;
  if (o.team?.length) ctx.teams = o.team;
  if (o.server) ctx.server = o.server;
  if (o.pageId) ctx.pageId = o.pageId;
  if (o.script) ctx.script = o.script;
  return ctx;
}
