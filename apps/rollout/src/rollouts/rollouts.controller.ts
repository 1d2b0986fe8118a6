/** Rollout's API (servers, rollouts, agent registration) and its event consumers. */
import { Body, Controller, DefaultValuePipe, Get, Inject, Param, ParseIntPipe, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type AgentHeartbeatV1, type CloudEvent, type DeployReportedV1, Events, type PromotedV1, type QaTipMovedV1 } from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { CurrentPrincipal, type Principal, Roles } from '@runway/platform';
import { RegisterAgentDto } from './dto/register-agent.dto';
import { RolloutsService } from './rollouts.service';

@ApiTags('rollout')
@ApiBearerAuth()
@Controller()
export class RolloutsController {
  constructor(@Inject(RolloutsService) private readonly rollouts: RolloutsService) {}

  @Post('agents/register')
  @Roles('agent')
  register(@Body() dto: RegisterAgentDto, @CurrentPrincipal() who: Principal) {
    return this.rollouts.register(dto, who);
  }

  @Get('servers')
  servers() {
    return this.rollouts.servers();
  }

  @Get('rollouts')
  list(@Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number) {
    return this.rollouts.rollouts(Math.min(Math.max(limit, 1), 500));
  }

  @Get('rollouts/:id')
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.rollouts.rollout(id);
  }

  @EventPattern<string>(Events.Promoted.type)
  onPromoted(@Payload() e: CloudEvent<PromotedV1>, @Ctx() ctx: JetStreamContext) {
    return this.rollouts.onPromoted(e, ctx.tx);
  }

  @EventPattern<string>(Events.QaTipMoved.type)
  onQaTipMoved(@Payload() e: CloudEvent<QaTipMovedV1>, @Ctx() ctx: JetStreamContext) {
    return this.rollouts.onQaTipMoved(e, ctx.tx);
  }

  @EventPattern<string>(Events.DeployReported.type, { concurrency: 8 })
  onDeployReported(@Payload() e: CloudEvent<DeployReportedV1>, @Ctx() ctx: JetStreamContext) {
    return this.rollouts.onDeployReported(e, ctx.tx);
  }

  @EventPattern<string>(Events.AgentHeartbeat.type, { concurrency: 8 })
  onHeartbeat(@Payload() e: CloudEvent<AgentHeartbeatV1>, @Ctx() ctx: JetStreamContext) {
    return this.rollouts.onHeartbeat(e, ctx.tx);
  }
}
