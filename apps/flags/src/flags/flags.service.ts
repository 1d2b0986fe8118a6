/**
 * The flag service's rules: edits to the rule set (whole text or one rule), flag documentation,
 * the changelog, and evaluation from an in-memory evaluator.
 *
 * Every edit is one transaction that locks the rule set's version row, validates the whole
 * resulting set (so a single-rule edit obeys the same checks as a text edit), writes the rules,
 * a changelog entry with the unified diff, a new version and a `flag-changed` event (outbox).
 * Each replica evaluates from a compiled snapshot it reloads when the version moves: at once
 * after its own edits, on `flag-changed` pushed by NATS, and by polling the version otherwise.
 * Evaluation counts and undocumented sightings are kept in memory and written once a second.
 */
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { type Evaluation, type Evaluations, Events, Subjects } from '@runway/contracts';
import { Outbox } from '@runway/messaging';
import { DomainError, NATS_CONNECTION, PINO_LOGGER, RUNWAY_ENV } from '@runway/platform';
import {
  domainError, type Explanation, FLAG_NAME, type FlagContext, type FlagDoc, FlagEvaluator, type FlagSnapshot, formatRules, parseRulesText,
  parseScope, type Resolution, type Rule, type RuleLineError, compareRules,
} from '@runway/sdk';
import type { FlagsEnv } from '../config';
import { FlagsRepository } from './flags.repository';
import { changedFlags, docDiff, ruleDiff } from './rule-diff';

export interface EditResult {
  version: number;
  changed: boolean;
  changeId: string | null;
  diff: string;
}

export interface UsageReport {
  evaluations: Record<string, number>;
  undocumentedFlags: string[];
  undocumentedScopes: string[];
}

@Injectable()
export class FlagsService implements OnModuleInit, OnModuleDestroy {
  private evaluator = new FlagEvaluator({ version: 0, rules: [], docs: [] });
  private snapshotCache: FlagSnapshot = { version: 0, rules: [], docs: [] };
  private loading: Promise<void> | null = null;
  private reloadQueued: Promise<void> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private sub: Subscription | null = null;
  /** Counts taken from evaluators that were replaced before the next flush. */
  private pendingCounts = new Map<string, number>();
  private pendingScopes = new Set<string>();
  private sdkFlags = new Set<string>();
  /** Flags this replica evaluated itself; only these are sightings by the server (SDKs report their own). */
  private serverFlags = new Set<string>();
  private sdkScopes = new Set<string>();

  constructor(
    @Inject(FlagsRepository) private readonly repo: FlagsRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
    @Inject(Subjects) private readonly subjects: Subjects,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(RUNWAY_ENV) private readonly env: FlagsEnv,
    @Inject(PINO_LOGGER) private readonly log: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.sub = this.nats.subscribe(this.subjects.allOf(Events.FlagChanged.type), {
      callback: () => void this.refresh().catch((e: unknown) => this.log.warn({ err: e }, 'cannot reload flag rules')),
    });
    this.timers.push(setInterval(() => void this.refresh().catch((e: unknown) => this.log.warn({ err: e }, 'cannot check the flag rules version')), this.env.FLAGS_REFRESH_MS));
    this.timers.push(setInterval(() => void this.flushUsage().catch((e: unknown) => this.log.warn({ err: e }, 'cannot record flag usage')), this.env.FLAGS_USAGE_FLUSH_MS));
    for (const t of this.timers) t.unref();
  }

