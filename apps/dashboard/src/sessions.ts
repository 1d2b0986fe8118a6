/**
 * Server-side sessions. The operator's token lives here only: the browser holds a random
 * session id in an HttpOnly, SameSite=Strict cookie, and never sees the token again.
 */
import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'runway_session';

/** What the token may do, found at login (the button for an action shows only when it may). */
export interface Capabilities {
  qa: boolean;
  operator: boolean;
  flagEditor: boolean;
}

export interface Session {
  id: string;
  token: string;
  capabilities: Capabilities;
  createdAt: number;
  lastSeenAt: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(token: string, capabilities: Capabilities): Session {
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    const s: Session = { id, token, capabilities, createdAt: t, lastSeenAt: t };
    this.sessions.set(id, s);
    return s;
  }

  /** The live session with this id, touched; undefined when unknown or idle too long. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.lastSeenAt > this.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeenAt = t;
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Forgets sessions idle for too long; the server calls it now and then. */
  sweep(): void {
    const t = this.now();
    for (const [id, s] of this.sessions) if (t - s.lastSeenAt > this.idleMs) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** The value of one cookie in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(id: string, { secure, maxAgeSeconds }: { secure: boolean; maxAgeSeconds: number }): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
