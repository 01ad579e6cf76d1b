import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, sessionRequest, setCsrfToken, settledSession } from './api';
import { navigate, useLocation } from './router';
import { SessionContext, homeOf, type SessionState } from './session';
import type { Session } from './types';
import { LoginPage } from './pages/LoginPage';
import { Layout } from './components/Layout';
import { renderRoute } from './routes';

async function fetchSession(): Promise<Session | null> {
  try {
    const s = await sessionRequest<Session>();
    setCsrfToken(s.csrfToken);
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

/** The session index.html has already got, if it has: the first render is then the page itself, not « Chargement… ». */
function initialSession(): Session | null | undefined {
  const s = settledSession<Session>();
  if (s) setCsrfToken(s.csrfToken);
  return s;
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(initialSession);
  const known = useRef(session !== undefined);
  const [fatal, setFatal] = useState<string | null>(null);
  const { pathname } = useLocation();

  const refresh = useCallback(async () => {
    const s = await fetchSession();
    setSession(s);
    return s;
  }, []);
  useEffect(() => {
    if (known.current) return;
    refresh().catch((e: unknown) => setFatal(e instanceof ApiError ? e.message : 'Le serveur ne répond pas.'));
  }, [refresh]);

  const logout = useCallback(async () => {
    try {
      await api('POST', '/api/auth/logout');
    } finally {
      setCsrfToken('');
      setSession(null);
      navigate('/connexion', { replace: true });
    }
  }, []);

  const state: SessionState | null = useMemo(() => (session ? { session, refresh, logout } : null), [session, refresh, logout]);

  if (fatal) return <p className="fr-container fr-my-6w" role="alert">{fatal}</p>;
  if (session === undefined) return <p className="fr-container fr-my-6w" aria-live="polite">Chargement…</p>;

  if (!state) {
    if (pathname !== '/connexion') {
      const next = pathname === '/' ? '' : `?suite=${encodeURIComponent(pathname + window.location.search)}`;
      queueMicrotask(() => navigate(`/connexion${next}`, { replace: true }));
    }
    return <LoginPage onLoggedIn={refresh} />;
  }
  if (pathname === '/connexion' || pathname === '/') {
    queueMicrotask(() => navigate(homeOf(state.session), { replace: true }));
    return null;
  }

  return (
    <SessionContext.Provider value={state}>
      <Layout>{renderRoute(pathname)}</Layout>
    </SessionContext.Provider>
  );
}
