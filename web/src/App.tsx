import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError, setCsrfToken } from './api';
import { match, navigate, useLocation } from './router';
import { SessionContext, homeOf, type SessionState } from './session';
import type { Session } from './types';
import { Layout } from './components/Layout';
import { LoginPage } from './pages/LoginPage';
import { DashboardPage } from './pages/DashboardPage';
import { DossierListPage } from './pages/DossierListPage';
import { DossierCreatePage } from './pages/DossierCreatePage';
import { DossierPage } from './pages/DossierPage';
import { UsersPage } from './pages/UsersPage';
import { TokensPage } from './pages/TokensPage';
import { WebhookDeliveriesPage, WebhooksPage } from './pages/WebhooksPage';
import { JournalPage } from './pages/JournalPage';
import { OperatorPage } from './pages/OperatorPage';
import { NotFoundPage, NoCollectivitePage } from './pages/MiscPages';
import { ParapheurPage } from './parapheur/ParapheurPage';
import { ParapheurDossierPage } from './parapheur/ParapheurDossierPage';
import { ParapheurCreatePage } from './parapheur/ParapheurCreatePage';
import { ParapheurAdminPage } from './parapheur/ParapheurAdminPage';
import { ActePage, ActesListPage } from './parapheur/ActesPages';
import { HeliosFlowPage, HeliosListPage } from './helios/HeliosPages';
import { DelegationsPage } from './parapheur/DelegationsPage';
import { ConnectorsPage, OperatorConnectorsPage } from './pages/ConnectorsPages';

async function fetchSession(): Promise<Session | null> {
  try {
    const s = await api<Session>('GET', '/api/auth/session');
    setCsrfToken(s.csrfToken);
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [fatal, setFatal] = useState<string | null>(null);
  const { pathname } = useLocation();

  const refresh = useCallback(async () => {
    const s = await fetchSession();
    setSession(s);
    return s;
  }, []);
  useEffect(() => {
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
      <Layout>{route(pathname)}</Layout>
    </SessionContext.Provider>
  );
}

function route(pathname: string) {
  let p: Record<string, string> | null;
  if ((p = match('/c/:cid', pathname))) return <DashboardPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/dossiers', pathname))) return <DossierListPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/dossiers/nouveau', pathname))) return <DossierCreatePage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/dossiers/:id', pathname))) return <DossierPage key={p.id} cid={p.cid!} id={p.id!} />;
  if ((p = match('/c/:cid/parapheur', pathname))) return <ParapheurPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/parapheur/delegations', pathname))) return <DelegationsPage key={p.cid} cid={p.cid!} scope="mine" />;
  if ((p = match('/c/:cid/parapheur/nouveau', pathname))) return <ParapheurCreatePage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/parapheur/dossiers/:id', pathname))) return <ParapheurDossierPage key={p.id} cid={p.cid!} id={p.id!} />;
  if ((p = match('/c/:cid/actes', pathname))) return <ActesListPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/actes/:id', pathname))) return <ActePage key={p.id} cid={p.cid!} id={p.id!} />;
  if ((p = match('/c/:cid/helios', pathname))) return <HeliosListPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/helios/:id', pathname))) return <HeliosFlowPage key={p.id} cid={p.cid!} id={p.id!} />;
  if ((p = match('/c/:cid/administration/delegations', pathname))) return <DelegationsPage key={p.cid} cid={p.cid!} scope="all" />;
  if ((p = match('/c/:cid/administration/certificats', pathname))) return <ConnectorsPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/administration/parapheur', pathname))) return <ParapheurAdminPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/administration/utilisateurs', pathname))) return <UsersPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/administration/jetons', pathname))) return <TokensPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/administration/webhooks', pathname))) return <WebhooksPage key={p.cid} cid={p.cid!} />;
  if ((p = match('/c/:cid/administration/webhooks/:id', pathname))) return <WebhookDeliveriesPage key={p.id} cid={p.cid!} id={p.id!} />;
  if ((p = match('/c/:cid/administration/journal', pathname))) return <JournalPage key={p.cid} cid={p.cid!} />;
  if (match('/operateur', pathname)) return <OperatorPage />;
  if (match('/operateur/certificats', pathname)) return <OperatorConnectorsPage />;
  if (match('/aucune-collectivite', pathname)) return <NoCollectivitePage />;
  return <NotFoundPage />;
}
