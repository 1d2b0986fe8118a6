/** Rollout's API (servers, rollouts, agent registration) and its event consumers. */
import { Body, Controller, DefaultValuePipe, Delete, Get, HttpCode, Inject, Param, ParseIntPipe, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type AgentHeartbeatV1, type CloudEvent, type DeployProgressV1, type DeployReportedV1, Events, type PromotedV1, type QaTipMovedV1,
} from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { CurrentPrincipal, DomainError, type Principal, Roles } from '@runway/platform';
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
  register(@Body() dto: RegisterAgentDto, @CurrentPrincipal() who: Principal) {
    return this.serversService.register(dto, who);
  }

  /** The fleet; `?deregistered=include` lists servers deregistered too, with who did it and when. */
  @Get('servers')
  servers(@Query('deregistered') deregistered?: string) {
    if (deregistered !== undefined && deregistered !== 'include' && deregistered !== 'exclude') {
      throw new DomainError('VALIDATION_FAILED', 'deregistered: must be include or exclude', { fields: [{ field: 'deregistered', errors: ['must be include or exclude'] }] });
    }
    return this.serversService.servers(deregistered === 'include');
  }

  @Get('rollouts')
  list(@Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number) {
    return this.operators.rollouts(Math.min(Math.max(limit, 1), 500));
  }

  @Get('rollouts/:id')
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.operators.rollout(id);
  }

  /** Redeploy, or roll back, some servers or all of production, now. */
  @Post('rollouts')
  @Roles('operator')
  manual(@Body() dto: ManualRolloutDto, @CurrentPrincipal() who: Principal) {
    return this.operators.manual(dto, who.name);
  }

  @Post('rollouts/:id/pause')
  @HttpCode(200)
  @Roles('operator')
  pause(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal) {
    return this.operators.pause(id, who.name);
  }

  @Post('rollouts/:id/resume')
  @HttpCode(200)
  @Roles('operator')
  resume(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.operators.resume(id);
  }

  /** Stops a rollout for good: what has not gone out is cancelled, and its track is free. */
  @Post('rollouts/:id/cancel')
  @HttpCode(200)
  @Roles('operator')
  cancel(@Param('id', new ParseUUIDPipe()) id: string, @Body() dto: ReasonDto, @CurrentPrincipal() who: Principal) {
    return this.operators.cancel(id, who.name, dto.reason);
  }

  /** A server gone for good leaves every rollout; its agent registering again brings it back. */
  @Post('servers/:host/deregister')
  @HttpCode(200)
  @Roles('operator')
  deregister(@Param('host') host: string, @Body() dto: ReasonDto, @CurrentPrincipal() who: Principal) {
    return this.operators.deregister(host, who.name, dto.reason);
  }

  /** Keeps a server out of every rollout until released or expired. */
  @Put('servers/:host/hold')
  @Roles('operator')
  hold(@Param('host') host: string, @Body() dto: HoldServerDto, @CurrentPrincipal() who: Principal) {
    return this.operators.hold(host, dto.reason, dto.author ?? who.name, dto.until ? new Date(dto.until) : null);
  }

  @Delete('servers/:host/hold')
  @HttpCode(204)
  @Roles('operator')
  async releaseHold(@Param('host') host: string) {
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
