import { clearedSessionCookie, readCookie, sessionCookie, SessionStore } from './sessions';

const caps = { qa: true, operator: false, flagEditor: false };

describe('SessionStore', () => {
  it('keeps the token under a random id and forgets a session idle for too long', () => {
    let now = 1_000;
    const store = new SessionStore(60_000, () => now);
    const a = store.create('secret-token-1', caps);
    const b = store.create('secret-token-2', caps);
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toContain('secret');
    now += 59_000;
    expect(store.get(a.id)?.token).toBe('secret-token-1'); // touched: idle time starts again
    now += 59_000;
    expect(store.get(a.id)?.token).toBe('secret-token-1');
    expect(store.get(b.id)).toBeUndefined(); // 118 s idle
    now += 61_000;
    store.sweep();
    expect(store.size).toBe(0);
  });

  it('ends a session on delete and knows no session without an id', () => {
    const store = new SessionStore(60_000);
    const s = store.create('t0123456789', caps);
    store.delete(s.id);
    expect(store.get(s.id)).toBeUndefined();
    expect(store.get(undefined)).toBeUndefined();
    expect(store.get('')).toBeUndefined();
  });
});

describe('cookies', () => {
  it('reads one cookie among several', () => {
    expect(readCookie('a=1; runway_session=abc_-9; b=2', 'runway_session')).toBe('abc_-9');
    expect(readCookie('runway_session_x=1', 'runway_session')).toBeUndefined();
    expect(readCookie(undefined, 'runway_session')).toBeUndefined();
  });

  it('makes the session cookie HttpOnly and SameSite=Strict, Secure when asked', () => {
    expect(sessionCookie('abc', { secure: false, maxAgeSeconds: 60 })).toBe('runway_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
    expect(sessionCookie('abc', { secure: true, maxAgeSeconds: 60 })).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toContain('Max-Age=0');
  });
});
