import '@runway/platform/boot-throughput'; // first: sizes the heap before the libraries load
import 'reflect-metadata';
import { runServiceMain } from '@runway/platform';
import { flags } from './definition';

runServiceMain(flags);
