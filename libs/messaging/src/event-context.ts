/**
 * The event being handled, carried through async calls so logs and the events it causes carry
 * its id and correlation id without every function passing them along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor } from '@runway/contracts';

export interface EventScope {
  eventId?: string;
  correlationId?: string;
  requestId?: string;
  eventType?: string;
  /** Who the events this work causes are by: the request's token holder, or Runway itself. */
  actor?: Actor;
}

const storage = new AsyncLocalStorage<EventScope>();

export function runInScope<T>(scope: EventScope, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...scope }, fn);
}

export function currentScope(): EventScope | undefined {
  return storage.getStore();
}

/**
 * Names who the current request acts for, once authentication has found out. Each request runs
 * in a scope of its own (see the HTTP hook in the platform), so this touches only that request.
 */
export function actAs(actor: Actor): void {
  const scope = storage.getStore();
  if (scope) scope.actor = actor;
}
