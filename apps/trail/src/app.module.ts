import { Module } from '@nestjs/common';
import { TrailModule } from './trail/trail.module';

@Module({ imports: [TrailModule] })
export class AppModule {}
