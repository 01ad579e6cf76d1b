import { useMemo } from 'react';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useDossierTypes, useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { formatMonth, parisMonth } from '../format';
import type { InboxItem } from '../parapheur/types';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import { DossierTable } from '../components/DossierTable';
import { Link } from '../router';
import type { DossierSummary, DossierType } from '../types';

const LATE_DAYS = 15;

/** GET /api/collectivites/:cid/tableau-de-bord: the bannettes of the bureaux the user holds (délégations included by the API) and the month's sendings. */
interface DashboardSummary {
  mois: string;
  bureaux: number;
  aTraiter: InboxItem[];
  enRetard: InboxItem[];
  envoyes: { actes: number; pes: number };
}
const EMPTY_INBOX = { bureaux: 0, waiting: [] as InboxItem[], late: [] as InboxItem[] };

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
  const month = parisMonth(new Date());
  // Bannettes and the month's sendings in one request (no waterfall: bureaux, then two bannettes per bureau).
  const summary = useResource<DashboardSummary>(`/api/collectivites/${cid}/tableau-de-bord?mois=${month}`);
  const inbox = summary.data ? { bureaux: summary.data.bureaux, waiting: summary.data.aTraiter, late: summary.data.enRetard } : summary.error ? EMPTY_INBOX : null;
  const sent = summary.data?.envoyes ?? (summary.error ? { actes: 0, pes: 0 } : null);

  const stats = useMemo(() => {
    if (!list.data || !types) return null;
    const byType = new Map(types.map((t) => [t.type, t]));
    const now = Date.now();
    const items = list.data.items;
    // Dossiers in a parapheur circuit wait for a bureau (counted from the bannettes), not for a role.
    const inCircuit = new Set(inbox?.waiting.map((d) => d.id) ?? []);
    const mine = items.filter((d) => !inCircuit.has(d.id) && waitsFor(role, d, byType));
    const late = items.filter((d) => !d.final && (/erreur/.test(d.state) || now - Date.parse(d.updatedAt) > LATE_DAYS * 86400_000));
    return { mine, late, partial: list.data.nextCursor !== null };
  }, [list.data, types, role, inbox]);

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
      <ErrorAlert message={summary.error} />
      {(!stats || !inbox || !sent) && !list.error && <Loading />}
      {stats && inbox && sent && (
        <>
          <ul className="fr-grid-row fr-grid-row--gutters paraphe-stats" aria-label="Indicateurs">
            <Stat
              label="Ce qui m’attend"
              value={(inbox?.waiting.length ?? 0) + stats.mine.length}
              hint="Dossiers sur lesquels vous pouvez agir maintenant"
              links={[
                ...(inbox && inbox.bureaux > 0 ? [{ href: `/c/${cid}/parapheur?vue=a-traiter`, text: `${inbox.waiting.length} dans mes bannettes « À traiter »` }] : []),
                { href: '#a-traiter', text: `${stats.mine.length} autre(s) dossier(s) à traiter` },
              ]}
            />
            <Stat
              label="En retard"
              value={(inbox?.late.length ?? 0) + stats.late.length}
              hint={`Échéance dépassée dans le parapheur, sans évolution depuis plus de ${LATE_DAYS} jours, ou en erreur`}
              tone={(inbox?.late.length ?? 0) + stats.late.length ? 'warning' : undefined}
              links={[
                ...(inbox && inbox.bureaux > 0 ? [{ href: `/c/${cid}/parapheur?vue=en-retard`, text: `${inbox.late.length} dans mes bannettes « En retard »` }] : []),
                { href: '#en-retard', text: `${stats.late.length} dossier(s) en retard ou en erreur` },
              ]}
            />
            <Stat
              label={`Envoyé en ${formatMonth(new Date())}`}
              value={sent.actes + sent.pes}
              hint="Actes transmis à la préfecture et flux PES transmis à la trésorerie ce mois-ci"
              links={[
                { href: `/c/${cid}/actes?mois=${month}`, text: `${sent.actes} acte(s) transmis` },
                { href: `/c/${cid}/helios?mois=${month}`, text: `${sent.pes} flux PES transmis` },
              ]}
            />
          </ul>
          {stats.partial && <p className="fr-text--sm">Indicateurs calculés sur les 200 dossiers les plus récents.</p>}
          <h2 id="a-traiter" tabIndex={-1} className="fr-h4 fr-mt-4w">À traiter par moi</h2>
          {stats.mine.length === 0 ? (
            <p>Rien ne vous attend pour le moment.</p>
          ) : (
            <DossierTable cid={cid} items={stats.mine.slice(0, 10)} caption="Dossiers qui attendent une action de votre part" />
          )}
          <h2 id="en-retard" tabIndex={-1} className="fr-h4 fr-mt-4w">En retard ou en erreur</h2>
          {stats.late.length === 0 ? <p>Aucun dossier en retard ni en erreur.</p> : <DossierTable cid={cid} items={stats.late.slice(0, 10)} caption="Dossiers en retard ou en erreur" />}
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

function Stat({ label, value, hint, tone, links }: { label: string; value: number; hint: string; tone?: 'warning'; links: { href: string; text: string }[] }) {
  return (
    <li className="fr-col-12 fr-col-md-4">
      <div className={`paraphe-stat${tone ? ` paraphe-stat--${tone}` : ''}`}>
        <p className="paraphe-stat__value">{value}</p>
        <p className="paraphe-stat__label">{label}</p>
        <p className="fr-text--xs">{hint}</p>
        <ul className="paraphe-stat__links">
          {links.map((l) => (
            <li key={l.href}>
              {l.href.startsWith('#') ? <a className="fr-link fr-text--sm" href={l.href}>{l.text}</a> : <Link className="fr-link fr-text--sm" href={l.href}>{l.text}</Link>}
            </li>
          ))}
        </ul>
      </div>
    </li>
  );
}
