import { Module } from '@nestjs/common';
import { Clock } from './clock';
import { RolloutsController } from './rollouts.controller';
import { RolloutsRepository } from './rollouts.repository';
import { RolloutsService } from './rollouts.service';

@Module({ controllers: [RolloutsController], providers: [RolloutsService, RolloutsRepository, Clock] })
export class RolloutsModule {}
