import { Module } from '@nestjs/common';
import { LeadTimeModule } from '../lead-time/lead-time.module';
import { CowboysModule } from '../cowboys/cowboys.module';
import { Clock } from './clock';
import { RolloutsController } from './rollouts.controller';
import { RolloutsRepository } from './rollouts.repository';
import { RolloutsService } from './rollouts.service';

@Module({ imports: [LeadTimeModule, CowboysModule], controllers: [RolloutsController], providers: [RolloutsService, RolloutsRepository, Clock] })
export class RolloutsModule {}
