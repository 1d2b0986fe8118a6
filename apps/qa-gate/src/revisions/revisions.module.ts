import { Module } from '@nestjs/common';
import { RevisionsController } from './revisions.controller';
import { RevisionsRepository } from './revisions.repository';
import { RevisionsService } from './revisions.service';

@Module({ controllers: [RevisionsController], providers: [RevisionsService, RevisionsRepository] })
export class RevisionsModule {}
