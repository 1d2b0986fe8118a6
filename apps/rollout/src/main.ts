import '@runway/platform/boot'; // first: sizes the heap before the libraries load
import 'reflect-metadata';
import { runServiceMain } from '@runway/platform';
import { rollout } from './definition';

runServiceMain(rollout);
