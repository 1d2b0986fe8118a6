import 'reflect-metadata';
import { runServiceMain } from '@runway/platform';
import { rollout } from './definition';

runServiceMain(rollout);
