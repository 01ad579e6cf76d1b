import { lazy, type ComponentType, type ReactNode } from 'react';
import { match } from './router';

/**
 * The application's routes, each page in its own chunk (React.lazy): the login page downloads and parses only
 * what it shows, a page only its own code. `preloadRoute` starts loading the current URL's chunks as soon as
 * the main script runs, in parallel with the session request, instead of after it.
 */
interface LazyPage<P> {
  Component: ComponentType<P>;
  preload: () => Promise<unknown>;
}

function lazyPage<M, P>(load: () => Promise<M>, pick: (m: M) => ComponentType<P>): LazyPage<P> {
  let loading: Promise<M> | null = null;
  const preload = () => (loading ??= load());
  return { Component: lazy(async () => ({ default: pick(await preload()) })), preload };
}

export const LayoutChunk = lazyPage(() => import('./components/Layout'), (m) => m.Layout);

const Dashboard = lazyPage(() => import('./pages/DashboardPage'), (m) => m.DashboardPage);
const DossierList = lazyPage(() => import('./pages/DossierListPage'), (m) => m.DossierListPage);
const DossierCreate = lazyPage(() => import('./pages/DossierCreatePage'), (m) => m.DossierCreatePage);
const Dossier = lazyPage(() => import('./pages/DossierPage'), (m) => m.DossierPage);
const Parapheur = lazyPage(() => import('./parapheur/ParapheurPage'), (m) => m.ParapheurPage);
const Delegations = lazyPage(() => import('./parapheur/DelegationsPage'), (m) => m.DelegationsPage);
const ParapheurCreate = lazyPage(() => import('./parapheur/ParapheurCreatePage'), (m) => m.ParapheurCreatePage);
const ParapheurDossier = lazyPage(() => import('./parapheur/ParapheurDossierPage'), (m) => m.ParapheurDossierPage);
const ActesList = lazyPage(() => import('./parapheur/ActesPages'), (m) => m.ActesListPage);
const Acte = lazyPage(() => import('./parapheur/ActesPages'), (m) => m.ActePage);
const HeliosList = lazyPage(() => import('./helios/HeliosPages'), (m) => m.HeliosListPage);
const HeliosFlow = lazyPage(() => import('./helios/HeliosPages'), (m) => m.HeliosFlowPage);
const Connectors = lazyPage(() => import('./pages/ConnectorsPages'), (m) => m.ConnectorsPage);
const OperatorConnectors = lazyPage(() => import('./pages/ConnectorsPages'), (m) => m.OperatorConnectorsPage);
const ParapheurAdmin = lazyPage(() => import('./parapheur/ParapheurAdminPage'), (m) => m.ParapheurAdminPage);
const Users = lazyPage(() => import('./pages/UsersPage'), (m) => m.UsersPage);
const Tokens = lazyPage(() => import('./pages/TokensPage'), (m) => m.TokensPage);
const Webhooks = lazyPage(() => import('./pages/WebhooksPage'), (m) => m.WebhooksPage);
const WebhookDeliveries = lazyPage(() => import('./pages/WebhooksPage'), (m) => m.WebhookDeliveriesPage);
const Journal = lazyPage(() => import('./pages/JournalPage'), (m) => m.JournalPage);
const Operator = lazyPage(() => import('./pages/OperatorPage'), (m) => m.OperatorPage);
const NoCollectivite = lazyPage(() => import('./pages/MiscPages'), (m) => m.NoCollectivitePage);
const NotFound = lazyPage(() => import('./pages/MiscPages'), (m) => m.NotFoundPage);

type Params = Record<string, string>;
interface Route {
  pattern: string;
  page: LazyPage<never>;
  render: (p: Params) => ReactNode;
}

function route<P>(pattern: string, page: LazyPage<P>, render: (C: ComponentType<P>, p: Params) => ReactNode): Route {
  return { pattern, page: page as LazyPage<never>, render: (p) => render(page.Component, p) };
}

const ROUTES: Route[] = [
  route('/c/:cid', Dashboard, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/dossiers', DossierList, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/dossiers/nouveau', DossierCreate, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/dossiers/:id', Dossier, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/parapheur', Parapheur, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/parapheur/delegations', Delegations, (C, p) => <C key={p.cid} cid={p.cid!} scope="mine" />),
  route('/c/:cid/parapheur/nouveau', ParapheurCreate, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/parapheur/dossiers/:id', ParapheurDossier, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/actes', ActesList, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/actes/:id', Acte, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/helios', HeliosList, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/helios/:id', HeliosFlow, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/administration/delegations', Delegations, (C, p) => <C key={p.cid} cid={p.cid!} scope="all" />),
  route('/c/:cid/administration/certificats', Connectors, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/parapheur', ParapheurAdmin, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/utilisateurs', Users, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/jetons', Tokens, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/webhooks', Webhooks, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/webhooks/:id', WebhookDeliveries, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/administration/journal', Journal, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/operateur', Operator, (C) => <C />),
  route('/operateur/certificats', OperatorConnectors, (C) => <C />),
  route('/aucune-collectivite', NoCollectivite, (C) => <C />),
];

function find(pathname: string): { route: Route | null; params: Params } {
  for (const r of ROUTES) {
    const params = match(r.pattern, pathname);
    if (params) return { route: r, params };
  }
  return { route: null, params: {} };
}

/** The page for a pathname (rendered inside the Layout's Suspense boundary). */
export function renderRoute(pathname: string): ReactNode {
  const { route: r, params } = find(pathname);
  return r ? r.render(params) : <NotFound.Component />;
}

/** Starts downloading the chunks the pathname will need once the session is known (not for the login page). */
export function preloadRoute(pathname: string): void {
  if (pathname === '/connexion') return;
  void LayoutChunk.preload();
  void find(pathname).route?.page.preload();
}

/** While someone logs in: the Layout and the dashboard, where most people land. */
export function preloadAfterLogin(): void {
  void LayoutChunk.preload();
  void Dashboard.preload();
}
