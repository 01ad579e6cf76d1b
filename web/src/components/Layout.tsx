import { useEffect, useState, type ReactNode } from 'react';
import { Header } from '@codegouvfr/react-dsfr/Header';
import { Footer } from '@codegouvfr/react-dsfr/Footer';
import { SkipLinks } from '@codegouvfr/react-dsfr/SkipLinks';
import { Notice } from '@codegouvfr/react-dsfr/Notice';
import { Button } from '@codegouvfr/react-dsfr/Button';
import type { MainNavigationProps } from '@codegouvfr/react-dsfr/MainNavigation';
import { api, errorMessage } from '../api';
import { navigate, useLocation } from '../router';
import { can, roleIn, useSession } from '../session';
import { ROLE_LABELS } from '../labels';
import type { Collectivite } from '../types';

/** The collectivité named in the URL (/c/:cid/…), if any. */
export function currentCollectiviteId(pathname: string): string | null {
  const m = /^\/c\/([^/]+)/.exec(pathname);
  return m ? decodeURIComponent(m[1]!) : null;
}

export function Layout({ children }: { children: ReactNode }) {
  const { session, refresh, logout } = useSession();
  const { pathname } = useLocation();
  const cid = currentCollectiviteId(pathname);
  const role = cid ? roleIn(session, cid) : null;
  const imp = session.impersonation;
  const [impName, setImpName] = useState<string | null>(null);
  const [impError, setImpError] = useState<string | null>(null);

  useEffect(() => {
    if (!imp) return;
    api<Collectivite>('GET', `/api/collectivites/${imp.collectiviteId}`)
      .then((c) => setImpName(c.name))
      .catch(() => setImpName(null));
  }, [imp]);

  const collectivites = session.memberships.map((m) => ({ id: m.collectiviteId, name: m.name, role: m.roleLabel }));
  if (imp && !collectivites.some((c) => c.id === imp.collectiviteId)) {
    collectivites.push({ id: imp.collectiviteId, name: impName ?? 'Collectivité', role: 'Intervention de l’opérateur' });
  }
  const current = collectivites.find((c) => c.id === cid);

  const navigation: MainNavigationProps.Item[] = [];
  if (cid && role) {
    navigation.push({ text: 'Tableau de bord', linkProps: { href: `/c/${cid}` }, isActive: pathname === `/c/${cid}` });
    navigation.push({ text: 'Mon parapheur', linkProps: { href: `/c/${cid}/parapheur` }, isActive: pathname.startsWith(`/c/${cid}/parapheur`) });
    navigation.push({ text: 'Dossiers', linkProps: { href: `/c/${cid}/dossiers` }, isActive: pathname.startsWith(`/c/${cid}/dossiers`) });
    navigation.push({ text: 'Actes', linkProps: { href: `/c/${cid}/actes` }, isActive: pathname.startsWith(`/c/${cid}/actes`) });
    navigation.push({ text: 'HELIOS', linkProps: { href: `/c/${cid}/helios` }, isActive: pathname.startsWith(`/c/${cid}/helios`) });
    if (can.admin(role)) {
      navigation.push({
        text: 'Administration',
        isActive: pathname.startsWith(`/c/${cid}/administration`),
        menuLinks: [
          { text: 'Utilisateurs et rôles', linkProps: { href: `/c/${cid}/administration/utilisateurs` }, isActive: pathname.endsWith('/utilisateurs') },
          { text: 'Parapheur : bureaux, circuits, typologies', linkProps: { href: `/c/${cid}/administration/parapheur` }, isActive: pathname.endsWith('/administration/parapheur') },
          { text: 'Délégations', linkProps: { href: `/c/${cid}/administration/delegations` }, isActive: pathname.endsWith('/administration/delegations') },
          { text: 'Certificats, cachet et horodatage', linkProps: { href: `/c/${cid}/administration/certificats` }, isActive: pathname.endsWith('/administration/certificats') },
          { text: 'Jetons d’API', linkProps: { href: `/c/${cid}/administration/jetons` }, isActive: pathname.endsWith('/jetons') },
          { text: 'Webhooks', linkProps: { href: `/c/${cid}/administration/webhooks` }, isActive: pathname.includes('/administration/webhooks') },
          { text: 'Journal de preuve', linkProps: { href: `/c/${cid}/administration/journal` }, isActive: pathname.endsWith('/journal') },
        ],
      });
    }
  }
  if (session.user.operatorRole) navigation.push({ text: 'Opérateur : collectivités', linkProps: { href: '/operateur' }, isActive: pathname === '/operateur' });
  if (session.user.operatorRole === 'operator_admin') navigation.push({ text: 'Opérateur : certificats et cachet', linkProps: { href: '/operateur/certificats' }, isActive: pathname === '/operateur/certificats' });

  const stopImpersonation = async () => {
    setImpError(null);
    try {
      await api('DELETE', '/api/auth/impersonation');
      await refresh();
      navigate('/operateur');
    } catch (e) {
      setImpError(errorMessage(e));
    }
  };

  const roleLabel = role ? (ROLE_LABELS[role] ?? role) : session.user.operatorRole ? ROLE_LABELS[session.user.operatorRole] : '';

  return (
    <>
      <SkipLinks links={[{ label: 'Contenu', anchor: '#contenu' }, { label: 'Menu', anchor: '#header-navigation' }, { label: 'Pied de page', anchor: '#footer' }]} />
      <Header
        brandTop={<>République<br />Française</>}
        homeLinkProps={{ href: '/', title: 'Accueil — Paraphe' }}
        serviceTitle="Paraphe"
        serviceTagline={current ? current.name : 'Parapheur et télétransmissions des collectivités'}
        navigation={navigation}
        disableDisplay
        quickAccessItems={[
          { iconId: 'fr-icon-account-circle-line', text: `${session.user.displayName}${roleLabel ? ` (${roleLabel})` : ''}`, linkProps: { href: cid ? `/c/${cid}` : '/', 'aria-label': `Connecté : ${session.user.displayName}${roleLabel ? `, ${roleLabel}` : ''} — accueil` } },
          { iconId: 'fr-icon-logout-box-r-line', text: 'Se déconnecter', buttonProps: { onClick: () => void logout() } },
        ]}
      />
      {imp && (
        <div className="paraphe-impersonation">
          <Notice
            title={<>Mode intervention de l’opérateur : vous agissez dans « {impName ?? '…'} » avec le rôle {ROLE_LABELS[roleIn(session, imp.collectiviteId) ?? ''] ?? ''}. Motif : {imp.reason}. Toutes vos actions sont journalisées.</>}
            severity="warning"
            description={
              <Button size="small" priority="secondary" className="fr-ml-2w" onClick={() => void stopImpersonation()}>
                Terminer l’intervention
              </Button>
            }
          />
          {impError && <p className="fr-error-text fr-container">{impError}</p>}
        </div>
      )}
      {collectivites.length > 1 && (
        <div className="fr-container fr-mt-2w">
          <div className="fr-select-group paraphe-switcher">
            <label className="fr-label" htmlFor="collectivite-switcher">Collectivité</label>
            <select
              id="collectivite-switcher"
              className="fr-select"
              value={cid ?? ''}
              onChange={(e) => {
                if (e.target.value) navigate(`/c/${e.target.value}`);
              }}
            >
              {!cid && <option value="">Choisir une collectivité</option>}
              {collectivites.map((c) => (
                <option key={c.id} value={c.id}>{`${c.name} — ${c.role}`}</option>
              ))}
            </select>
          </div>
        </div>
      )}
      <main id="contenu" className="fr-container fr-pt-3w fr-pb-8w" tabIndex={-1}>
        {children}
      </main>
      <Footer
        id="footer"
        accessibility="partially compliant"
        brandTop={<>République<br />Française</>}
        homeLinkProps={{ href: '/', title: 'Accueil — Paraphe' }}
        contentDescription="Paraphe : parapheur électronique, télétransmission des actes (ACTES) et des flux comptables (HELIOS) pour les collectivités territoriales. Logiciel libre sous licence AGPL-3.0."
        bottomItems={[{ text: 'Documentation de l’API', linkProps: { href: '/api/docs', target: '_blank', rel: 'noopener' } }]}
        license={<>Sauf mention contraire, le code de Paraphe est publié sous licence AGPL-3.0 ou ultérieure.</>}
      />
    </>
  );
}
