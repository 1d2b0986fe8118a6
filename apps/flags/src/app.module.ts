import { Module } from '@nestjs/common';

/** Feature-flag rules, evaluation and history arrive with their own issue; the service already runs. */
@Module({})
export class AppModule {}
