/**
 * Rollout's parts, each with one job, data flowing one way: servers (what agents say), the
 * dispatcher (sends a batch, decides cowboys), the planner (a promotion or QA tip becomes a
 * rollout), progress (reports move it on), the scheduler (windows, slots, what a tick finds),
 * and operators (pause, resume, manual rollouts, holds).
 */
import { Module } from '@nestjs/common';
import { LeadTimeModule } from '../lead-time/lead-time.module';
import { CowboysModule } from '../cowboys/cowboys.module';
import { Clock } from './clock';
import { RolloutsController } from './rollouts.controller';
import { RolloutsRepository } from './rollouts.repository';
import { DispatcherService } from './dispatcher.service';
import { OperatorsService } from './operators.service';
import { PlannerService } from './planner.service';
import { ProgressService } from './progress.service';
import { SchedulerService } from './scheduler.service';
import { ServersService } from './servers.service';

@Module({ imports: [LeadTimeModule, CowboysModule], controllers: [RolloutsController], providers: [
    RolloutsRepository, Clock, ServersService, DispatcherService, PlannerService, ProgressService, SchedulerService, OperatorsService,
  ] })
export class RolloutsModule {}
