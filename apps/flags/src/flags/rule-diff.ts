/** The changelog's view of an edit: a unified diff (of the rule text, or of a flag's doc), and the flags it touched. */
import { createTwoFilesPatch } from 'diff';
import { type FlagDoc, formatRules, type Rule } from '@runway/sdk';

function unifiedDiff(name: string, before: string, after: string, fromVersion: number, toVersion: number): string {
  const patch = createTwoFilesPatch(name, name, before, after, `version ${fromVersion}`, `version ${toVersion}`, { context: 3 });
  // Drop the "Index:" and "====" lines: the changelog entry already says what file this is.
  return patch.split('\n').slice(2).join('\n');
}

export function ruleDiff(before: readonly Rule[], after: readonly Rule[], fromVersion: number, toVersion: number): string {
  return unifiedDiff('rules', formatRules(before), formatRules(after), fromVersion, toVersion);
}

/** A flag's documentation as the lines a reader compares. */
function docText(d: FlagDoc | undefined): string {
  if (!d) return '';
  return [`title: ${d.title}`, `domain: ${d.domain}`, `default: ${d.default ?? '(none)'}`, ...d.description.split('\n').map((l) => `description: ${l}`)].join('\n') + '\n';
}

export function docDiff(before: FlagDoc | undefined, after: FlagDoc, fromVersion: number, toVersion: number): string {
  return unifiedDiff(`${after.name} (doc)`, docText(before), docText(after), fromVersion, toVersion);
}

/** Flags whose rules differ between the two sets. */
export function changedFlags(before: readonly Rule[], after: readonly Rule[]): string[] {
  const key = (r: Rule) => `${r.flag}\u0000${r.priority}\u0000${r.scope}\u0000${r.value}`;
  const a = new Set(before.map(key));
  const b = new Set(after.map(key));
  const flags = new Set<string>();
  for (const r of before) if (!b.has(key(r))) flags.add(r.flag);
  for (const r of after) if (!a.has(key(r))) flags.add(r.flag);
  return [...flags].sort();
}
