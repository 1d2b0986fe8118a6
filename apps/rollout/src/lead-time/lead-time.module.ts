import { Module } from '@nestjs/common';
import { PositionsModule } from '../positions/positions.module';
import { LeadTimeController } from './lead-time.controller';
import { LeadTimeRepository } from './lead-time.repository';
import { LeadTimeService } from './lead-time.service';

@Module({ imports: [PositionsModule], controllers: [LeadTimeController], providers: [LeadTimeRepository, LeadTimeService], exports: [LeadTimeRepository, LeadTimeService] })
export class LeadTimeModule {}
