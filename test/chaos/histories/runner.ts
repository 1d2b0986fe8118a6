/**
 * The generated-histories run (issue 13): for each run, a real git repository with a random
 * history (generator.ts), the real qa-gate and promotion as child processes on their own
 * database and NATS namespace, and a scenario driven over HTTP round by round: lock promotion,
 * push commits, report landings as buildbot does (collapsed, duplicated, out of order), mark
 * revisions as QA does, wait until everything is quiet, check, unlock, wait, check again. The
 * checks compare what the services say, and what production-stable holds in git, with the model
 * (model.ts), which is computed from the generator's record and git alone.
 *
 * The database and NATS are read only to know when everything is quiet, never for the checks.
 * Run i of a run with seed S uses seed S + i, and `--runs 1 --seed <S + i>` replays it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { createIsolatedDatabase, dropNamespace, freePort, TEST_ADMIN_TOKEN, uniqueNamespace } from '@runway/testing';
import { issueToken, type ProcessHandle, ROOT, startService } from '../../../tools/stack.cjs';
import { type Answer, buildbotBody, describeAnswer, PromotionClient, QaGateClient } from './client';
import {
  applyMark, HistoryGenerator, type MarkAction, planLandings, planLandingsInOrder, planMarks, planRound, remoteReader, type Report, Rng, type StableCommit,
} from './generator';
import {
  changedAlongFirstParents, changedBetween, firstParentChain, type GitRead, isAncestor, isSchemaPatch, mergeBacks, newestAncestorIn, QaModel, rememberingAncestry,
  type Withdrawal,
} from './model';

// ── options and results ──────────────────────────────────────────────────────────────────────

export interface HistoriesOptions {
  runs: number;
  seed: number;
  parallel: number;
  /** Rounds per run (after the baseline), inclusive range. */
  rounds?: [number, number];
  /** Go on after a round with violations (they then tend to cascade). */
  keepGoing?: boolean;
  quiesceTimeoutMs?: number;
  /** How long a failing check is looked at again before it counts (services have timers of their own). */
  settleMs?: number;
  log: (line: string) => void;
  /**
   * The harness's own self-check: only what Runway handled before issue 13 (every commit
   * reported once, in order; passing marks only; no security fix, no refused landing). It
   * should pass on services built before that work too.
   */
  tame?: boolean;
  /** Postgres (an admin URL) and NATS; from DATABASE_URL / NATS_URL when absent. */
  infra?: { databaseUrl: string; natsUrl: string };
}

export const COUNT_NAMES = [
  'rounds', 'lockedRounds', 'commits', 'firstParentCommits', 'landings', 'collapsedLandings', 'duplicateLandings', 'outOfOrderLandings', 'merges',
  'schemaPatches', 'schemaPatchesInBranches', 'reverts', 'revertsOfSchemaPatches', 'dbRevisions', 'securityFixes', 'mergeBacksByAncestry',
  'mergeBacksByPatchId', 'marks', 'lateBadMarks', 'productionBadMarks', 'fixLinks', 'withdrawals', 'withdrawnApprovals', 'promotions', 'mergePromotions',
  'downtimePromotions', 'refusedLandings', 'rewrittenLandings', 'productionRanBad',
] as const;
export type Counts = Record<(typeof COUNT_NAMES)[number], number>;

export function emptyCounts(): Counts {
  return Object.fromEntries(COUNT_NAMES.map((n) => [n, 0])) as Counts;
}

export interface Phases {
  /** Git init, database, namespace, both services up, tokens. */
  startMs: number;
  /** Everything else: git, HTTP, waiting for quiet. */
  scenarioMs: number;
  /** Of which waiting for quiet. */
  quiesceMs: number;
  /** Of which making the history with git (and checking the record against it). */
  gitMs: number;
  /** Reading and comparing (settling included). */
  checksMs: number;
  /** Stopping and removing. */
  stopMs: number;
}

export interface RunResult {
  seed: number;
  violations: string[];
  counts: Counts;
  ms: number;
  phases: Phases;
  /** Kept for a failing run. */
  dir: string | null;
}

export interface HistoriesSummary {
  name: 'histories';
  runs: number;
  violations: number;
  failedRuns: number;
  seed: number;
  ms: number;
  parallel: number;
  secondsPerRun: number;
  /** Mean seconds per run, by phase. */
  phases: Record<keyof Phases, number>;
  counts: Counts;
  /** Violations by check (`1 recorded`, `3 production`, …) over every run. */
  violationsByCheck: Record<string, number>;
  failures: { seed: number; replay: string; dir: string | null; violations: string[] }[];
}

export function replayCommand(seed: number): string {
  return `npm run chaos -- --domain histories --runs 1 --seed ${seed}`;
}

// ── quiescence ───────────────────────────────────────────────────────────────────────────────

class Quiet {
  private landingsTable: boolean | null = null;

  constructor(
    private readonly db: Client,
    private readonly jsm: JetStreamManager,
    private readonly streamPrefix: string,
    private readonly timeoutMs: number,
  ) {}

