/**
 * Rules as text, one per line: `flag scope priority value`, the value being the rest of the line
 * (spaces and all; nothing after the priority is the empty value). This is how people edit the
 * whole rule set at once, so a parse reports every problem with its line number, never just the
 * first, and a text with any problem is not applied at all.
 */
import { compareRules, domainError, FLAG_NAME, type FlagDoc, parseScope, type Rule } from './rules';

export interface RuleLineError {
  line: number;
  message: string;
}

export const MAX_RULES = 10_000;
export const MAX_VALUE_LENGTH = 4096;

const LINE = /^(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/;

/** Parses a whole rule set. Blank lines and lines starting with `#` are skipped (and not kept). */
export function parseRulesText(text: string, docOf: (flag: string) => FlagDoc | undefined): { rules: Rule[]; errors: RuleLineError[] } {
  const rules: Rule[] = [];
  const errors: RuleLineError[] = [];
  const seen = new Map<string, number>(); // `${flag} ${priority}` → line
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = LINE.exec(trimmed);
    if (!m) {
      errors.push({ line, message: 'expected "flag scope priority value" (the value may be empty)' });
      return;
    }
    const [, flag, scope, priorityText, value = ''] = m;
    const before = errors.length;
    if (!FLAG_NAME.test(flag)) errors.push({ line, message: `"${flag}" is not a flag name (letters, digits, ".", "_" and "-")` });
    const parsed = parseScope(scope);
    if (parsed.kind === 'unknown') errors.push({ line, message: parsed.reason });
    const priority = /^-?\d{1,9}$/.test(priorityText) ? Number(priorityText) : NaN;
    if (Number.isNaN(priority)) {
      errors.push({ line, message: `priority "${priorityText}" is not a whole number` });
    } else {
      const key = `${flag} ${priority}`;
      const first = seen.get(key);
      if (first !== undefined) errors.push({ line, message: `duplicate priority ${priority} for flag ${flag} (also on line ${first})` });
      else seen.set(key, line);
    }
    if (value.length > MAX_VALUE_LENGTH) errors.push({ line, message: `the value is longer than ${MAX_VALUE_LENGTH} characters` });
    const doc = docOf(flag);
    const outside = doc ? domainError(doc.domain, value) : null;
    if (outside) errors.push({ line, message: `${outside}, outside flag ${flag}'s domain (${doc!.domain})` });
    if (errors.length === before) rules.push({ flag, scope, priority, value });
  });
  if (rules.length > MAX_RULES) errors.push({ line: lines.length, message: `more than ${MAX_RULES} rules` });
  return { rules: errors.length ? [] : rules.sort(compareRules), errors };
}

/** The canonical text of a rule set: sorted by flag, then by descending priority. */
export function formatRules(rules: readonly Rule[]): string {
  return [...rules]
    .sort(compareRules)
    .map((r) => (r.value === '' ? `${r.flag} ${r.scope} ${r.priority}` : `${r.flag} ${r.scope} ${r.priority} ${r.value}`))
    .join('\n')
    .concat(rules.length ? '\n' : '');
}
