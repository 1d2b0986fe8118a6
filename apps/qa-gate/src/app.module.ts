import { Module } from '@nestjs/common';
import { RevisionsModule } from './revisions/revisions.module';

@Module({ imports: [RevisionsModule] })
export class AppModule {}
