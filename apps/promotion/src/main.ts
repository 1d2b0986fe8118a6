import 'reflect-metadata';
import { runServiceMain } from '@runway/platform';
import { promotion } from './definition';

runServiceMain(promotion);
