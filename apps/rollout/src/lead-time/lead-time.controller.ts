/**
 * Lead time, the number Runway exists to shrink: for every revision, landed → QA passed →
 * promoted → running on every production server, from the events that say so.
 */
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';
import { type CloudEvent, Events, type LeadTime, LeadTimeSchema, type QaPassedV1, type RevisionLandedV1 } from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { asJson, Responds, RUNWAY_ENV } from '@runway/platform';
import type { RolloutEnv } from '../config';
import { PositionsRepository } from '../positions/positions.repository';
import { LeadTimeRepository } from './lead-time.repository';
import { LeadTimeService } from './lead-time.service';

export class LeadTimeQuery {
  @ApiPropertyOptional({ description: 'Revisions landed since (default: 30 days ago)' }) @IsOptional() @IsISO8601({ strict: true }) since?: string;
  @ApiPropertyOptional({ default: 1000 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) limit = 1000;
}

@ApiTags('lead time')
@ApiBearerAuth()
@Controller('lead-time')
export class LeadTimeController {
  constructor(
    @Inject(LeadTimeRepository) private readonly repo: LeadTimeRepository,
    @Inject(LeadTimeService) private readonly leadTime: LeadTimeService,
    @Inject(PositionsRepository) private readonly positions: PositionsRepository,
    @Inject(RUNWAY_ENV) private readonly env: RolloutEnv,
  ) {}

  @Get()
  @Responds({
    summary: 'Each revision\'s stages, p50 and p90 of each; one not running everywhere yet says which servers it waits for',
    status: 200, body: LeadTimeSchema, errors: [400],
  })
  async get(@Query() q: LeadTimeQuery): Promise<LeadTime> {
    const since = q.since ? new Date(q.since) : new Date(Date.now() - 30 * 24 * 3600_000);
    return asJson(this.leadTime.view(since, q.limit));
  }

  /** A landing: its time, and where it stands on the QA branch (a merge's commits with it). */
  @EventPattern<string>(Events.RevisionLanded.type, { concurrency: 4 })
  async onLanded(@Payload() e: CloudEvent<RevisionLandedV1>, @Ctx() ctx: JetStreamContext) {
    await this.repo.mark(ctx.tx, 'landed_at', [{ sha: e.data.sha, revno: e.data.revno }], new Date(e.data.landedAt));
    if (e.data.revno && e.data.branch === this.env.QA_BRANCH) await this.positions.landed(ctx.tx, e.data.sha, e.data.revno, e.data.brings ?? []);
  }

  @EventPattern<string>(Events.QaPassed.type)
  async onQaPassed(@Payload() e: CloudEvent<QaPassedV1>, @Ctx() ctx: JetStreamContext) {
    await this.repo.mark(ctx.tx, 'qa_passed_at', e.data.range, new Date(e.time));
  }
}
