import { Module } from '@nestjs/common';
import { DoraMetrics } from './dora.metrics';
import { IngestService } from './ingest.service';
import { TrailController } from './trail.controller';
import { TrailRepository } from './trail.repository';
import { TrailService } from './trail.service';

@Module({ controllers: [TrailController], providers: [TrailRepository, TrailService, IngestService, DoraMetrics] })
export class TrailModule {}
