/**
 * Everything qa-gate does, in one module: landings in (landings/), reading them from git
 * (git/), QA status and the deployable revision (revisions/). They call each other inside one
 * transaction, so they are providers of one module, not several.
 */
import { Module } from '@nestjs/common';
import { HistoryReaderService } from '../git/history-reader.service';
import { LandingBatcher } from '../landings/landing-batcher';
import { LandingsController } from '../landings/landings.controller';
import { LandingsRepository } from '../landings/landings.repository';
import { LandingsService } from '../landings/landings.service';
import { DeployableService } from './deployable.service';
import { RevisionsController } from './revisions.controller';
import { RevisionsRepository } from './revisions.repository';
import { RevisionsService } from './revisions.service';

@Module({
  controllers: [LandingsController, RevisionsController],
  providers: [RevisionsRepository, LandingsRepository, DeployableService, LandingsService, LandingBatcher, HistoryReaderService, RevisionsService],
})
export class RevisionsModule {}
