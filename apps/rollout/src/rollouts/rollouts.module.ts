/**
 * Rollout's parts, each with one job, data flowing one way: servers (what agents say), the
 * dispatcher (sends a batch, deciding each server as it goes), the planner (a promotion, QA
 * tip or catch-up becomes a rollout), progress (reports and deadlines move it on), the
 * reconciler (servers behind or drifted are caught up), the scheduler (windows, slots, what a
 * tick finds), and operators (pause, resume, cancel, manual rollouts, holds, deregistration).
 */
import { Module } from '@nestjs/common';
import { LeadTimeModule } from '../lead-time/lead-time.module';
import { CowboysModule } from '../cowboys/cowboys.module';
import { PositionsModule } from '../positions/positions.module';
import { Clock } from './clock';
import { RolloutsController } from './rollouts.controller';
import { RolloutsRepository } from './rollouts.repository';
import { DispatcherService } from './dispatcher.service';
import { OperatorsService } from './operators.service';
import { PlannerService } from './planner.service';
import { ProgressService } from './progress.service';
import { ReconcilerService } from './reconciler.service';
import { SchedulerService } from './scheduler.service';
import { ServersService } from './servers.service';

@Module({ imports: [LeadTimeModule, CowboysModule, PositionsModule], controllers: [RolloutsController], providers: [
    RolloutsRepository, Clock, ServersService, DispatcherService, PlannerService, ProgressService, ReconcilerService, SchedulerService, OperatorsService,
  ] })
export class RolloutsModule {}
