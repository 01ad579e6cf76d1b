import { type ComponentType, type ReactNode } from 'react';
import { match } from './router';
import { DashboardPage } from './pages/DashboardPage';
import { DossierListPage } from './pages/DossierListPage';
import { DossierCreatePage } from './pages/DossierCreatePage';
import { DossierPage } from './pages/DossierPage';
import { ParapheurPage } from './parapheur/ParapheurPage';
import { DelegationsPage } from './parapheur/DelegationsPage';
import { ParapheurCreatePage } from './parapheur/ParapheurCreatePage';
import { ParapheurDossierPage } from './parapheur/ParapheurDossierPage';
import { ActePage, ActesListPage } from './parapheur/ActesPages';
import { HeliosFlowPage, HeliosListPage } from './helios/HeliosPages';
import { ConnectorsPage, OperatorConnectorsPage } from './pages/ConnectorsPages';
import { ParapheurAdminPage } from './parapheur/ParapheurAdminPage';
import { UsersPage } from './pages/UsersPage';
import { TokensPage } from './pages/TokensPage';
import { WebhookDeliveriesPage, WebhooksPage } from './pages/WebhooksPage';
import { JournalPage } from './pages/JournalPage';
import { OperatorPage } from './pages/OperatorPage';
import { NoCollectivitePage, NotFoundPage } from './pages/MiscPages';

/**
 * The application's routes. Every page is in the main script: measured on the demo, splitting the pages into
 * lazy chunks saved nothing on a first visit and doubled warm loads (about 1 s instead of 0.5 s), since each
 * navigation then waited for its chunk before rendering (scripts/measure-web-load.ts --compare).
 */
type Params = Record<string, string>;
interface Route {
  pattern: string;
  render: (p: Params) => ReactNode;
}

function route<P>(pattern: string, page: ComponentType<P>, render: (C: ComponentType<P>, p: Params) => ReactNode): Route {
  return { pattern, render: (p) => render(page, p) };
}

const ROUTES: Route[] = [
  route('/c/:cid', DashboardPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/dossiers', DossierListPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/dossiers/nouveau', DossierCreatePage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/dossiers/:id', DossierPage, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/parapheur', ParapheurPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/parapheur/delegations', DelegationsPage, (C, p) => <C key={p.cid} cid={p.cid!} scope="mine" />),
  route('/c/:cid/parapheur/nouveau', ParapheurCreatePage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/parapheur/dossiers/:id', ParapheurDossierPage, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/actes', ActesListPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/actes/:id', ActePage, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/helios', HeliosListPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/helios/:id', HeliosFlowPage, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/administration/delegations', DelegationsPage, (C, p) => <C key={p.cid} cid={p.cid!} scope="all" />),
  route('/c/:cid/administration/certificats', ConnectorsPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/parapheur', ParapheurAdminPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/utilisateurs', UsersPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/jetons', TokensPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/webhooks', WebhooksPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/c/:cid/administration/webhooks/:id', WebhookDeliveriesPage, (C, p) => <C key={p.id} cid={p.cid!} id={p.id!} />),
  route('/c/:cid/administration/journal', JournalPage, (C, p) => <C key={p.cid} cid={p.cid!} />),
  route('/operateur', OperatorPage, (C) => <C />),
  route('/operateur/certificats', OperatorConnectorsPage, (C) => <C />),
  route('/aucune-collectivite', NoCollectivitePage, (C) => <C />),
];

function find(pathname: string): { route: Route | null; params: Params } {
  for (const r of ROUTES) {
    const params = match(r.pattern, pathname);
    if (params) return { route: r, params };
  }
  return { route: null, params: {} };
}

/** The page for a pathname. */
export function renderRoute(pathname: string): ReactNode {
  const { route: r, params } = find(pathname);
  return r ? r.render(params) : <NotFoundPage />;
}