  async onModuleDestroy(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.sub?.unsubscribe();
    await this.flushUsage().catch((e: unknown) => this.log.warn({ err: e }, 'cannot record flag usage'));
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────

  /** The evaluator for the current rule set: every evaluation path reads this, synchronously. */
  get current(): FlagEvaluator {
    return this.evaluator;
  }

  get snapshot(): FlagSnapshot {
    return this.snapshotCache;
  }

  /** Resolves once any reload in flight (one a `flag-changed` prompted, say) has finished. */
  async settled(): Promise<void> {
    await (this.reloadQueued ?? this.loading)?.catch(() => undefined);
  }

  /** Reloads when the stored version is ahead of the one in memory. */
  async refresh(): Promise<void> {
    if ((await this.repo.version()) !== this.evaluator.version) await this.reload();
  }

  private reload(): Promise<void> {
    if (this.loading) {
      // The load in flight may have read before the commit that prompted this call: one more after it.
      this.reloadQueued ??= this.loading.catch(() => undefined).then(() => {
        this.reloadQueued = null;
        return this.reload();
      });
      return this.reloadQueued;
    }
    this.loading = (async () => {
      try {
        const snap = await this.repo.snapshot();
        if (snap.version < this.evaluator.version) return;
        this.retire(this.evaluator);
        this.snapshotCache = snap;
        this.evaluator = new FlagEvaluator(snap);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  private retire(old: FlagEvaluator): void {
    this.takeServerCounts(old);
    for (const s of old.unknownScopesSeen) this.pendingScopes.add(s);
  }

  /** What an evaluator counted goes into the pending counts, and its flags into the server's sightings. */
  private takeServerCounts(e: FlagEvaluator): void {
    for (const [flag, n] of e.takeCounts()) {
      this.pendingCounts.set(flag, (this.pendingCounts.get(flag) ?? 0) + n);
      this.serverFlags.add(flag);
    }
  }

  rulesText(filter: { flag?: string; scope?: string }): { version: number; text: string; rules: Rule[] } {
    const rules = this.snapshotCache.rules.filter((r) => (!filter.flag || r.flag === filter.flag) && (!filter.scope || r.scope === filter.scope));
    return { version: this.snapshotCache.version, text: formatRules(rules), rules };
  }

  // ── editing ───────────────────────────────────────────────────────────────────────────────

  /** What replacing the rule set with `text` would do, changing nothing. */
  check(text: string): { ok: boolean; errors: RuleLineError[]; diff: string } {
    const docs = new Map(this.snapshotCache.docs.map((d) => [d.name, d]));
    const { rules, errors } = parseRulesText(text, (f) => docs.get(f));
    const v = this.snapshotCache.version;
    return { ok: errors.length === 0, errors, diff: errors.length ? '' : ruleDiff(this.snapshotCache.rules, rules, v, v + 1) };
  }

  /** Replaces the whole rule set atomically; any line error rejects all of it. */
  replaceText(text: string, comment: string, by: string, expectedVersion?: number): Promise<EditResult> {
    return this.edit(comment, by, expectedVersion, (_current, docs) => {
      const { rules, errors } = parseRulesText(text, (f) => docs.get(f));
      if (errors.length) throw invalid(errors);
      return rules;
    });
  }

  addRule(flag: string, rule: Omit<Rule, 'flag'>, comment: string, by: string): Promise<EditResult> {
    return this.edit(comment, by, undefined, (current) => {
      if (current.some((r) => r.flag === flag && r.priority === rule.priority)) {
        throw new DomainError('CONFLICT', `flag ${flag} already has a rule at priority ${rule.priority}`);
      }
      return [...current, { flag, ...rule }];
    }, true);
  }

  updateRule(flag: string, priority: number, patch: Partial<Omit<Rule, 'flag'>>, comment: string, by: string): Promise<EditResult> {
    return this.edit(comment, by, undefined, (current) => {
      const i = current.findIndex((r) => r.flag === flag && r.priority === priority);
      if (i < 0) throw new DomainError('NOT_FOUND', `flag ${flag} has no rule at priority ${priority}`);
      const next = [...current];
      next[i] = { ...current[i], ...patch, flag };
      return next;
    }, true);
  }

  removeRule(flag: string, priority: number, comment: string, by: string): Promise<EditResult> {
    return this.edit(comment, by, undefined, (current) => {
      const next = current.filter((r) => !(r.flag === flag && r.priority === priority));
      if (next.length === current.length) throw new DomainError('NOT_FOUND', `flag ${flag} has no rule at priority ${priority}`);
      return next;
    });
  }

  /**
   * The one path every rule edit takes. `derive` gets the stored rules and docs and returns the
   * new set; `recheck` runs the new set back through the text parser so single-rule edits get
   * the same validation (and messages) as text edits.
   */
  private async edit(
    comment: string, by: string, expectedVersion: number | undefined,
    derive: (current: Rule[], docs: Map<string, FlagDoc>) => Rule[], recheck = false,
  ): Promise<EditResult> {
    const result = await this.repo.transaction(async (em) => {
      const version = await this.repo.lockVersion(em);
      if (expectedVersion !== undefined && expectedVersion !== version) {
        throw new DomainError('CONFLICT', `the rules are at version ${version}, not ${expectedVersion}: someone else changed them; reload and edit again`, { version });
      }
      const current = await this.repo.rules(em);
      const docs = new Map((await this.repo.docs(em)).map((d) => [d.name, d]));
      let next = derive(current, docs);
      if (recheck) {
        const { rules, errors } = parseRulesText(formatRules(next), (f) => docs.get(f));
        if (errors.length) throw invalid(errors.map((e) => ({ line: e.line, message: e.message })));
        next = rules;
      }
      const flags = changedFlags(current, next);
      if (flags.length === 0) return { version, changed: false, changeId: null, diff: '' };
      const newVersion = await this.repo.bumpVersion(em);
      const diff = ruleDiff(current, next, version, newVersion);
      await this.repo.replaceRules(em, next);
      const changeId = await this.repo.addChange(em, { by, comment, flags, diff, version: newVersion });
      await this.outbox.enqueue(em, Events.FlagChanged, { version: newVersion, flags, comment, by }, { reason: comment });
      return { version: newVersion, changed: true, changeId, diff };
    });
    if (result.changed) await this.reload();
    return result;
  }

  /** Documents a flag. A new domain must hold every value the flag's rules already give. */
  async putDoc(doc: FlagDoc, comment: string, by: string): Promise<FlagDoc & { version: number; changeId: string }> {
    if (doc.default !== null) {
      const bad = domainError(doc.domain, doc.default);
      if (bad) throw new DomainError('VALIDATION_FAILED', `default: ${bad}`, { fields: [{ field: 'default', errors: [bad] }] });
    }
    const out = await this.repo.transaction(async (em) => {
      await this.repo.lockVersion(em);
      const current = await this.repo.rules(em);
      const errors: RuleLineError[] = [];
      // Line numbers of the rule text as GET /rules shows it.
      [...current].sort(compareRules).forEach((r, i) => {
        const bad = r.flag === doc.name ? domainError(doc.domain, r.value) : null;
        if (bad) errors.push({ line: i + 1, message: `${bad}, outside the new domain ${doc.domain}` });
      });
      if (errors.length) throw invalid(errors, `flag ${doc.name}'s rules give values outside the domain ${doc.domain}`);
      const before = (await this.repo.docs(em)).find((d) => d.name === doc.name);
      await this.repo.upsertDoc(em, doc);
      const version = await this.repo.bumpVersion(em);
      const diff = docDiff(before, doc, version - 1, version);
      const changeId = await this.repo.addChange(em, { by, comment, flags: [doc.name], diff, version });
      await this.outbox.enqueue(em, Events.FlagChanged, { version, flags: [doc.name], comment, by }, { reason: comment });
      return { version, changeId };
    });
    await this.reload();
    return { ...doc, ...out };
  }

  changelog(opts: { flag?: string; limit: number; before?: number }) {
    return this.repo.changelog(opts).then((entries) => ({
      entries: entries.map((e) => ({ id: Number(e.id), at: e.at, by: e.by, comment: e.comment, flags: e.flags, diff: e.diff, version: Number(e.version) })),
      next: entries.length === opts.limit ? Number(entries[entries.length - 1].id) : null,
    }));
  }

  // ── evaluation ────────────────────────────────────────────────────────────────────────────

  resolve(flag: string, ctx: FlagContext): Resolution | undefined {
    return this.evaluator.resolve(flag, ctx);
  }

  explain(flag: string, ctx: FlagContext): Explanation {
    const e = this.evaluator;
    const x = e.explain(flag, ctx);
    if (!x) {
      this.evaluator.value(flag, ctx); // counts it as asked for, so it shows as undocumented
      throw new DomainError('NOT_FOUND', `flag ${flag} has no rules and no documentation`);
    }
    e.value(flag, ctx); // explain itself does not count as usage; the question does
    return x;
  }

  /** Every flag (or the named ones) that has a value for this context; with `explain`, why. */
  evaluateAll(ctx: FlagContext, names?: string[], explain = false): Evaluations {
    const e = this.evaluator;
    const results: Evaluation[] = [];
    for (const name of names ?? e.names()) {
      const r = e.resolve(name, ctx);
      if (!r || r.value === undefined) continue;
      const valued = { ...r, value: r.value };
      const x = explain ? e.explain(name, ctx) : undefined;
      results.push(x ? { ...valued, explain: { activeScopes: x.activeScopes, steps: x.steps } } : valued);
    }
    return { version: e.version, results };
  }

  // ── usage and introspection ───────────────────────────────────────────────────────────────

  /** Usage reported by an SDK, added to the next flush. */
  report(u: UsageReport): void {
    for (const [flag, n] of Object.entries(u.evaluations)) {
      if (FLAG_NAME.test(flag) && Number.isSafeInteger(n) && n > 0) this.pendingCounts.set(flag, (this.pendingCounts.get(flag) ?? 0) + n);
    }
    for (const f of u.undocumentedFlags) if (FLAG_NAME.test(f)) this.sdkFlags.add(f);
    for (const s of u.undocumentedScopes) if (parseScope(s).kind === 'unknown') this.sdkScopes.add(s);
  }

  async flushUsage(): Promise<void> {
    const e = this.evaluator;
    this.takeServerCounts(e);
    for (const s of e.unknownScopesSeen) this.pendingScopes.add(s);
    e.unknownScopesSeen.clear();
    const counts = this.pendingCounts;
    const scopes = [...this.pendingScopes];
    const sdkFlags = [...this.sdkFlags];
    const sdkScopes = [...this.sdkScopes];
    const serverFlags = [...this.serverFlags];
    this.pendingCounts = new Map();
    this.pendingScopes.clear();
    this.sdkFlags.clear();
    this.sdkScopes.clear();
    this.serverFlags.clear();
    // Counts include what SDKs evaluated: a flag only they saw is not the server's sighting.
    const undocumented = serverFlags.filter((f) => e.doc(f) === undefined);
    const at = new Date();
    try {
      await this.repo.recordUsage(counts, at);
      await this.repo.recordSightings('flag', undocumented, 'server', at);
      await this.repo.recordSightings('scope', scopes, 'server', at);
      await this.repo.recordSightings('flag', sdkFlags.filter((f) => e.doc(f) === undefined), 'sdk', at);
      await this.repo.recordSightings('scope', sdkScopes, 'sdk', at);
    } catch (err) {
      // Keep the counts for the next flush rather than lose them.
      for (const [flag, n] of counts) this.pendingCounts.set(flag, (this.pendingCounts.get(flag) ?? 0) + n);
      for (const s of scopes) this.pendingScopes.add(s);
      for (const f of sdkFlags) this.sdkFlags.add(f);
      for (const s of sdkScopes) this.sdkScopes.add(s);
      for (const f of serverFlags) this.serverFlags.add(f);
      throw err;
    }
  }

  async flags() {
    const usage = new Map((await this.repo.usage()).map((u) => [u.flag, u]));
    const snap = this.snapshotCache;
    const names = new Set([...snap.docs.map((d) => d.name), ...snap.rules.map((r) => r.flag)]);
    const docs = new Map(snap.docs.map((d) => [d.name, d]));
    return [...names].sort().map((name) => {
      const d = docs.get(name);
      const u = usage.get(name);
      return {
        name, title: d?.title ?? null, description: d?.description ?? null, domain: d?.domain ?? null, default: d?.default ?? null,
        documented: d !== undefined, rules: snap.rules.filter((r) => r.flag === name).length,
        lastEvaluatedAt: u?.last_evaluated_at ?? null, evaluations: u ? Number(u.evaluations) : 0,
      };
    });
  }

  async flag(name: string) {
    const f = (await this.flags()).find((x) => x.name === name);
    if (!f) throw new DomainError('NOT_FOUND', `flag ${name} has no rules and no documentation`);
    return { ...f, rules: this.snapshotCache.rules.filter((r) => r.flag === name) };
  }

  /** Flags with rules or docs not evaluated for `days` days (never evaluated counts from their first change). */
  async stale(days: number, now = new Date()) {
    const cutoff = now.getTime() - days * 86_400_000;
    const first = await this.repo.firstSeen();
    return (await this.flags())
      .filter((f) => (f.lastEvaluatedAt ? new Date(f.lastEvaluatedAt).getTime() : (first.get(f.name)?.getTime() ?? 0)) < cutoff)
      .map((f) => ({ name: f.name, lastEvaluatedAt: f.lastEvaluatedAt, rules: f.rules, documented: f.documented }));
  }

  async undocumented() {
    const rows = await this.repo.sightings();
    const docs = new Set(this.snapshotCache.docs.map((d) => d.name));
    const view = (s: (typeof rows)[number]) => ({ name: s.name, firstSeen: s.first_seen, lastSeen: s.last_seen, source: s.source });
    return {
      // A flag documented since it was seen is no longer undocumented.
      flags: rows.filter((s) => s.kind === 'flag' && !docs.has(s.name)).map(view),
      scopes: rows.filter((s) => s.kind === 'scope').map(view),
    };
  }
}

function invalid(errors: RuleLineError[], message?: string): DomainError {
  const head = message ?? `the rules have ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was changed`;
  return new DomainError('VALIDATION_FAILED', `${head}: ${errors.map((e) => `line ${e.line}: ${e.message}`).join('; ')}`, { errors });
}


