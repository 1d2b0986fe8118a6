/** Promotion's API and its `qa-passed` consumer. */
import { Controller, DefaultValuePipe, Get, Inject, ParseIntPipe, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type CloudEvent, Events, type QaPassedV1 } from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { PromotionsService } from './promotions.service';

@ApiTags('promotions')
@ApiBearerAuth()
@Controller()
export class PromotionsController {
  constructor(@Inject(PromotionsService) private readonly promotions: PromotionsService) {}

  @Get('status')
  status() {
    return this.promotions.status();
  }

  @Get('promotions')
  history(@Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number) {
    return this.promotions.history(Math.min(Math.max(limit, 1), 1000));
  }

  @EventPattern<string>(Events.QaPassed.type)
  onQaPassed(@Payload() event: CloudEvent<QaPassedV1>, @Ctx() ctx: JetStreamContext) {
    return this.promotions.onQaPassed(event, ctx.tx);
  }
}
