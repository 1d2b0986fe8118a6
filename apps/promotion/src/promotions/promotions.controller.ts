/** Promotion's API (status, history, manual promotion, locks, security fixes) and its consumers. */
import { Body, Controller, DefaultValuePipe, Delete, Get, HttpCode, Inject, Param, ParseIntPipe, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type ApprovalWithdrawnV1, type CloudEvent, Events, type ProductionQaChangedV1, type QaPassedV1, type RevisionLandedV1 } from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { CurrentPrincipal, type Principal, Roles } from '@runway/platform';
import { LockDto, MergedBackDto, PromoteDto, SecurityFixDto } from './dto/promotion.dto';
import { PromotionsService } from './promotions.service';

@ApiTags('promotions')
@ApiBearerAuth()
@Controller()
export class PromotionsController {
  constructor(@Inject(PromotionsService) private readonly promotions: PromotionsService) {}

  /** production-stable, what waits (approvals, locks, freezes, holds), and fixes awaiting merge-back. */
  @Get('status')
  status() {
    return this.promotions.status();
  }

  @Get('promotions')
  history(@Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number) {
    return this.promotions.history(Math.min(Math.max(limit, 1), 1000));
  }

  @Post('promotions')
  @Roles('operator')
  promote(@Body() dto: PromoteDto, @CurrentPrincipal() who: Principal) {
    return this.promotions.promoteManually(dto.revision, who.name, dto.force ?? false, dto.reason);
  }

  @Post('locks')
  @Roles('operator')
  lock(@Body() dto: LockDto, @CurrentPrincipal() who: Principal) {
    return this.promotions.addLock(dto.reason, dto.author ?? who.name, who.name, dto.until ? new Date(dto.until) : null);
  }

  @Delete('locks/:id')
  @HttpCode(204)
  @Roles('operator')
  async unlock(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal) {
    await this.promotions.releaseLock(id, who.name);
  }

  @Get('security-fixes')
  fixes() {
    return this.promotions.securityFixes();
  }

  @Post('security-fixes')
  @Roles('operator')
  securityFix(@Body() dto: SecurityFixDto, @CurrentPrincipal() who: Principal) {
    return this.promotions.reportSecurityFix(dto.sha, who.name);
  }

  @Get('security-fixes/:sha')
  fix(@Param('sha') sha: string) {
    return this.promotions.securityFix(sha);
  }

  /** An operator confirms a fix is in stable when git cannot tell (no repository, or a reworked patch). */
  @Post('security-fixes/:sha/merged-back')
  @Roles('operator')
  mergedBack(@Param('sha') sha: string, @Body() dto: MergedBackDto, @CurrentPrincipal() who: Principal) {
    return this.promotions.confirmMergeBack(sha, who.name, dto.reason);
  }

  @EventPattern<string>(Events.ApprovalWithdrawn.type)
  onWithdrawn(@Payload() event: CloudEvent<ApprovalWithdrawnV1>, @Ctx() ctx: JetStreamContext) {
    return this.promotions.onWithdrawn(event, ctx.tx);
  }

  @EventPattern<string>(Events.ProductionQaChanged.type)
  onProductionQa(@Payload() event: CloudEvent<ProductionQaChangedV1>, @Ctx() ctx: JetStreamContext) {
    return this.promotions.onProductionQa(event, ctx.tx);
  }

  @EventPattern<string>(Events.QaPassed.type)
  onQaPassed(@Payload() event: CloudEvent<QaPassedV1>, @Ctx() ctx: JetStreamContext) {
    return this.promotions.onQaPassed(event, ctx.tx);
  }

  @EventPattern<string>(Events.RevisionLanded.type)
  onLanded(@Payload() event: CloudEvent<RevisionLandedV1>, @Ctx() ctx: JetStreamContext) {
    return this.promotions.onLanded(event, ctx.tx);
  }
}
