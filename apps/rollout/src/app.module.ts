import { Module } from '@nestjs/common';
import { RolloutsModule } from './rollouts/rollouts.module';

@Module({ imports: [RolloutsModule] })
export class AppModule {}