  /** What is busy (empty when nothing is), and a fingerprint that changes with any activity. */
  private async observe(): Promise<{ busy: string[]; print: string }> {
    const busy: string[] = [];
    const print: string[] = [];
    for await (const stream of this.jsm.streams.names()) {
      if (!stream.startsWith(this.streamPrefix)) continue;
      for await (const c of this.jsm.consumers.list(stream)) {
        if (c.num_pending || c.num_ack_pending) busy.push(`${stream}/${c.name}: ${c.num_pending} pending, ${c.num_ack_pending} unacknowledged`);
        print.push(`${c.name}:${c.delivered.stream_seq}:${c.ack_floor.stream_seq}`);
      }
    }
    for (const schema of ['qa_gate', 'promotion']) {
      const { rows } = await this.db.query(`SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS n, coalesce(max(seq), 0)::text AS top FROM ${schema}.outbox`);
      if (rows[0].n) busy.push(`${schema}.outbox: ${rows[0].n} unpublished`);
      print.push(`${schema}:${rows[0].top}`);
    }
    if (this.landingsTable === null) {
      const { rows } = await this.db.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'qa_gate' AND table_name = 'landings' AND column_name = 'state'`);
      this.landingsTable = rows.length > 0;
    }
    if (this.landingsTable) {
      const { rows } = await this.db.query(`SELECT count(*) FILTER (WHERE state = 'pending')::int AS n, count(*)::int AS total FROM qa_gate.landings`);
      if (rows[0].n) busy.push(`qa_gate.landings: ${rows[0].n} pending`);
      print.push(`landings:${rows[0].total}`);
    }
    return { busy, print: print.sort().join(' ') };
  }

  /** Resolves once nothing is busy twice in a row, ~100 ms apart, with nothing happening between. */
  async wait(what: string): Promise<number> {
    const started = Date.now();
    let last: string[] = [];
    while (Date.now() - started < this.timeoutMs) {
      const a = await this.observe();
      if (a.busy.length === 0) {
        await sleep(100);
        const b = await this.observe();
        if (b.busy.length === 0 && b.print === a.print) return Date.now() - started;
        last = b.busy.length ? b.busy : ['activity between two looks'];
      } else last = a.busy;
      await sleep(50);
    }
    throw new Error(`not quiet ${this.timeoutMs / 1000} s after ${what}: ${last.join('; ')}`);
  }

  async deadLettered(): Promise<number> {
    const info = await this.jsm.streams.info(`${this.streamPrefix}RUNWAY_DLQ`).catch(() => null);
    return info?.state.messages ?? 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ── one run ──────────────────────────────────────────────────────────────────────────────────

interface RunContext {
  infra: { databaseUrl: string; natsUrl: string };
  rounds: [number, number];
  keepGoing: boolean;
  quiesceTimeoutMs: number;
  settleMs: number;
  tame: boolean;
  log: (line: string) => void;
}

/** One generated history through the real services. Never throws: a failure is a violation. */
export async function runOne(seed: number, ctx: RunContext): Promise<RunResult> {
  const started = Date.now();
  const phases: Phases = { startMs: 0, scenarioMs: 0, quiesceMs: 0, gitMs: 0, checksMs: 0, stopMs: 0 };
  const counts = emptyCounts();
  const violations: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), `runway-histories-${seed}-`));
  const cleanups: (() => Promise<unknown>)[] = [];
  let round = 0;
  const violate = (check: string, what: string) => violations.push(`seed ${seed} round ${round} check ${check}: ${what}`);

  try {
    const rng = new Rng(seed);
    const gen = new HistoryGenerator(join(dir, 'git'), rng, seed);
    const baseline = await gen.init();
    const remote: GitRead = rememberingAncestry(remoteReader(gen.remote));

    // ── Runway for this run ───────────────────────────────────────────────────────────────
    const db = await createIsolatedDatabase(ctx.infra.databaseUrl);
    cleanups.push(() => db.drop());
    const namespace = uniqueNamespace();
    cleanups.push(() => dropNamespace(ctx.infra.natsUrl, namespace));
    const logDir = join(dir, 'logs');
    const common: Record<string, string> = {
      DATABASE_URL: db.url, NATS_URL: ctx.infra.natsUrl, RUNWAY_NAMESPACE: namespace, RUNWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'warn',
      NATS_STREAM_STORAGE: 'memory', OUTBOX_POLL_MS: '100', EVENT_ACK_WAIT_MS: '2000', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
    };
    // A port found free may be taken by a parallel run before the service binds it: try again, on another.
    const start = async (name: 'qa-gate' | 'promotion', env: Record<string, string>) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await startService(name, env, { logDir, port: await freePort() });
        } catch (e) {
          if (attempt === 3 || !/EADDRINUSE/.test((e as Error).message)) throw e;
        }
      }
    };
    const started2 = await Promise.allSettled([
      start('qa-gate', { ...common, QA_GIT_REPOSITORY: gen.remote, QA_GIT_CACHE_DIR: join(dir, 'qa-mirror'), QA_ENRICH_RETRY_SECONDS: '1' }),
      start('promotion', {
        ...common, PROMOTION_GIT_REMOTE: gen.remote, PROMOTION_GIT_WORKDIR: join(dir, 'promotion-mirror'), PROMOTION_RETRY_SECONDS: '1',
        PROMOTION_CHAIN_WAIT_SECONDS: '2',
        // Runway's own merge commits get a fixed date, so a replay makes the same shas.
        GIT_AUTHOR_DATE: gen.runwayCommitDate, GIT_COMMITTER_DATE: gen.runwayCommitDate,
      }),
    ]);
    const handles = started2.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    cleanups.push(() => Promise.all(handles.map((h: ProcessHandle) => h.stop())));
    const failedStart = started2.find((s) => s.status === 'rejected');
    if (failedStart) throw (failedStart as PromiseRejectedResult).reason;
    const [qaH, promoH] = handles;
    const qa = new QaGateClient(
      qaH.url!,
      await issueToken(qaH.url!, TEST_ADMIN_TOKEN, { name: 'buildbot', roles: ['buildbot'] }),
      await issueToken(qaH.url!, TEST_ADMIN_TOKEN, { name: 'histories-qa', roles: ['qa'] }),
    );
    const promo = new PromotionClient(promoH.url!, await issueToken(promoH.url!, TEST_ADMIN_TOKEN, { name: 'histories-operator', roles: ['operator'] }));

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    cleanups.push(() => pg.end());
    // A failing run leaves what both services held beside its logs, to read the failure from.
    cleanups.push(async () => {
      if (violations.length) await dumpState(pg, join(dir, 'state.json'));
    });
    const nc: NatsConnection = await connect({ servers: ctx.infra.natsUrl.split(',') });
    cleanups.push(() => nc.close());
    const quiet = new Quiet(pg, await jetstreamManager(nc), `${namespace.toUpperCase().replace(/-/g, '_')}_`, ctx.quiesceTimeoutMs);
    phases.startMs = Date.now() - started;

    const waitQuiet = async (what: string) => {
      phases.quiesceMs += await quiet.wait(`seed ${seed} round ${round}: ${what}`);
    };

    // ── helpers over the model ────────────────────────────────────────────────────────────
    const model = new QaModel();
    let recordedTip = 0;
    let buildId = 0;
    const reported = new Set<string>();
    const checkedPromotions = new Set<string>();
    const shippedChecked = new Set<string>();
    const roundWithdrawals: Withdrawal[] = [];

    const chain = () => gen.record.stable.map((c) => c.sha);
    const remoteHead = async (branch: string) => (await remote(['rev-parse', `refs/heads/${branch}`])).trim();
    /** production-stable's revno on stable: its newest first-parent ancestor. */
    const productionRevnoOf = async (sha: string) => (await newestAncestorIn(remote, chain(), sha)) + 1;

    const report = async (r: Report): Promise<Answer> => {
      const id = ++buildId;
      counts.landings++;
      const a = await qa.postBuildbot(buildbotBody(id, r.sha, r.branch, 1_795_000_000 + id * 60));
      if (r.kind === 'stable' || r.kind === 'duplicate') reported.add(r.sha);
      return a;
    };

    /** Runs a group of checks; while any fails, waits for quiet and looks again, up to settleMs. */
    const settle = async (group: () => Promise<string[]>): Promise<void> => {
      const t0 = Date.now();
      let found = await group();
      while (found.length && Date.now() - t0 < ctx.settleMs) {
        await sleep(250);
        await quiet.wait(`seed ${seed} round ${round}: settling`).catch(() => undefined);
        found = await group();
      }
      // The same fault seen again later in the round is one violation.
      for (const f of found) if (!violations.includes(f)) violations.push(f);
      phases.checksMs += Date.now() - t0;
    };
    const at = (check: string, what: string) => `seed ${seed} round ${round} check ${check}: ${what}`;

    // Check 1: every first-parent commit up to the recorded tip, once, with its revno, DB flag, QA status and fix.
    const checkRecorded = async (): Promise<string[]> => {
      const out: string[] = [];
      const items = await qa.revisions('stable');
      const bySha = new Map<string, number>();
      const byRevno = new Map<number, (typeof items)[number]>();
      for (const it of items) {
        if (bySha.has(it.sha)) out.push(at('1 recorded', `${it.sha.slice(0, 10)} is recorded twice (r${bySha.get(it.sha)} and r${it.revno})`));
        if (byRevno.has(it.revno)) out.push(at('1 recorded', `r${it.revno} is recorded twice (${byRevno.get(it.revno)!.sha.slice(0, 10)} and ${it.sha.slice(0, 10)})`));
        bySha.set(it.sha, it.revno);
        byRevno.set(it.revno, it);
      }
      for (let revno = 1; revno <= recordedTip; revno++) {
        const m = model.get(revno);
        const it = byRevno.get(revno);
        const where = bySha.get(m.sha);
        if (!it || it.sha !== m.sha) {
          out.push(at('1 recorded', `r${revno} should be ${m.sha.slice(0, 10)} (${gen.record.stable[revno - 1].kind}${reported.has(m.sha) ? '' : ', never reported: collapsed'}); qa-gate has ${it ? it.sha.slice(0, 10) : 'nothing'} there${where !== undefined && where !== revno ? ` and records it as r${where}` : ''}`));
          continue;
        }
        if (it.db !== m.db) out.push(at('1 recorded', `r${revno} ${m.sha.slice(0, 10)} db is ${it.db}, git says ${m.db} (${gen.record.stable[revno - 1].kind}: ${gen.record.stable[revno - 1].files.join(', ')})`));
        if (revno > 1 && it.status !== m.status) out.push(at('1 recorded', `r${revno} is ${it.status}, the model says ${m.status}`));
        if (revno > 1 && it.fixedBy !== m.fixedBy) out.push(at('1 recorded', `r${revno} is fixed by ${it.fixedBy === null ? 'nothing' : `r${it.fixedBy}`}, the model says ${m.fixedBy === null ? 'nothing' : `r${m.fixedBy}`}`));
      }
      for (const it of items) {
        if (it.revno > recordedTip || it.revno < 1) out.push(at('1 recorded', `r${it.revno} ${it.sha.slice(0, 10)} is recorded, but only r1..r${recordedTip} should be`));
        else if (model.get(it.revno).sha !== it.sha && !out.some((s) => s.includes(`r${it.revno} should be`))) out.push(at('1 recorded', `r${it.revno} ${it.sha.slice(0, 10)} is not stable's first-parent r${it.revno}`));
      }
      return out;
    };

