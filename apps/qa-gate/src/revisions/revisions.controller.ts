/** QA's API: revisions, their status and fixes, the deployable revision; and the `promoted` consumer. */
import { Body, Controller, Get, Inject, Param, Patch, Put, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type CloudEvent, Events, type PromotedV1 } from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { CurrentPrincipal, type Principal, Roles, RUNWAY_ENV } from '@runway/platform';
import type { QaGateEnv } from '../config';
import { DeployableService } from './deployable.service';
import { DeployableQuery, LinkFixDto, ListRevisionsQuery, SetQaStatusDto } from './dto/revision.dto';
import { RevisionsService } from './revisions.service';

@ApiTags('revisions')
@ApiBearerAuth()
@Controller()
export class RevisionsController {
  constructor(
    @Inject(RevisionsService) private readonly revisions: RevisionsService,
    @Inject(DeployableService) private readonly deployable: DeployableService,
    @Inject(RUNWAY_ENV) private readonly env: QaGateEnv,
  ) {}

  @Get('revisions')
  list(@Query() q: ListRevisionsQuery) {
    return this.revisions.list({ branch: q.branch, status: q.status, limit: q.limit, beforeRevno: q.before, since: q.since ? new Date(q.since) : undefined });
  }

  /** One revision by id or sha, with its QA history, builds, DB flag and fix links. */
  @Get('revisions/:id')
  get(@Param('id') id: string) {
    return this.revisions.get(id);
  }

  @Patch('revisions/:id/qa')
  @Roles('qa')
  setQa(@Param('id') id: string, @Body() dto: SetQaStatusDto, @CurrentPrincipal() who: Principal) {
    return this.revisions.setStatus(id, dto, who.name);
  }

  @Put('revisions/:id/fix')
  @Roles('qa')
  linkFix(@Param('id') id: string, @Body() dto: LinkFixDto, @CurrentPrincipal() who: Principal) {
    return this.revisions.linkFix(id, dto.fixedBy, who.name);
  }

  /** The last promoted and the deployable revision, what blocks the next one, and who must act. */
  @Get('deployable')
  deployableNow(@Query() q: DeployableQuery) {
    return this.deployable.explain(q.branch);
  }

  @EventPattern<string>(Events.Promoted.type)
  async onPromoted(@Payload() e: CloudEvent<PromotedV1>, @Ctx() ctx: JetStreamContext) {
    if (e.data.cause === 'security-fix') return;
    await this.revisions.promoted(ctx.tx, this.env.QA_BRANCH, { toRevno: e.data.toRevno, toSha: e.data.toSha, at: new Date(e.time) });
  }
}
