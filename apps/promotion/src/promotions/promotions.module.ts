import { Module } from '@nestjs/common';
import { PromotionsController } from './promotions.controller';
import { PromotionsRepository } from './promotions.repository';
import { PromotionsService } from './promotions.service';

@Module({ controllers: [PromotionsController], providers: [PromotionsService, PromotionsRepository] })
export class PromotionsModule {}
