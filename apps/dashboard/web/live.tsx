/**
 * Live updates from the dashboard server (Server-Sent Events, fed by NATS), and
 * `useResource`: data from a service that is fetched again whenever an event that changes it
 * arrives, so every page stays current without a reload.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { api, ApiError, type Service } from './api';

export interface LiveEvent {
  name: string;
  type: string;
  id: string;
  time: string;
  data: Record<string, unknown>;
}

export type LiveState = 'connecting' | 'live' | 'paused' | 'offline';
type Listener = (events: LiveEvent[]) => void;

interface LiveApi {
  state: LiveState;
  subscribe(fn: Listener): () => void;
}

const LiveContext = createContext<LiveApi>({ state: 'offline', subscribe: () => () => undefined });

export function LiveProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    const source = new EventSource('/events');
    source.addEventListener('status', (m) => setState(JSON.parse((m as MessageEvent<string>).data).live ? 'live' : 'paused'));
    source.addEventListener('runway', (m) => {
      const batch = JSON.parse((m as MessageEvent<string>).data) as LiveEvent[];
      for (const fn of listeners.current) fn(batch);
    });
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    return () => source.close();
  }, []);
  const subscribe = useCallback((fn: Listener) => {
    listeners.current.add(fn);
    return () => void listeners.current.delete(fn);
  }, []);
  return <LiveContext.Provider value={{ state, subscribe }}>{children}</LiveContext.Provider>;
}

export function useLiveState(): LiveState {
  return useContext(LiveContext).state;
}

/** Calls `fn` with each batch of live events whose name is in `names`. */
export function useLiveEvents(names: readonly string[], fn: (events: LiveEvent[]) => void): void {
  const { subscribe } = useContext(LiveContext);
  const latest = useRef(fn);
  latest.current = fn;
  const key = names.join(',');
  useEffect(() => {
    const wanted = new Set(key.split(','));
    return subscribe((batch) => {
      const mine = batch.filter((e) => wanted.has(e.name));
      if (mine.length) latest.current(mine);
    });
  }, [key, subscribe]);
}

export interface Resource<T> {
  data: T | undefined;
  error: string | undefined;
  /** The HTTP status of the refusal behind `error` (0: no answer), for pages that say more about a 404. */
  errorStatus: number | undefined;
  loading: boolean;
  reload(): void;
  /** Changes the data in place (for events that say everything needed). */
  update(fn: (old: T) => T): void;
}

export interface ResourceOptions {
  /** Fetch again this often too: for changes no event announces (a landing git refused, a merge-back git found). */
  pollMs?: number;
  /**
   * After an event, fetch once more this much later: when the event comes from another service,
   * this one may not have applied it yet when the first fetch arrives.
   */
  followUpMs?: number;
}

/** GETs `path` from `service` now and again whenever one of `refreshOn` arrives. `path` null: nothing to fetch. */
export function useResource<T>(service: Service, path: string | null, refreshOn: readonly string[] = [], options: ResourceOptions = {}): Resource<T> {
  const { pollMs, followUpMs } = options;
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [errorStatus, setErrorStatus] = useState<number>();
  const [loading, setLoading] = useState(path !== null);
  const seq = useRef(0);
  const timer = useRef<number | undefined>(undefined);
  const followUp = useRef<number | undefined>(undefined);
  const load = useCallback(() => {
    if (path === null) return;
    const mine = ++seq.current;
    setLoading(true);
    api.get<T>(service, path).then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(undefined);
        setErrorStatus(undefined);
        setLoading(false);
      },
      (e: Error) => {
        if (mine !== seq.current) return;
        setError(e.message);
        setErrorStatus(e instanceof ApiError ? e.status : undefined);
        setLoading(false);
      },
    );
  }, [service, path]);
  useEffect(() => {
    load();
    return () => {
      window.clearTimeout(timer.current);
      window.clearTimeout(followUp.current);
    };
  }, [load]);
  useEffect(() => {
    if (!pollMs || path === null) return;
    const t = window.setInterval(() => document.visibilityState !== 'hidden' && load(), pollMs);
    return () => window.clearInterval(t);
  }, [load, pollMs, path]);
  useLiveEvents(refreshOn, () => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(load, 120);
    if (followUpMs) {
      window.clearTimeout(followUp.current);
      followUp.current = window.setTimeout(load, 120 + followUpMs);
    }
  });
  const update = useCallback((fn: (old: T) => T) => setData((old) => (old === undefined ? old : fn(old))), []);
  return { data, error, errorStatus, loading, reload: load, update };
}

/** The current time, ticking every `ms`, for ages that grow while the page is open. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}
