/** Paste a token; the server checks it and keeps it. The browser only ever holds a session cookie. */
import { type FormEvent, useState } from 'react';
import { auth, type Capabilities } from '../api';

export function Login({ onLoggedIn, notice }: { onLoggedIn: (c: Capabilities) => void; notice?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await auth.login(token);
      setToken('');
      onLoggedIn(r.capabilities);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="login">
      <h1>Runway</h1>
      <p>Log in with your Runway API token. The dashboard keeps it on the server for this session only.</p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} aria-describedby={error ? 'login-error' : undefined}>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          autoFocus
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={error ? true : undefined}
        />
        <button type="submit" disabled={busy || token.trim().length === 0}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
        {error && (
          <p id="login-error" className="problem" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
