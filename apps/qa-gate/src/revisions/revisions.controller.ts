/** The revisions API, and the `revision-landed` consumer. Thin: each calls one service method. */
import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type CloudEvent, Events, type RevisionLandedV1 } from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { CurrentPrincipal, type Principal, Roles } from '@runway/platform';
import { DeployableQuery, LandRevisionDto, ListRevisionsQuery, SetQaStatusDto } from './dto/revision.dto';
import { RevisionsService } from './revisions.service';

@ApiTags('revisions')
@ApiBearerAuth()
@Controller()
export class RevisionsController {
  constructor(@Inject(RevisionsService) private readonly revisions: RevisionsService) {}

  @Post('revisions')
  @HttpCode(202)
  @Roles('buildbot')
  land(@Body() dto: LandRevisionDto, @CurrentPrincipal() who: Principal) {
    return this.revisions.acceptLanding(dto, who.name);
  }

  @Get('revisions')
  list(@Query() q: ListRevisionsQuery) {
    return this.revisions.list({ branch: q.branch, status: q.status, limit: q.limit, beforeRevno: q.before });
  }

  @Get('revisions/:id')
  get(@Param('id') id: string) {
    return this.revisions.get(id);
  }

  @Patch('revisions/:id/qa')
  @Roles('qa')
  setQa(@Param('id') id: string, @Body() dto: SetQaStatusDto, @CurrentPrincipal() who: Principal) {
    return this.revisions.setStatus(id, dto, who.name);
  }

  @Get('deployable')
  deployable(@Query() q: DeployableQuery) {
    return this.revisions.deployable(q.branch);
  }

  @EventPattern<string>(Events.RevisionLanded.type)
  onLanded(@Payload() event: CloudEvent<RevisionLandedV1>, @Ctx() ctx: JetStreamContext) {
    return this.revisions.recordLanding(event, ctx.tx);
  }
}
