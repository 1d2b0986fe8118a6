/**
 * Reading buildbot 3.7's `reporters.HttpStatusPush` body as it is sent: one build, posted when
 * it starts and again when it finishes. Only a finished build whose result is SUCCESS (0) or
 * WARNINGS (1), on a branch Runway watches, lands its revision; every post is kept as a build
 * event. The revision is `properties.got_revision[0]` (what the build really checked out),
 * else the first source stamp's `revision`. Times are epoch seconds.
 */
import { plainToInstance, Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsObject, IsOptional, IsString, Max, Min, ValidateNested, validateSync } from 'class-validator';
import { describeErrors, SHA_PATTERN } from '@runway/contracts';
import { DomainError } from '@runway/platform';
import type { NewBuildEvent } from '../revisions/revisions.repository';
import type { Landing } from './landing';

export const BUILDBOT_RESULTS = ['SUCCESS', 'WARNINGS', 'FAILURE', 'SKIPPED', 'EXCEPTION', 'RETRY', 'CANCELLED'] as const;

class SourceStamp {
  @IsOptional() @IsString() branch?: string | null;
  @IsOptional() @IsString() revision?: string | null;
  @IsOptional() @IsString() repository?: string | null;
}

class BuildSet {
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => SourceStamp) sourcestamps?: SourceStamp[];
}

class Builder {
  @IsOptional() @IsString() name?: string;
}

/** The part of the body Runway reads; the rest is kept by buildbot, not by us. */
export class BuildbotBuild {
  @IsInt() @Min(0) @Max(2147483647) buildid!: number;
  @IsOptional() @IsInt() @Min(0) @Max(2147483647) number?: number;
  @IsBoolean() complete!: boolean;
  @IsOptional() @IsInt() results?: number | null;
  @IsOptional() @IsString() state_string?: string;
  @IsOptional() @IsString() url?: string;
  @IsOptional() @IsInt() started_at?: number | null;
  @IsOptional() @IsInt() complete_at?: number | null;
  @IsOptional() @IsObject() properties?: Record<string, unknown>;
  @IsOptional() @ValidateNested() @Type(() => BuildSet) buildset?: BuildSet;
  @IsOptional() @ValidateNested() @Type(() => Builder) builder?: Builder;
}

export interface BuildbotReading {
  build: NewBuildEvent;
  /** Present when this post lands a revision. */
  landing?: Landing;
}

function property(props: Record<string, unknown> | undefined, name: string): unknown {
  const p = props?.[name];
  return Array.isArray(p) ? p[0] : undefined;
}

function epoch(s: number | null | undefined): Date | null {
  return typeof s === 'number' ? new Date(s * 1000) : null;
}

export function readBuildbotPush(body: unknown, watchedBranches: readonly string[], reportedBy: string): BuildbotReading {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('VALIDATION_FAILED', 'body: must be a buildbot build object', { fields: [{ field: 'body', errors: ['must be an object'] }] });
  }
  // Only the fields Runway reads are copied and checked: a build body can be large.
  const raw = body as Record<string, unknown>;
  const buildset = raw.buildset as { sourcestamps?: unknown[] } | undefined;
  const picked = {
    buildid: raw.buildid, number: raw.number, complete: raw.complete, results: raw.results, state_string: raw.state_string, url: raw.url,
    started_at: raw.started_at, complete_at: raw.complete_at, properties: raw.properties,
    buildset: buildset && typeof buildset === 'object' ? { sourcestamps: Array.isArray(buildset.sourcestamps) ? buildset.sourcestamps.slice(0, 1) : buildset.sourcestamps } : buildset,
    builder: raw.builder && typeof raw.builder === 'object' ? { name: (raw.builder as { name?: unknown }).name } : raw.builder,
  };
  const b = plainToInstance(BuildbotBuild, picked);
  const errors = validateSync(b, { forbidUnknownValues: false });
  if (errors.length) {
    const problems = describeErrors(errors);
    throw new DomainError('VALIDATION_FAILED', problems.join('; '), {
      fields: problems.map((p) => ({ field: p.split(':')[0], errors: [p.slice(p.indexOf(':') + 2)] })),
    });
  }
  const stamp = b.buildset?.sourcestamps?.[0];
  const gotRevision = property(b.properties, 'got_revision');
  const revision = (typeof gotRevision === 'string' && gotRevision) || stamp?.revision || null;
  const branchProp = property(b.properties, 'branch');
  const branch = stamp?.branch ?? (typeof branchProp === 'string' ? branchProp : null);
  const owners = property(b.properties, 'owners');
  const author = Array.isArray(owners) && typeof owners[0] === 'string' ? owners[0] : null;

  let reason: string | null = null;
  if (!b.complete) reason = 'build started, not finished';
  else if (b.results !== 0 && b.results !== 1) reason = `build result ${BUILDBOT_RESULTS[b.results ?? -1] ?? b.results ?? 'unknown'}`;
  else if (!branch || !watchedBranches.includes(branch)) reason = `branch ${branch ?? '(none)'} is not watched`;
  else if (!revision || !SHA_PATTERN.test(revision)) reason = `no usable revision (${revision ?? 'none'})`;

  const build: NewBuildEvent = {
    buildId: b.buildid, buildNumber: b.number ?? null, builder: b.builder?.name ?? null, branch, revision, results: b.results ?? null,
    complete: b.complete, stateString: b.state_string ?? null, url: b.url ?? null, startedAt: epoch(b.started_at), completeAt: epoch(b.complete_at),
    landed: reason === null, reason, reportedBy,
  };
  if (reason !== null) return { build };
  return {
    build,
    landing: {
      branch: branch!, sha: revision!, author, landedAt: epoch(b.complete_at) ?? new Date(), buildUrl: b.url ?? null, buildId: b.buildid, reportedBy,
    },
  };
}
