/** Rollout's API (servers, rollouts, agent registration) and its event consumers. */
import { Body, Controller, DefaultValuePipe, Delete, Get, Inject, Param, ParseIntPipe, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type AgentHeartbeatV1, type CloudEvent, type Deregistered, DeregisteredSchema, type DeployProgressV1, type DeployReportedV1, Events, type NewHold,
  NewHoldSchema, type PromotedV1, type QaTipMovedV1, type Rollout, type RolloutDetail, RolloutDetailSchema, RolloutListSchema, RolloutSchema, type Server,
  ServerListSchema, type ServerRecord, ServerRecordSchema,
} from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { asJson, CurrentPrincipal, DomainError, type Principal, Responds, Roles } from '@runway/platform';
import { HoldServerDto, ManualRolloutDto, ReasonDto, RegisterAgentDto } from './dto/register-agent.dto';
import { OperatorsService } from './operators.service';
import { PlannerService } from './planner.service';
import { ProgressService } from './progress.service';
import { ServersService } from './servers.service';

@ApiTags('rollout')
@ApiBearerAuth()
@Controller()
export class RolloutsController {
  constructor(
    @Inject(ServersService) private readonly serversService: ServersService,
    @Inject(PlannerService) private readonly planner: PlannerService,
    @Inject(ProgressService) private readonly progress: ProgressService,
    @Inject(OperatorsService) private readonly operators: OperatorsService,
  ) {}

  @Post('agents/register')
  @Roles('agent')
  @Responds({ summary: 'An agent registers its server (again: a deregistered server comes back)', status: 201, body: ServerRecordSchema, errors: [400, 403] })
  register(@Body() dto: RegisterAgentDto, @CurrentPrincipal() who: Principal): Promise<ServerRecord> {
    return asJson(this.serversService.register(dto, who));
  }

  @Get('servers')
  @Responds({
    summary: 'The fleet; `?deregistered=include` lists servers deregistered too, with who did it and when', status: 200, body: ServerListSchema, errors: [400],
  })
  servers(@Query('deregistered') deregistered?: string): Promise<Server[]> {
    if (deregistered !== undefined && deregistered !== 'include' && deregistered !== 'exclude') {
      throw new DomainError('VALIDATION_FAILED', 'deregistered: must be include or exclude', { fields: [{ field: 'deregistered', errors: ['must be include or exclude'] }] });
    }
    return asJson(this.serversService.servers(deregistered === 'include'));
  }

  @Get('rollouts')
  @Responds({ summary: 'Rollouts, newest first', status: 200, body: RolloutListSchema, errors: [400] })
  list(@Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number): Promise<Rollout[]> {
    return asJson(this.operators.rollouts(Math.min(Math.max(limit, 1), 500)));
  }

  @Get('rollouts/:id')
  @Responds({ summary: 'One rollout, with its deploys and their output', status: 200, body: RolloutDetailSchema, errors: [400, 404] })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<RolloutDetail> {
    return asJson(this.operators.rollout(id));
  }

  @Post('rollouts')
  @Roles('operator')
  @Responds({
    summary: 'Redeploy, or roll back, some servers or all of production, now', status: 201, body: RolloutDetailSchema, errors: [400, 403, 422],
  })
  manual(@Body() dto: ManualRolloutDto, @CurrentPrincipal() who: Principal): Promise<RolloutDetail> {
    return asJson(this.operators.manual(dto, who.name));
  }

  @Post('rollouts/:id/pause')
  @Roles('operator')
  @Responds({ summary: 'Pauses a rollout; a deploying one holds its track until resumed', status: 200, body: RolloutSchema, errors: [400, 403, 404, 409] })
  pause(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal): Promise<Rollout> {
    return asJson(this.operators.pause(id, who.name));
  }

  @Post('rollouts/:id/resume')
  @Roles('operator')
  @Responds({
    summary: 'Resumes a paused rollout where it was, or sends a blocked one back to wait for its window', status: 200, body: RolloutSchema, errors: [400, 403, 404, 409],
  })
  resume(@Param('id', new ParseUUIDPipe()) id: string): Promise<Rollout> {
    return asJson(this.operators.resume(id));
  }

  @Post('rollouts/:id/cancel')
  @Roles('operator')
  @Responds({
    summary: 'Stops a rollout for good: what has not gone out is cancelled, and its track is free', status: 200, body: RolloutSchema, errors: [400, 403, 404, 409],
  })
  cancel(@Param('id', new ParseUUIDPipe()) id: string, @Body() dto: ReasonDto, @CurrentPrincipal() who: Principal): Promise<Rollout> {
    return asJson(this.operators.cancel(id, who.name, dto.reason));
  }

  @Post('servers/:host/deregister')
  @Roles('operator')
  @Responds({
    summary: 'A server gone for good leaves every rollout; its agent registering again brings it back', status: 200, body: DeregisteredSchema, errors: [400, 403, 404],
  })
  deregister(@Param('host') host: string, @Body() dto: ReasonDto, @CurrentPrincipal() who: Principal): Promise<Deregistered> {
    return this.operators.deregister(host, who.name, dto.reason);
  }

  @Put('servers/:host/hold')
  @Roles('operator')
  @Responds({ summary: 'Keeps a server out of every rollout until released or expired', status: 200, body: NewHoldSchema, errors: [400, 403] })
  hold(@Param('host') host: string, @Body() dto: HoldServerDto, @CurrentPrincipal() who: Principal): Promise<NewHold> {
    return asJson(this.operators.hold(host, dto.reason, dto.author ?? who.name, dto.until ? new Date(dto.until) : null));
  }

  @Delete('servers/:host/hold')
  @Roles('operator')
  @Responds({ summary: 'Releases a server\'s hold', status: 204, body: null, errors: [403, 404] })
  async releaseHold(@Param('host') host: string): Promise<void> {
    await this.operators.releaseHold(host);
  }

  @EventPattern<string>(Events.Promoted.type)
  onPromoted(@Payload() e: CloudEvent<PromotedV1>, @Ctx() ctx: JetStreamContext) {
    return this.planner.onPromoted(e, ctx.tx);
  }

  @EventPattern<string>(Events.QaTipMoved.type)
  onQaTipMoved(@Payload() e: CloudEvent<QaTipMovedV1>, @Ctx() ctx: JetStreamContext) {
    return this.planner.onQaTipMoved(e, ctx.tx);
  }

  @EventPattern<string>(Events.DeployReported.type, { concurrency: 8 })
  onDeployReported(@Payload() e: CloudEvent<DeployReportedV1>, @Ctx() ctx: JetStreamContext) {
    return this.progress.onDeployReported(e, ctx.tx);
  }

  /** Output of running deploys, streamed by the agents, shown on GET /rollouts/{id}. */
  @EventPattern<string>(Events.DeployProgress.type, { concurrency: 8 })
  onProgress(@Payload() e: CloudEvent<DeployProgressV1>, @Ctx() ctx: JetStreamContext) {
    return this.serversService.onProgress(e, ctx.tx);
  }

  @EventPattern<string>(Events.AgentHeartbeat.type, { concurrency: 8 })
  onHeartbeat(@Payload() e: CloudEvent<AgentHeartbeatV1>, @Ctx() ctx: JetStreamContext) {
    return this.serversService.onHeartbeat(e, ctx.tx);
  }
}
