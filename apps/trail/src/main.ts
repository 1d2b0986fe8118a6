import '@runway/platform/boot-throughput'; // first: many small events a second, like flags' evaluations
import 'reflect-metadata';
import { runServiceMain } from '@runway/platform';
import { trail } from './definition';

runServiceMain(trail);
