/**
 * Where landings come in: buildbot's HttpStatusPush (`POST /buildbot`, served by Fastify
 * directly: see `buildbotRoute`), the generic form (`POST /revisions`), and `revision-landed`
 * events published on NATS by anyone else.
 */
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type CloudEvent, Events, type RevisionLandedV1 } from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { CurrentPrincipal, DomainError, type FastRoute, type Principal, Roles } from '@runway/platform';
import type { QaGateEnv } from '../config';
import { LandRevisionDto } from '../revisions/dto/revision.dto';
import { readBuildbotPush } from './buildbot';
import type { LandingOutcome } from './landing';
import { LandingBatcher } from './landing-batcher';
import { LandingsService } from './landings.service';

function answer(outcome: LandingOutcome | null) {
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
    handler: async (body, who) => {
      const reading = readBuildbotPush(body, env.landingBranches, who.name);
      const { outcome, duplicateBuild } = await batcher.submit(reading.landing, reading.build);
      return {
        status: 202,
        body: {
          build: { id: reading.build.buildId, complete: reading.build.complete, duplicate: duplicateBuild },
          landed: reading.landing !== undefined,
          reason: reading.build.reason,
          revision: answer(outcome),
        },
      };
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
  ) {}

  @Post('revisions')
  @HttpCode(202)
  @Roles('buildbot')
  async land(@Body() dto: LandRevisionDto, @CurrentPrincipal() who: Principal) {
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
