/**
 * Everything qa-gate does, in one module: landings in (landings/), git enrichment (git/),
 * QA status and the deployable revision (revisions/). They share one repository and call
 * each other inside one transaction, so they are providers of one module, not several.
 */
import { Module } from '@nestjs/common';
import { EnricherService } from '../git/enricher.service';
import { LandingBatcher } from '../landings/landing-batcher';
import { LandingsController } from '../landings/landings.controller';
import { LandingsService } from '../landings/landings.service';
import { DeployableService } from './deployable.service';
import { RevisionsController } from './revisions.controller';
import { RevisionsRepository } from './revisions.repository';
import { RevisionsService } from './revisions.service';

@Module({
  controllers: [LandingsController, RevisionsController],
  providers: [RevisionsRepository, DeployableService, LandingsService, LandingBatcher, EnricherService, RevisionsService],
})
export class RevisionsModule {}