    // Check 2: the deployable revision, by Launchpad's rule above the last promoted revision.
    const checkDeployable = async (): Promise<string[]> => {
      const d = await qa.deployable();
      const want = model.deployable();
      const ok = d.revno === want || (want === model.lastPromoted && (d.revno === null || d.revno === model.lastPromoted));
      if (ok && (d.revno === null || d.sha === model.revisions[d.revno - 1]?.sha)) return [];
      return [at('2 deployable', `GET /deployable says ${d.revno === null ? 'nothing' : `r${d.revno}`}, the model says r${want} (last promoted r${model.lastPromoted}; above it: ${describeQa(model, model.lastPromoted + 1)})`)];
    };

    // Check 6: production runs a bad revision, in both views.
    const checkProductionBad = async (): Promise<string[]> => {
      const out: string[] = [];
      const running = model.productionRunsBad();
      const d = await qa.deployable();
      const s = await promo.status();
      const names = running.map((r) => `r${r.revno}`).join(', ');
      if (running.length === 0) {
        if (d.productionRunsBad !== null) out.push(at('6 production-runs-bad', `GET /deployable says production runs bad ${JSON.stringify(d.productionRunsBad)}, the model says none (production r${model.lastPromoted})`));
        if (s.productionRunsBad !== null) out.push(at('6 production-runs-bad', `promotion's GET /status says production runs bad ${JSON.stringify(s.productionRunsBad)}, the model says none`));
        return out;
      }
      if (d.productionRunsBad === null) out.push(at('6 production-runs-bad', `production (r${model.lastPromoted}) runs bad ${names}; GET /deployable says nothing`));
      else {
        const listed = new Set(d.productionRunsBad.map((x) => x.revno));
        const want = new Set(running.map((r) => r.revno));
        if ([...want].some((r) => !listed.has(r)) || [...listed].some((r) => r === null || !want.has(r))) {
          out.push(at('6 production-runs-bad', `GET /deployable names ${[...listed].map((r) => `r${r}`).join(', ')}, the model says ${names}`));
        }
      }
      if (s.productionRunsBad === null) out.push(at('6 production-runs-bad', `production runs bad ${names}; promotion's GET /status says nothing`));
      else {
        const missing = running.filter((r) => !s.productionRunsBad!.revnos.includes(r.revno) && !s.productionRunsBad!.shas.includes(r.sha));
        if (missing.length) out.push(at('6 production-runs-bad', `promotion's GET /status does not name ${missing.map((r) => `r${r.revno}`).join(', ')}`));
      }
      return out;
    };

