import { Module } from '@nestjs/common';
import { LeadTimeController } from './lead-time.controller';
import { LeadTimeRepository } from './lead-time.repository';

@Module({ controllers: [LeadTimeController], providers: [LeadTimeRepository], exports: [LeadTimeRepository] })
export class LeadTimeModule {}
