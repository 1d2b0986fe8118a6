import 'reflect-metadata';
import { runServiceMain } from '@runway/platform';
import { flags } from './definition';

runServiceMain(flags);