    // Check 7 (while locked): every approval withdrawn this round is listed as withdrawn, unless
    // QA has approved that revision again since (then it is pending, not withdrawn).
    const checkWithdrawnListed = async (): Promise<string[]> => {
      const withdrawn = roundWithdrawals.flatMap((w) => w.approvals.map((a) => ({ ...a, w }))).filter((a) => model.approvals.get(a.revno) !== a.sha);
      if (withdrawn.length === 0) return [];
      const s = await promo.status();
      const list = s.withdrawnApprovals;
      if (list === undefined) return [at('7 withdrawn', `approvals withdrawn (${roundWithdrawals.map((w) => `r${w.from} → r${w.to}, ${w.because}: ${w.approvals.map((a) => `r${a.revno}`).join(', ') || 'none approved'}`).join('; ')}); GET /status has no withdrawnApprovals`)];
      return withdrawn
        .filter((a) => !list.some((x) => x.revno === a.revno || x.sha === a.sha))
        .map((a) => at('7 withdrawn', `the approval of r${a.revno} was withdrawn (${a.w.because}; deployable r${a.w.from} → r${a.w.to}); GET /status lists ${list.map((x) => `r${x.revno}`).join(', ') || 'none'}`));
    };

    // Check 3: production-stable is at the model's deployable revision and never shipped what it must not.
    const checkProduction = async (withdrawn: readonly Withdrawal[]): Promise<string[]> => {
      const out: string[] = [];
      const prod = await remoteHead('production-stable');
      const revno = await productionRevnoOf(prod);
      if (revno !== model.lastPromoted) out.push(at('3 production', `production-stable (${prod.slice(0, 10)}) holds stable up to r${revno}, the model says r${model.lastPromoted} (${describeQa(model, Math.min(revno, model.lastPromoted) + 1)})`));
      for (const a of withdrawn.flatMap((w) => w.approvals.map((x) => ({ ...x, because: w.because })))) {
        if (a.revno > model.lastPromoted && revno >= a.revno) out.push(at('7 withdrawn', `r${a.revno}, whose approval was withdrawn (${a.because}), was promoted`));
      }
      out.push(...(await checkShipped(false)));
      return out;
    };

    /** Every promotion not looked at yet: forward only, and nothing shipped that was not shippable. */
    const checkShipped = async (final: boolean): Promise<string[]> => {
      const out: string[] = [];
      const list = (await promo.promotions()).reverse();
      for (const p of list) {
        if (shippedChecked.has(p.id) || !p.fromSha) continue;
        const to = p.pushedSha ?? p.toSha;
        if (!to) continue;
        if (final) shippedChecked.add(p.id);
        if (!(await isAncestor(remote, p.fromSha, to))) {
          out.push(at('3 production', `promotion ${p.id} (${p.kind}) moved production-stable from ${p.fromSha.slice(0, 10)} to ${to.slice(0, 10)}, not forward`));
          continue;
        }
        const [from, upTo] = [await productionRevnoOf(p.fromSha), await productionRevnoOf(to)];
        const problems = model.problemsShipping(from, upTo);
        if (problems.length) out.push(at('3 production', `promotion ${p.id} (${p.cause}, ${p.kind}) shipped r${from + 1}..r${upTo}: ${problems.join('; ')}`));
      }
      return out;
    };

