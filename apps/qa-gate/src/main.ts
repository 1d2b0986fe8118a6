import 'reflect-metadata';
import { runServiceMain } from '@runway/platform';
import { qaGate } from './definition';

runServiceMain(qaGate);
