import { Table } from '@codegouvfr/react-dsfr/Table';
import { useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { Link, useLocation } from '../router';
import { formatDateTime } from '../format';
import { ErrorAlert, Loading, PageTitle, StateBadge } from '../components/common';
import { INBOX_VIEWS, P, type Bureau, type InboxItem } from './types';

type Inboxes = Record<string, Record<string, InboxItem[]>>;

/** « Mon parapheur » : the bannettes of the bureaux the user holds, with their counts. */
export function ParapheurPage({ cid }: { cid: string }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const { search } = useLocation();
  // Every bannette of the bureaux the user holds in one request (not the bureaux, then one request per bureau and view).
  const bannettes = useResource<{ items: { bureau: Bureau; vues: Record<string, InboxItem[]> }[] }>(`${P(cid)}/bannettes`);
  const mine = bannettes.data?.items.map((x) => x.bureau) ?? [];
  const inboxes: Inboxes | null = bannettes.data ? Object.fromEntries(bannettes.data.items.map((x) => [x.bureau.id, x.vues])) : null;

  const selectedBureau = search.get('bureau') ?? mine[0]?.id ?? '';
  const selectedView = search.get('vue') ?? 'a-traiter';
  const bureau = mine.find((b) => b.id === selectedBureau);
  const viewLabel = INBOX_VIEWS.find(([v]) => v === selectedView)?.[1] ?? 'À traiter';
  const items = inboxes?.[selectedBureau]?.[selectedView] ?? [];

  return (
    <>
      <PageTitle title="Mon parapheur">
        {can.write(role) && (
          <Link className="fr-btn fr-icon-add-line fr-btn--icon-left" href={`/c/${cid}/parapheur/nouveau`}>
            Nouveau document à signer
          </Link>
        )}
        {mine.length > 0 && (
          <Link className="fr-btn fr-btn--secondary fr-icon-team-line fr-btn--icon-left fr-ml-1w" href={`/c/${cid}/parapheur/delegations`}>
            Mes délégations
          </Link>
        )}
      </PageTitle>
      <ErrorAlert message={bannettes.error} />
      {!bannettes.data ? (
        <Loading what="Chargement des bannettes" />
      ) : mine.length === 0 ? (
        <p>Vous ne tenez aucun bureau dans cette collectivité : demandez à un administrateur de vous en attribuer un.</p>
      ) : (
        <div className="fr-grid-row fr-grid-row--gutters">
          <nav className="fr-col-12 fr-col-md-4" aria-label="Bannettes de mes bureaux">
            {mine.map((b) => (
              <section key={b.id} className="paraphe-card fr-p-2w fr-mb-2w">
                <h2 className="fr-h6 fr-mb-1w">Bureau {b.name}</h2>
                <ul className="paraphe-inbox-list">
                  {INBOX_VIEWS.map(([v, label]) => {
                    const n = inboxes?.[b.id]?.[v]?.length ?? 0;
                    const current = b.id === selectedBureau && v === selectedView;
                    return (
                      <li key={v}>
                        <Link href={`/c/${cid}/parapheur?bureau=${b.id}&vue=${v}`} aria-current={current ? 'page' : undefined} className={current ? 'paraphe-inbox-current' : undefined} data-testid={`inbox-${b.name}-${v}`}>
                          <span>{label}</span> <span className="paraphe-count">{n}</span>
                          <span className="fr-sr-only"> dossier{n > 1 ? 's' : ''}</span>
                        </Link>
                      </li>
                    );
                  })}
                </ul>
              </section>
            ))}
          </nav>
          <div className="fr-col-12 fr-col-md-8">
            <h2 className="fr-h4">
              {bureau ? `${bureau.name} — ${viewLabel}` : viewLabel}
            </h2>
            {items.length === 0 ? (
              <p>Aucun dossier dans cette bannette.</p>
            ) : (
              <Table
                className="paraphe-table"
                caption={`Dossiers : ${viewLabel}`}
                noCaption
                headers={['Titre', 'État', 'Date limite', 'Mis à jour']}
                data={items.map((d) => [
                  <Link key="l" href={`/c/${cid}/parapheur/dossiers/${d.id}`}>{d.title}</Link>,
                  <StateBadge key="s" state={d.state} label={d.stateLabel} final={/signe|abandonne/.test(d.state)} />,
                  d.deadline ? formatDateTime(d.deadline) : '—',
                  formatDateTime(d.updatedAt),
                ])}
              />
            )}
          </div>
        </div>
      )}
    </>
  );
}