    // Check 4: downtime exactly when what ships touches a schema patch.
    const checkDowntime = async (final: boolean): Promise<string[]> => {
      const out: string[] = [];
      for (const p of (await promo.promotions()).reverse()) {
        if (checkedPromotions.has(p.id)) continue;
        // The adoption of production-stable at start-up moves nothing.
        if (!p.fromSha) {
          if (final) checkedPromotions.add(p.id);
          continue;
        }
        const to = p.pushedSha ?? p.toSha!;
        const patches = (await changedBetween(remote, p.fromSha, to)).filter(isSchemaPatch);
        const want = patches.length ? 'downtime' : 'no-downtime';
        if (p.deployKind !== want) {
          out.push(at('4 downtime', `promotion ${p.id} (${p.cause}, ${p.kind}) ${p.fromSha.slice(0, 10)}..${to.slice(0, 10)} is ${p.deployKind}; ${patches.length ? `it ships ${patches.join(', ')}` : 'it ships no schema patch'}${p.reason ? ` (its reason: ${p.reason})` : ''}`));
        }
        if (final) {
          checkedPromotions.add(p.id);
          counts.promotions++;
          if (p.kind === 'merge') counts.mergePromotions++;
          if (p.deployKind === 'downtime') counts.downtimePromotions++;
        }
      }
      return out;
    };

    // Check 5: no security fix dropped; each merge-back seen at the model's commit, the model's way.
    const checkFixes = async (): Promise<string[]> => {
      const out: string[] = [];
      const fixes = gen.record.fixes;
      if (fixes.length === 0) return out;
      const prod = await remoteHead('production-stable');
      const views = await promo.securityFixes();
      const expected = await mergeBacks(remote, chain(), fixes.map((f) => f.sha));
      for (const f of fixes) {
        const name = `security fix ${f.sha.slice(0, 10)} (round ${f.round}${f.db ? ', with a schema patch' : ''})`;
        if (!(await isAncestor(remote, f.sha, prod))) out.push(at('5 security-fixes', `${name} is not in production-stable (${prod.slice(0, 10)})`));
        const v = views.find((x) => x.sha === f.sha);
        if (!v) {
          out.push(at('5 security-fixes', `${name} is not listed by GET /security-fixes`));
          continue;
        }
        if (!v.promotedAt) out.push(at('5 security-fixes', `${name} has no promotedAt`));
        const mb = expected.get(f.sha) ?? null;
        const seen = v.mergedBackAt !== null;
        const sameCommit = v.mergedBackBy !== null && mb !== null && (v.mergedBackBy === mb.sha || (v.mergedBackBy.length >= 7 && mb.sha.startsWith(v.mergedBackBy)));
        if (!mb) {
          if (seen) out.push(at('5 security-fixes', `${name} is shown merged back by ${v.mergedBackBy} (${v.mergedBackHow}); stable does not contain it`));
        } else if (mb.index + 1 <= recordedTip) {
          if (!seen) out.push(at('5 security-fixes', `${name} is merged back by r${mb.index + 1} ${mb.sha.slice(0, 10)} (${mb.how}), landed; GET /security-fixes shows it pending`));
          else if (!sameCommit || v.mergedBackHow !== mb.how) out.push(at('5 security-fixes', `${name} is merged back by r${mb.index + 1} ${mb.sha.slice(0, 10)} (${mb.how}); GET /security-fixes says ${v.mergedBackBy} (${v.mergedBackHow})`));
        } else if (seen && (!sameCommit || v.mergedBackHow !== mb.how)) {
          out.push(at('5 security-fixes', `${name} is merged back by r${mb.index + 1} ${mb.sha.slice(0, 10)} (${mb.how}, not landed yet); GET /security-fixes says ${v.mergedBackBy} (${v.mergedBackHow})`));
        }
      }
      return out;
    };

    /** The generator's record against git itself: a disagreement is a bug of this harness, not of Runway. */
    const checkRecordAgainstGit = async (commits: readonly StableCommit[]): Promise<void> => {
      const tip = await remoteHead('stable');
      const onRemote = await firstParentChain(remote, tip);
      if (onRemote.join() !== chain().join()) violate('model', `stable's first-parent history in git (${onRemote.length}) differs from the generator's record (${chain().length})`);
      const changed = await changedAlongFirstParents(remote, tip);
      for (const c of commits) {
        const files = changed.get(c.sha) ?? [];
        if (files.join() !== c.files.join()) violate('model', `r${c.revno} ${c.kind}: the generator recorded ${c.files.join(', ')}, git says ${files.join(', ')}`);
      }
      if (gen.record.fixes.length === 0) return;
      const expected = await mergeBacks(remote, chain(), gen.record.fixes.map((f) => f.sha));
      for (const c of gen.record.stable) {
        for (const m of c.mergesBack) {
          const e = expected.get(m.fix);
          if (!e || e.sha !== c.sha || e.how !== m.how) violate('model', `the generator merged fix ${m.fix.slice(0, 10)} back at r${c.revno} by ${m.how}; git says ${e ? `r${e.index + 1} by ${e.how}` : 'not at all'}`);
        }
      }
    };

