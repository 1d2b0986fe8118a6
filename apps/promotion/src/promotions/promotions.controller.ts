/** Promotion's API (status, history, manual promotion, locks, security fixes) and its consumers. */
import { Body, Controller, DefaultValuePipe, Delete, Get, Inject, Param, ParseIntPipe, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type ApprovalWithdrawnV1, type CloudEvent, Events, type NewLock, NewLockSchema, type ProductionQaChangedV1, type Promoted, PromotedSchema, type Promotion,
  PromotionListSchema, type PromotionStatus, PromotionStatusSchema, type QaPassedV1, type RevisionLandedV1, type SecurityFix, SecurityFixListSchema,
  SecurityFixSchema,
} from '@runway/contracts';
import type { JetStreamContext } from '@runway/messaging';
import { asJson, CurrentPrincipal, type Principal, Responds, Roles } from '@runway/platform';
import { LockDto, MergedBackDto, PromoteDto, SecurityFixDto } from './dto/promotion.dto';
import { PromotionsService } from './promotions.service';

@ApiTags('promotions')
@ApiBearerAuth()
@Controller()
export class PromotionsController {
  constructor(@Inject(PromotionsService) private readonly promotions: PromotionsService) {}

  @Get('status')
  @Responds({
    summary: 'production-stable, what waits (approvals, locks, freezes, holds), and fixes awaiting merge-back', status: 200, body: PromotionStatusSchema,
  })
  status(): Promise<PromotionStatus> {
    return asJson(this.promotions.status());
  }

  @Get('promotions')
  @Responds({ summary: 'The promotions made, newest first', status: 200, body: PromotionListSchema, errors: [400] })
  history(@Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number): Promise<Promotion[]> {
    return asJson(this.promotions.history(Math.min(Math.max(limit, 1), 1000)));
  }

  @Post('promotions')
  @Roles('operator')
  @Responds({
    summary: 'Promotes one revision now: approved by QA, or forced with a reason', status: 201, body: PromotedSchema, errors: [400, 403, 404, 409, 422],
  })
  promote(@Body() dto: PromoteDto, @CurrentPrincipal() who: Principal): Promise<Promoted> {
    return this.promotions.promoteManually(dto.revision, who.name, dto.force ?? false, dto.reason);
  }

  @Post('locks')
  @Roles('operator')
  @Responds({ summary: 'Locks automatic promotion, until released or a given time', status: 201, body: NewLockSchema, errors: [400, 403] })
  lock(@Body() dto: LockDto, @CurrentPrincipal() who: Principal): Promise<NewLock> {
    return asJson(this.promotions.addLock(dto.reason, dto.author ?? who.name, who.name, dto.until ? new Date(dto.until) : null));
  }

  @Delete('locks/:id')
  @Roles('operator')
  @Responds({ summary: 'Releases a lock', status: 204, body: null, errors: [400, 403, 404] })
  async unlock(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal): Promise<void> {
    await this.promotions.releaseLock(id, who.name);
  }

  @Get('security-fixes')
  @Responds({ summary: 'Security fixes, newest first, with how each came back to stable', status: 200, body: SecurityFixListSchema })
  fixes(): Promise<SecurityFix[]> {
    return asJson(this.promotions.securityFixes());
  }

  @Post('security-fixes')
  @Roles('operator')
  @Responds({
    summary: 'Reports a security fix landed on the security branch: it goes to production first, even when locked or frozen',
    status: 201, body: PromotionStatusSchema, errors: [400, 403, 409],
  })
  securityFix(@Body() dto: SecurityFixDto, @CurrentPrincipal() who: Principal): Promise<PromotionStatus> {
    return asJson(this.promotions.reportSecurityFix(dto.sha, who.name));
  }

  @Get('security-fixes/:sha')
  @Responds({ summary: 'One security fix, by sha or a prefix only it has', status: 200, body: SecurityFixSchema, errors: [404] })
  fix(@Param('sha') sha: string): Promise<SecurityFix> {
    return asJson(this.promotions.securityFix(sha));
  }

  @Post('security-fixes/:sha/merged-back')
  @Roles('operator')
  @Responds({
    summary: 'An operator confirms a fix is in stable when git cannot tell (no repository, or a reworked patch)',
    status: 200, body: SecurityFixSchema, errors: [400, 403, 404, 409],
  })
  mergedBack(@Param('sha') sha: string, @Body() dto: MergedBackDto, @CurrentPrincipal() who: Principal): Promise<SecurityFix> {
    return asJson(this.promotions.confirmMergeBack(sha, who.name, dto.reason));
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
