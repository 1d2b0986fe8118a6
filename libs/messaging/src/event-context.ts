/**
 * The event being handled, carried through async calls so logs and the events it causes carry
 * its id and correlation id without every function passing them along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface EventScope {
  eventId?: string;
  correlationId?: string;
  requestId?: string;
  eventType?: string;
}

const storage = new AsyncLocalStorage<EventScope>();

export function runInScope<T>(scope: EventScope, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...scope }, fn);
}

export function currentScope(): EventScope | undefined {
  return storage.getStore();
}