    const landWaves = async (waves: Report[][], pauses: number[]) => {
      for (let i = 0; i < waves.length; i++) {
        await sleep(pauses[i]);
        const answers = await Promise.all(waves[i].map(async (r) => [r, await report(r)] as const));
        for (const [r, a] of answers) {
          const refusedOk = r.kind === 'feature-commit' || r.kind === 'rewritten';
          if (!(a.status >= 200 && a.status < 300) && !(refusedOk && a.status >= 400 && a.status < 500)) {
            violate('landing', `POST /buildbot for ${r.kind} ${r.sha.slice(0, 10)} on ${r.branch} answered ${describeAnswer(a)}`);
          }
        }
      }
    };

    const recordUpTo = (tip: number) => {
      const fresh = gen.record.stable.filter((c) => c.revno > recordedTip && c.revno <= tip);
      model.record(fresh.map((c) => ({ sha: c.sha, message: c.message, db: c.db })));
      for (const c of fresh) if (!reported.has(c.sha)) counts.collapsedLandings++;
      recordedTip = tip;
    };

    const sendMark = async (m: MarkAction) => {
      const target = model.get(m.revno);
      const fixRef = (revno: number, how: 'revno' | 'sha') => (how === 'revno' ? `r${revno}` : model.get(revno).sha);
      const a = m.kind === 'fix'
        ? await qa.linkFix(target.sha, fixRef(m.fixedBy, m.fixRef))
        : await qa.mark(target.sha, m.status, { note: `histories seed ${seed} round ${round}`, ...(m.fixedBy ? { fixedBy: fixRef(m.fixedBy, m.fixRef ?? 'revno') } : {}) });
      const outcome = applyMark(model, m);
      counts.marks++;
      if (m.kind === 'fix') counts.fixLinks++;
      else if (m.late) counts.lateBadMarks++;
      else if (m.onProduction) counts.productionBadMarks++;
      if (a.status < 200 || a.status >= 300) violate('marks', `${m.kind === 'fix' ? `linking r${m.revno} to fix r${m.fixedBy}` : `marking r${m.revno} ${m.status}`} answered ${describeAnswer(a)}`);
      if (outcome.withdrawal) {
        roundWithdrawals.push(outcome.withdrawal);
        counts.withdrawals++;
        counts.withdrawnApprovals += outcome.withdrawal.approvals.length;
      }
    };

    // ── round 0: the baseline ─────────────────────────────────────────────────────────────
    const t0 = Date.now();
    await landWaves([[{ sha: baseline.sha, branch: 'stable', kind: 'stable', revno: 1 }]], [0]);
    recordUpTo(1);
    await waitQuiet('the baseline landing');
    model.promoted(1);
    await sendMark({ kind: 'status', revno: 1, status: 'ok' });
    await waitQuiet('the baseline marked ok');
    await settle(async () => [...(await checkRecorded()), ...(await checkDeployable()), ...(await checkProduction([]))]);

    // ── rounds ────────────────────────────────────────────────────────────────────────────
    const rounds = rng.int(ctx.rounds[0], ctx.rounds[1]);
    for (round = 1; round <= rounds; round++) {
      if (violations.length && !ctx.keepGoing) break;
      counts.rounds++;
      roundWithdrawals.length = 0;
      const planned = planRound(rng, round);
      const shape = ctx.tame ? { ...planned, securityFix: false } : planned;
      const lockId = shape.locked ? await promo.lock(`histories seed ${seed} round ${round}`) : null;
      if (lockId) counts.lockedRounds++;

      const tipBefore = recordedTip;
      const tGit = Date.now();
      const { stable: made, fix } = await gen.round(round, shape.securityFix);
      await checkRecordAgainstGit(made);
      phases.gitMs += Date.now() - tGit;
      const pending = gen.record.stable.filter((c) => c.revno > recordedTip).map((c) => ({ sha: c.sha, revno: c.revno }));
      const plan = ctx.tame
        ? planLandingsInOrder(pending, recordedTip)
        : planLandings(rng, { pending, recordedTip, securityFix: fix?.sha ?? null, featureCandidates: gen.featureCommitsUpTo(recordedTip) });
      counts.duplicateLandings += plan.duplicates;
      counts.outOfOrderLandings += plan.outOfOrder;
      await landWaves(plan.waves, plan.pauses);
      const refused = plan.waves.flat().filter((r) => r.kind === 'feature-commit');
      counts.refusedLandings += refused.length;
      recordUpTo(plan.reportedUpTo);
      await waitQuiet('the landings');
      model.noteDeployable();

      await settle(async () => {
        const out = await checkRecorded();
        if (fix && !(await isAncestor(remote, fix.sha, await remoteHead('production-stable')))) {
          out.push(at('5 security-fixes', `security fix ${fix.sha.slice(0, 10)} is not in production-stable once its landing is settled${lockId ? ' (promotion is locked: a fix goes anyway)' : ''}`));
        }
        if (refused.length) {
          const d = await qa.deployable();
          if (d.blocker?.kind === 'landing-refused') out.push(at('refused', `a feature-branch commit reported as a landing made a blocker: ${JSON.stringify(d.blocker)}`));
        }
        return out;
      });
      if (recordedTip > tipBefore) await settle(() => checkShipped(false));

      const marks = planMarks(rng, model, shape.locked && !ctx.tame);
      for (const m of marks) await sendMark(m);
      await waitQuiet('the marks');
      if (lockId) {
        await settle(async () => [...(await checkRecorded()), ...(await checkDeployable()), ...(await checkProductionBad()), ...(await checkWithdrawnListed())]);
        const a = await promo.unlock(lockId);
        if (a.status !== 204) violate('lock', `DELETE /locks/${lockId} answered ${describeAnswer(a)}`);
        await waitQuiet('the unlock');
      }
      model.promoted(model.deployable());

      await settle(async () => [
        ...(await checkProduction(roundWithdrawals)), ...(await checkDeployable()), ...(await checkRecorded()), ...(await checkDowntime(false)),
        ...(await checkFixes()), ...(await checkProductionBad()),
      ]);
      await checkDowntime(true);
      await checkShipped(true);
      if (model.productionRunsBad().length) counts.productionRanBad++;
    }

