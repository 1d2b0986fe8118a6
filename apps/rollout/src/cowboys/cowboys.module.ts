import { Module } from '@nestjs/common';
import { CowboysController } from './cowboys.controller';
import { CowboysRepository } from './cowboys.repository';

@Module({ controllers: [CowboysController], providers: [CowboysRepository], exports: [CowboysRepository] })
export class CowboysModule {}
