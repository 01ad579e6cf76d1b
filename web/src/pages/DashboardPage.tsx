import { useMemo } from 'react';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useDossierTypes, useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { formatMonth, parisMonth } from '../format';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import { DossierTable } from '../components/DossierTable';
import { Link } from '../router';
import type { DossierSummary, DossierType } from '../types';

const LATE_DAYS = 15;

/** Dossiers where the user's role may run an action in the current state (guards aside). */
function waitsFor(role: string | null, d: DossierSummary, types: Map<string, DossierType>): boolean {
  const t = types.get(d.type);
  if (!t || !role || d.final) return false;
  return Object.values(t.actions).some((a) => a.from.includes(d.state) && a.roles.includes(role));
}

export function DashboardPage({ cid }: { cid: string }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const member = session.memberships.find((m) => m.collectiviteId === cid);
  const fiche = useResource<{ name: string }>(member ? null : `/api/collectivites/${cid}`);
  const name = member?.name ?? fiche.data?.name;
  const list = useResource<{ items: DossierSummary[]; nextCursor: string | null }>(`/api/collectivites/${cid}/dossiers?limit=200`);
  const types = useDossierTypes();

  const stats = useMemo(() => {
    if (!list.data || !types) return null;
    const byType = new Map(types.map((t) => [t.type, t]));
    const now = Date.now();
    const month = parisMonth(new Date());
    const items = list.data.items;
    const mine = items.filter((d) => waitsFor(role, d, byType));
    const late = items.filter((d) => !d.final && (/erreur/.test(d.state) || now - Date.parse(d.updatedAt) > LATE_DAYS * 86400_000));
    const sent = items.filter((d) => d.final && !/abandon|rejet|annul/.test(d.state) && parisMonth(new Date(d.updatedAt)) === month);
    return { mine, late, sent, partial: list.data.nextCursor !== null };
  }, [list.data, types, role]);

  return (
    <>
      <PageTitle title={`Tableau de bord${name ? ` — ${name}` : ''}`}>
        {can.write(role) && (
          <Button iconId="fr-icon-add-line" linkProps={{ href: `/c/${cid}/dossiers/nouveau` }}>
            Nouveau dossier
          </Button>
        )}
      </PageTitle>
      <ErrorAlert message={list.error} />
      {!stats && !list.error && <Loading />}
      {stats && (
        <>
          <ul className="fr-grid-row fr-grid-row--gutters paraphe-stats" aria-label="Indicateurs">
            <Stat label="À traiter par moi" value={stats.mine.length} hint="Dossiers sur lesquels vous pouvez agir maintenant" />
            <Stat label="En retard ou en erreur" value={stats.late.length} hint={`Sans évolution depuis plus de ${LATE_DAYS} jours, ou en erreur`} tone={stats.late.length ? 'warning' : undefined} />
            <Stat label={`Envoyés en ${formatMonth(new Date())}`} value={stats.sent.length} hint="Dossiers arrivés au bout de leur circuit ce mois-ci" />
          </ul>
          {stats.partial && <p className="fr-text--sm">Indicateurs calculés sur les 200 dossiers les plus récents.</p>}
          <h2 className="fr-h4 fr-mt-4w">À traiter par moi</h2>
          {stats.mine.length === 0 ? (
            <p>Rien ne vous attend pour le moment.</p>
          ) : (
            <DossierTable cid={cid} items={stats.mine.slice(0, 10)} caption="Dossiers qui attendent une action de votre part" />
          )}
          {stats.late.length > 0 && (
            <>
              <h2 className="fr-h4 fr-mt-4w">En retard ou en erreur</h2>
              <DossierTable cid={cid} items={stats.late.slice(0, 10)} caption="Dossiers en retard ou en erreur" />
            </>
          )}
          <p className="fr-mt-4w">
            <Link className="fr-link fr-icon-arrow-right-line fr-link--icon-right" href={`/c/${cid}/dossiers`}>
              Voir tous les dossiers
            </Link>
          </p>
        </>
      )}
    </>
  );
}

function Stat({ label, value, hint, tone }: { label: string; value: number; hint: string; tone?: 'warning' }) {
  return (
    <li className="fr-col-12 fr-col-md-4">
      <div className={`paraphe-stat${tone ? ` paraphe-stat--${tone}` : ''}`}>
        <p className="paraphe-stat__value">{value}</p>
        <p className="paraphe-stat__label">{label}</p>
        <p className="fr-text--xs fr-mb-0">{hint}</p>
      </div>
    </li>
  );
}