    // ── in some runs: a landing beside the recorded history ───────────────────────────────
    if ((!violations.length || ctx.keepGoing) && rng.chance(0.4) && !ctx.tame) {
      const sha = await gen.rewritten(recordedTip);
      if (sha) {
        counts.rewrittenLandings++;
        counts.refusedLandings++;
        await landWaves([[{ sha, branch: 'stable', kind: 'rewritten' }]], [0]);
        await waitQuiet('a rewritten-history landing');
        await settle(async () => {
          const out = await checkRecorded();
          const d = await qa.deployable();
          if (d.blocker?.kind !== 'landing-refused' || d.blocker.actor !== 'operator') {
            out.push(at('refused', `${sha.slice(0, 10)} (not a descendant of r${recordedTip}) was reported; GET /deployable's blocker is ${JSON.stringify(d.blocker)}, not landing-refused for the operator`));
          }
          return out;
        });
      }
    }

    const dead = await quiet.deadLettered();
    if (dead) violate('events', `${dead} event(s) were dead-lettered`);

    // ── counts from the record ────────────────────────────────────────────────────────────
    const r = gen.record;
    Object.assign(counts, {
      commits: r.commits, firstParentCommits: r.stable.length, merges: r.merges, schemaPatches: r.schemaPatches,
      schemaPatchesInBranches: r.schemaPatchesInBranches, reverts: r.reverts, revertsOfSchemaPatches: r.revertsOfSchemaPatches,
      dbRevisions: r.stable.filter((c) => c.db).length, securityFixes: r.fixes.length,
      mergeBacksByAncestry: r.stable.flatMap((c) => c.mergesBack).filter((m) => m.how === 'ancestry').length,
      mergeBacksByPatchId: r.stable.flatMap((c) => c.mergesBack).filter((m) => m.how === 'patch-id').length,
    });
    phases.scenarioMs = Date.now() - t0 - phases.checksMs;
  } catch (e) {
    violations.push(`seed ${seed} round ${round}: the run stopped: ${(e as Error).message}`);
  } finally {
    const t = Date.now();
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    phases.stopMs = Date.now() - t;
  }
  const keep = violations.length > 0 || Boolean(process.env.KEEP_TEST_DIRS);
  if (!keep) rmSync(dir, { recursive: true, force: true });
  return { seed, violations, counts, ms: Date.now() - started, phases, dir: keep ? dir : null };
}

/** qa-gate's and promotion's tables, as JSON, for a failing run's post-mortem. */
async function dumpState(pg: Client, file: string): Promise<void> {
  const tables = [
    'qa_gate.revisions', 'qa_gate.landings', 'qa_gate.branch_state', 'qa_gate.qa_history', 'promotion.approvals', 'promotion.promotions',
    'promotion.security_fixes', 'promotion.holds', 'promotion.qa_view', 'promotion.locks',
  ];
  const out: Record<string, unknown> = {};
  for (const t of tables) out[t] = (await pg.query(`SELECT * FROM ${t}`).catch((e: Error) => ({ rows: [`${e.message}`] }))).rows;
  for (const schema of ['qa_gate', 'promotion']) {
    out[`${schema}.outbox`] = (await pg.query(`SELECT seq, type, envelope->'data' AS data, created_at, published_at FROM ${schema}.outbox ORDER BY seq`).catch(() => ({ rows: [] }))).rows;
  }
  writeFileSync(file, JSON.stringify(out, null, 1));
}

/** A few words on QA's state from `from` on, for a violation's message. */
function describeQa(model: QaModel, from: number): string {
  const parts: string[] = [];
  for (let revno = Math.max(1, from); revno <= model.tip && parts.length < 12; revno++) {
    const r = model.get(revno);
    parts.push(`r${revno} ${r.status}${r.fixedBy ? `→r${r.fixedBy}` : ''}`);
  }
  return parts.join(', ') || 'nothing';
}

// ── many runs ────────────────────────────────────────────────────────────────────────────────

