/** The shell: who is logged in, the navigation, the live-update indicator, and the pages. */
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { auth, type Capabilities, SESSION_ENDED } from './api';
import { shortSha } from './format';
import { LiveProvider, useLiveState } from './live';
import { Login } from './pages/Login';
import { Cowboys } from './pages/Cowboys';
import { Pipeline } from './pages/Pipeline';
import { Production } from './pages/Production';
import { Revision } from './pages/Revision';
import { Servers } from './pages/Servers';
import { ServerTrail } from './pages/ServerTrail';
import { Link, navigate, usePath } from './router';
import { Loading } from './ui';

// The heaviest pages load on first visit: chart.js stays out of the first paint.
const Flags = lazy(() => import('./pages/Flags').then((m) => ({ default: m.Flags })));
const LeadTime = lazy(() => import('./pages/LeadTime').then((m) => ({ default: m.LeadTime })));
const Dora = lazy(() => import('./pages/Dora').then((m) => ({ default: m.Dora })));

const PAGES = [
  { path: '/pipeline', title: 'Pipeline' },
  { path: '/production', title: 'Production' },
  { path: '/servers', title: 'Servers' },
  { path: '/cowboys', title: 'Cowboys' },
  { path: '/flags', title: 'Flags' },
  { path: '/lead-time', title: 'Lead time' },
  { path: '/dora', title: 'DORA' },
] as const;

/** The pages whose address names what they show: a revision's story, a server's trail. */
type Addressed = { kind: 'revision'; revision: string; title: string } | { kind: 'server-trail'; host: string; title: string };

function addressed(path: string): Addressed | undefined {
  try {
    const rev = /^\/revisions\/([^/]+)$/.exec(path);
    if (rev) {
      const revision = decodeURIComponent(rev[1]);
      return { kind: 'revision', revision, title: `Revision ${/^[0-9a-f]{11,}$/.test(revision) ? shortSha(revision) : revision}` };
    }
    const server = /^\/servers\/([^/]+)\/trail$/.exec(path);
    if (server) {
      const host = decodeURIComponent(server[1]);
      return { kind: 'server-trail', host, title: `Trail of ${host}` };
    }
  } catch {
    // A malformed escape in the address: no such page.
  }
  return undefined;
}

type SessionState = { status: 'checking' } | { status: 'out'; notice?: string } | { status: 'in'; capabilities: Capabilities };

export function App() {
  const [session, setSession] = useState<SessionState>({ status: 'checking' });
  useEffect(() => {
    auth.session().then(
      (s) => setSession(s.authenticated && s.capabilities ? { status: 'in', capabilities: s.capabilities } : { status: 'out' }),
      () => setSession({ status: 'out', notice: 'The dashboard server did not answer.' }),
    );
    const ended = () => setSession({ status: 'out', notice: 'Your session ended: Runway no longer accepts the token. Log in again.' });
    window.addEventListener(SESSION_ENDED, ended);
    return () => window.removeEventListener(SESSION_ENDED, ended);
  }, []);
  const loggedIn = useCallback((capabilities: Capabilities) => {
    setSession({ status: 'in', capabilities });
    if (window.location.pathname === '/' || window.location.pathname === '/login') navigate('/pipeline');
  }, []);
  const logout = useCallback(async () => {
    setSession({ status: 'out', notice: 'You are logged out.' });
    await auth.logout().catch(() => undefined);
  }, []);

  if (session.status === 'checking') return <Loading what="your session" />;
  if (session.status === 'out') return <Login onLoggedIn={loggedIn} notice={session.notice} />;
  return (
    <LiveProvider>
      <Shell capabilities={session.capabilities} onLogout={logout} />
    </LiveProvider>
  );
}

function Shell({ capabilities, onLogout }: { capabilities: Capabilities; onLogout: () => void }) {
  const path = usePath();
  const page = PAGES.find((p) => path === p.path) ?? (path === '/' || path === '/login' ? PAGES[0] : undefined);
  const other = page ? undefined : addressed(path);
  useEffect(() => {
    if (path === '/' || path === '/login') window.history.replaceState(null, '', '/pipeline');
  }, [path]);
  useEffect(() => {
    const title = page?.title ?? other?.title;
    document.title = title ? `${title} · Runway` : 'Not found · Runway';
  }, [page, other?.title]);
  const live = useLiveState();
  const roles = [capabilities.qa && 'QA', capabilities.operator && 'operator', capabilities.flagEditor && 'flag editor'].filter(Boolean);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Runway</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <Link to={p.path} aria-current={page?.path === p.path ? 'page' : undefined}>
                  {p.title}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className={`live live-${live}`} role="status" aria-live="polite" data-testid="live-state">
          {live === 'live' ? 'Live' : live === 'paused' ? 'Live updates paused (NATS)' : live === 'connecting' ? 'Connecting…' : 'Offline'}
        </span>
        <span className="muted small" title="What this token may do">
          {roles.length ? `Can act as ${roles.join(', ')}` : 'Read only'}
        </span>
        <button type="button" className="secondary" onClick={onLogout}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>
          {page?.path === '/pipeline' && <Pipeline capabilities={capabilities} />}
          {page?.path === '/production' && <Production capabilities={capabilities} />}
          {page?.path === '/servers' && <Servers capabilities={capabilities} />}
          {page?.path === '/cowboys' && <Cowboys capabilities={capabilities} />}
          {page?.path === '/flags' && <Flags capabilities={capabilities} />}
          {page?.path === '/lead-time' && <LeadTime />}
          {page?.path === '/dora' && <Dora />}
          {/* Keyed by the address: another revision or server starts afresh, not from the last one's answer. */}
          {other?.kind === 'revision' && <Revision key={other.revision} revision={other.revision} />}
          {other?.kind === 'server-trail' && <ServerTrail key={other.host} host={other.host} />}
          {!page && !other && (
            <>
              <h1>Not found</h1>
              <p>
                No page at {path}. <Link to="/pipeline">Go to the pipeline</Link>.
              </p>
            </>
          )}
        </Suspense>
      </main>
    </>
  );
}
