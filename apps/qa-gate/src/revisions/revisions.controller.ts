/** QA's API: revisions, their status and fixes, the deployable revision; and the `promoted` consumer. */
import { Body, Controller, Get, Inject, Param, Patch, Put, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type CloudEvent, type Deployable, DeployableSchema, Events, type PromotedV1, type Revision, type RevisionDetail, RevisionDetailSchema, type RevisionPage,
  RevisionPageSchema, RevisionSchema,
} from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { asJson, CurrentPrincipal, type Principal, Responds, Roles, RUNWAY_ENV } from '@runway/platform';
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
  @Responds({ summary: 'Revisions, newest first, a page at a time', status: 200, body: RevisionPageSchema, errors: [400] })
  list(@Query() q: ListRevisionsQuery): Promise<RevisionPage> {
    return asJson(this.revisions.list({ branch: q.branch, status: q.status, limit: q.limit, beforeRevno: q.before, since: q.since ? new Date(q.since) : undefined }));
  }

  @Get('revisions/:id')
  @Responds({ summary: 'One revision by id or sha, with its QA history, builds, DB flag and fix links', status: 200, body: RevisionDetailSchema, errors: [404] })
  get(@Param('id') id: string): Promise<RevisionDetail> {
    return asJson(this.revisions.get(id));
  }

  @Patch('revisions/:id/qa')
  @Roles('qa')
  @Responds({ summary: 'Sets a revision\'s QA status (and, for bad, its fix)', status: 200, body: RevisionSchema, errors: [400, 403, 404, 422] })
  setQa(@Param('id') id: string, @Body() dto: SetQaStatusDto, @CurrentPrincipal() who: Principal): Promise<Revision> {
    return asJson(this.revisions.setStatus(id, dto, who.name));
  }

  @Put('revisions/:id/fix')
  @Roles('qa')
  @Responds({ summary: 'Links a bad revision to the later revision that fixes it', status: 200, body: RevisionSchema, errors: [400, 403, 404, 422] })
  linkFix(@Param('id') id: string, @Body() dto: LinkFixDto, @CurrentPrincipal() who: Principal): Promise<Revision> {
    return asJson(this.revisions.linkFix(id, dto.fixedBy, who.name));
  }

  @Get('deployable')
  @Responds({
    summary: 'The last promoted and the deployable revision, what blocks the next one, and who must act', status: 200, body: DeployableSchema, errors: [400],
  })
  deployableNow(@Query() q: DeployableQuery): Promise<Deployable> {
    return asJson(this.deployable.explain(q.branch));
  }

  @EventPattern<string>(Events.Promoted.type)
  async onPromoted(@Payload() e: CloudEvent<PromotedV1>, @Ctx() ctx: JetStreamContext) {
    if (e.data.cause === 'security-fix') return;
    await this.revisions.promoted(ctx.tx, this.env.QA_BRANCH, { toRevno: e.data.toRevno, toSha: e.data.toSha, at: new Date(e.time) });
  }
}