export async function runHistories(opts: HistoriesOptions): Promise<HistoriesSummary> {
  const started = Date.now();
  const infra = opts.infra ?? { databaseUrl: process.env.DATABASE_URL ?? '', natsUrl: process.env.NATS_URL ?? '' };
  if (!infra.databaseUrl || !infra.natsUrl) throw new Error('the histories run needs DATABASE_URL and NATS_URL');
  const ctx: RunContext = {
    infra, rounds: opts.rounds ?? [3, 6], keepGoing: opts.keepGoing ?? false, quiesceTimeoutMs: opts.quiesceTimeoutMs ?? 30_000,
    settleMs: opts.settleMs ?? 4_000, tame: opts.tame ?? false, log: opts.log,
  };
  const results: RunResult[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < opts.runs) {
      const i = next++;
      const r = await runOne(opts.seed + i, ctx);
      results.push(r);
      done++;
      const c = r.counts;
      const line = `histories: run ${done}/${opts.runs} seed ${r.seed} ${r.violations.length ? `FAILED (${r.violations.length} violations)` : 'ok'} in ${(r.ms / 1000).toFixed(1)} s`
        + ` (start ${(r.phases.startMs / 1000).toFixed(1)} s; ${c.rounds} rounds, ${c.firstParentCommits} first-parent of ${c.commits} commits, ${c.landings} landings, ${c.marks} marks, ${c.promotions} promotions)`;
      opts.log(line);
      if (r.violations.length) {
        for (const v of r.violations.slice(0, 12)) opts.log(`  ${v}`);
        if (r.violations.length > 12) opts.log(`  … and ${r.violations.length - 12} more`);
        opts.log(`  kept: ${r.dir} (logs in ${r.dir}/logs)`);
        opts.log(`  replay: ${replayCommand(r.seed)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel, opts.runs)) }, worker));
  results.sort((a, b) => a.seed - b.seed);
  const counts = emptyCounts();
  const phaseSums: Record<keyof Phases, number> = { startMs: 0, scenarioMs: 0, quiesceMs: 0, gitMs: 0, checksMs: 0, stopMs: 0 };
  for (const r of results) {
    for (const n of COUNT_NAMES) counts[n] += r.counts[n];
    for (const k of Object.keys(phaseSums) as (keyof Phases)[]) phaseSums[k] += r.phases[k];
  }
  const byCheck: Record<string, number> = {};
  for (const r of results) {
    for (const v of r.violations) {
      const check = /check ([^:]+):/.exec(v)?.[1] ?? 'run';
      byCheck[check] = (byCheck[check] ?? 0) + 1;
    }
  }
  const n = Math.max(1, results.length);
  const failed = results.filter((r) => r.violations.length);
  return {
    name: 'histories', runs: results.length, violations: results.reduce((s, r) => s + r.violations.length, 0), failedRuns: failed.length,
    seed: opts.seed, ms: Date.now() - started, parallel: opts.parallel,
    secondsPerRun: Number((results.reduce((s, r) => s + r.ms, 0) / n / 1000).toFixed(2)),
    phases: Object.fromEntries(Object.entries(phaseSums).map(([k, v]) => [k, Number((v / n / 1000).toFixed(2))])) as Record<keyof Phases, number>,
    counts, violationsByCheck: byCheck,
    failures: failed.slice(0, 20).map((r) => ({ seed: r.seed, replay: replayCommand(r.seed), dir: r.dir, violations: r.violations.slice(0, 20) })),
  };
}

/** Postgres and NATS as `npm test` finds them (environment, a local server, or one it starts). */
async function resolveInfra(log: (line: string) => void): Promise<{ databaseUrl: string; natsUrl: string }> {
  if (process.env.DATABASE_URL && process.env.NATS_URL) return { databaseUrl: process.env.DATABASE_URL, natsUrl: process.env.NATS_URL };
  // tools/infra.mjs is an ES module; a real dynamic import keeps this file CommonJS.
  const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<{
    ensurePostgres(log: (l: string) => void): Promise<{ url: string; source: string }>;
    ensureNats(log: (l: string) => void): Promise<{ url: string; source: string }>;
  }>;
  const infra = await importEsm(pathToFileURL(join(ROOT, 'tools', 'infra.mjs')).href);
  const [pg, nats] = [await infra.ensurePostgres(log), await infra.ensureNats(log)];
  log(`histories: Postgres from ${pg.source}, NATS from ${nats.source}`);
  return { databaseUrl: process.env.DATABASE_URL ?? pg.url, natsUrl: process.env.NATS_URL ?? nats.url };
}

/**
 * `npm run chaos -- --domain histories --runs N [--seed S] [--parallel K] [--rounds a-b] [--keep-going] [--tame]`:
 * progress lines, then the summary as one JSON line, last; exits 1 on any violation.
 */
export async function historiesCli(args: string[]): Promise<void> {
  const value = (name: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
  const seed = value('seed') !== undefined ? Number(value('seed')) : Math.floor(Math.random() * 1_000_000_000);
  const runs = Number(value('runs') ?? 20);
  const parallel = Number(value('parallel') ?? 2);
  const roundsArg = value('rounds');
  const rounds = roundsArg ? (roundsArg.split('-').map(Number) as [number, number]) : undefined;
  if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(parallel) || parallel < 1) {
    throw new Error('usage: --domain histories --runs N [--seed S] [--parallel K] [--rounds a-b] [--keep-going] [--tame]');
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`histories: seed ${seed}, ${runs} runs, ${parallel} at a time (run i alone: --runs 1 --seed <seed + i>)`);
  const infra = await resolveInfra(log);
  const summary = await runHistories({
    runs, seed, parallel, log, infra, keepGoing: args.includes('--keep-going'), tame: args.includes('--tame'),
    ...(rounds ? { rounds: [rounds[0], rounds[1] ?? rounds[0]] as [number, number] } : {}),
  });
  log(`histories: ${summary.runs} runs in ${(summary.ms / 1000).toFixed(0)} s (${summary.secondsPerRun} s per run, ${parallel} at a time); ${summary.failedRuns} failed, ${summary.violations} violations`);
  log(JSON.stringify(summary));
  process.exit(summary.violations > 0 ? 1 : 0);
}
