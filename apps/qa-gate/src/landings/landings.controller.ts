/**
 * Where landings come in: buildbot's HttpStatusPush (`POST /buildbot`, served by Fastify
 * directly: see `buildbotRoute`), the generic form (`POST /revisions`), and `revision-landed`
 * events published on NATS by anyone else.
 */
import { Body, Controller, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type BuildbotAnswer, BuildbotAnswerSchema, type CloudEvent, Events, type Landing, type LandingAnswer, LandingAnswerSchema, type LandingPage,
  LandingPageSchema, LandingSchema, type RevisionLandedV1,
} from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { asJson, CurrentPrincipal, DomainError, type FastRoute, type Principal, Responds, Roles } from '@runway/platform';
import type { QaGateEnv } from '../config';
import { DismissLandingDto, LandRevisionDto, ListLandingsQuery } from '../revisions/dto/revision.dto';
import { RevisionsRepository } from '../revisions/revisions.repository';
import { readBuildbotPush } from './buildbot';
import type { LandingOutcome } from './landing';
import { LandingBatcher } from './landing-batcher';
import { LandingsRepository } from './landings.repository';
import { LandingsService } from './landings.service';

function answer(outcome: LandingOutcome | null): LandingAnswer {
  if (outcome?.refused) throw new DomainError('CONFLICT', outcome.refused);
  return outcome;
}

/**
 * buildbot 3.7 `reporters.HttpStatusPush`, as it posts: every build start and finish. Served by
 * Fastify directly (role buildbot): at thousands of posts a second, Nest's per-request layers
 * cost more than recording the landing.
 */
export function buildbotRoute(batcher: LandingBatcher, env: QaGateEnv): FastRoute {
  return {
    method: 'POST',
    url: '/buildbot',
    roles: ['buildbot'],
    answer: { summary: 'A build buildbot started or finished; a finished, passing build on a watched branch lands its revision', status: 202, body: BuildbotAnswerSchema, errors: [400, 403, 409] },
    handler: async (body, who) => {
      const reading = readBuildbotPush(body, env.landingBranches, who.name);
      const { outcome, duplicateBuild } = await batcher.submit(reading.landing, reading.build);
      const told: BuildbotAnswer = {
        build: { id: reading.build.buildId, complete: reading.build.complete, duplicate: duplicateBuild },
        landed: reading.landing !== undefined,
        reason: reading.build.reason,
        revision: answer(outcome),
      };
      return { status: 202, body: told };
    },
  };
}

@ApiTags('landings')
@ApiBearerAuth()
@Controller()
export class LandingsController {
  constructor(
    @Inject(LandingBatcher) private readonly batcher: LandingBatcher,
    @Inject(LandingsService) private readonly landings: LandingsService,
    @Inject(LandingsRepository) private readonly queue: LandingsRepository,
    @Inject(RevisionsRepository) private readonly revisions: RevisionsRepository,
  ) {}

  @Get('landings')
  @Responds({
    summary: 'Landings as reported, newest first, with what git made of each (with a repository configured)', status: 200, body: LandingPageSchema, errors: [400],
  })
  async list(@Query() q: ListLandingsQuery): Promise<LandingPage> {
    const items = await this.queue.list({ branch: q.branch, state: q.state, limit: q.limit, beforeId: q.before });
    const last = items[items.length - 1];
    return asJson({ items, next: items.length === q.limit && last ? { before: last.id } : null });
  }

  @Get('landings/:id')
  @Responds({ summary: 'One landing, and what git made of it', status: 200, body: LandingSchema, errors: [404] })
  async get(@Param('id') id: string): Promise<Landing> {
    const landing = /^\d{1,18}$/.test(id) ? await this.queue.get(id) : null;
    if (!landing) throw new DomainError('NOT_FOUND', `no landing ${id}`);
    return asJson(landing);
  }

  @Post('landings/:id/dismiss')
  @Roles('operator')
  @Responds({
    summary: 'An operator sets a refused (or stuck) landing aside, with a reason: it no longer blocks', status: 200, body: LandingSchema, errors: [400, 403, 404, 409],
  })
  async dismiss(@Param('id') id: string, @Body() dto: DismissLandingDto, @CurrentPrincipal() who: Principal): Promise<Landing> {
    if (!/^\d{1,18}$/.test(id) || !(await this.queue.get(id))) throw new DomainError('NOT_FOUND', `no landing ${id}`);
    const landing = await this.revisions.transaction((em) => this.queue.dismiss(em, id, who.name, dto.reason));
    if (!landing) throw new DomainError('CONFLICT', `landing ${id} is not refused or pending`);
    return asJson(landing);
  }

  @Post('revisions')
  @Roles('buildbot')
  @Responds({
    summary: 'Lands a revision (null: qa-gate does not watch the branch)', status: 202, body: LandingAnswerSchema, errors: [400, 403, 409],
  })
  async land(@Body() dto: LandRevisionDto, @CurrentPrincipal() who: Principal): Promise<LandingAnswer> {
    const { outcome } = await this.batcher.submit({
      branch: dto.branch, sha: dto.sha, revno: dto.revno, message: dto.message, author: dto.author,
      landedAt: dto.landedAt ? new Date(dto.landedAt) : new Date(), buildUrl: dto.buildUrl, reportedBy: who.name, files: dto.files,
    });
    return answer(outcome);
  }

  /** Landings published by others (PQM, scripts). Our own revision-landed events are facts we already hold. */
  @EventPattern<string>(Events.RevisionLanded.type, { ignoreOwnEvents: true })
  async onLanded(@Payload() event: CloudEvent<RevisionLandedV1>, @Ctx() ctx: JetStreamContext) {
    const d = event.data;
    const [outcome] = await this.landings.record(ctx.tx, [{
      branch: d.branch, sha: d.sha, revno: d.revno, message: d.message, author: d.author, landedAt: new Date(d.landedAt),
      buildUrl: d.buildUrl, buildId: d.buildId, reportedBy: d.reportedBy ?? event.source, files: d.files,
    }]);
    if (outcome.refused) throw new DomainError('CONFLICT', outcome.refused, undefined, false);
  }
}
