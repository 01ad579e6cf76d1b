import { useEffect } from 'react';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { Link, useLocation } from '../router';
import { formatDate, formatDateTime, formatMonthKey } from '../format';
import { ErrorAlert, Loading, PageTitle, StateBadge } from '../components/common';
import type { Dossier, DossierSummary } from '../types';
import { SoumettreSignatureForm } from './SoumettreSignatureForm';
import { CircuitSection, type CircuitSignature } from './CircuitSection';

interface ActeMessage {
  id: string;
  direction: 'entrant' | 'sortant';
  kind: string;
  code: string | null;
  status: string;
  dateCourrierPref: string | null;
  enReponseA: string | null;
  details: Record<string, unknown>;
  createdAt: string;
  reponsesPossibles: string[];
}
interface ActeView {
  idActe: string;
  signature: CircuitSignature | null;
  dateEnvoi: string | null;
  dateReception: string | null;
  datePublication: string | null;
  archive: { nom: string; sha256: string } | null;
  messages: ActeMessage[];
  dossier: Dossier;
}

const MESSAGE_LABELS: Record<string, string> = {
  TransmissionActe: 'Transmission de l’acte',
  ARActe: 'Accusé de réception',
  AnomalieActe: 'Anomalie',
  Annulation: 'Annulation',
  ARAnnulation: 'Accusé de réception de l’annulation',
  CourrierSimple: 'Courrier simple',
  ReponseCourrierSimple: 'Réponse au courrier simple',
  DemandePieceComplementaire: 'Demande de pièces complémentaires',
  ARDemandePieceComplementaire: 'Accusé de réception de la demande de pièces',
  RefusPieceComplementaire: 'Refus de fournir les pièces',
  PieceComplementaire: 'Pièces complémentaires',
  LettreObservations: 'Lettre d’observations',
  ARLettreObservations: 'Accusé de réception de la lettre d’observations',
  RejetLettreObservations: 'Rejet de la lettre d’observations',
  ReponseLettreObservations: 'Réponse à la lettre d’observations',
  DefereTA: 'Déféré au tribunal administratif',
};

const MESSAGE_STATUS_LABELS: Record<string, string> = {
  a_envoyer: 'À envoyer',
  envoye: 'Envoyé',
  refuse: 'Refusé à l’envoi',
  erreur: 'Erreur d’envoi',
  acquitte: 'Accusé de réception reçu',
  recu: 'Reçu',
  repondu: 'Répondu',
  traite: 'Traité',
};

/** States in which the acte moves by itself (parapheur circuit, sending, préfecture's answer): the page follows them. */
const MOVING_STATES = new Set(['a_signer', 'signe', 'transmission_en_cours', 'transmis', 'annulation_en_cours', 'annulation_transmise']);
const REFRESH_MS = 3000;

/** The acte's dates are calendar days (AAAA-MM-JJ): shown as a day, never with a made-up time. */
function formatDay(d: string | null): string {
  if (!d) return '—';
  return /^\d{4}-\d{2}-\d{2}$/.test(d) ? formatDate(`${d}T12:00:00Z`) : formatDateTime(d);
}

/** Télétransmission ACTES: the actes of the collectivité and their states. */
export function ActesListPage({ cid }: { cid: string }) {
  const { search } = useLocation();
  const month = search.get('mois');
  const { session } = useSession();
  const all = useResource<{ items: DossierSummary[]; nextCursor: string | null }>(month ? null : `/api/collectivites/${cid}/dossiers?type=actes`);
  const sent = useResource<{ actes: (DossierSummary & { sentAt: string })[] }>(month ? `/api/collectivites/${cid}/envois?mois=${encodeURIComponent(month)}` : null);
  const list = month ? { data: sent.data ? { items: sent.data.actes } : null, error: sent.error } : all;
  return (
    <>
      <PageTitle title={month ? `Actes transmis en ${formatMonthKey(month)}` : 'Télétransmission des actes'} breadcrumb={month ? [{ label: 'Actes', href: `/c/${cid}/actes` }] : undefined} />
      <ErrorAlert message={list.error} />
      {!month && can.write(roleIn(session, cid)) && <p><Link className="fr-btn fr-btn--icon-left fr-icon-add-line" href={`/c/${cid}/dossiers/nouveau?type=actes`}>Nouvel acte</Link></p>}
      {month && <p><Link className="fr-link" href={`/c/${cid}/actes`}>Voir tous les actes</Link></p>}
      {!list.data ? (
        <Loading what="Chargement des actes" />
      ) : list.data.items.length === 0 ? (
        <p>{month ? 'Aucun acte transmis ce mois-là.' : 'Aucun acte pour le moment.'}</p>
      ) : (
        <Table
          className="paraphe-table"
          caption="Actes soumis au contrôle de légalité"
          noCaption
          headers={['Objet', 'État', 'Code S²LOW', month ? 'Transmis le' : 'Mis à jour']}
          data={list.data.items.map((d) => [
            <Link key="l" href={`/c/${cid}/actes/${d.id}`}>{d.title}</Link>,
            <StateBadge key="s" state={d.state} label={d.stateLabel} final={d.final} />,
            d.s2lowCode === null ? '—' : String(d.s2lowCode),
            formatDateTime('sentAt' in d ? (d as { sentAt: string }).sentAt : d.updatedAt),
          ])}
        />
      )}
    </>
  );
}

/** An acte: its transmission dates, the préfecture's messages, the stamped PDF and the AR. */
export function ActePage({ cid, id }: { cid: string; id: string }) {
  const base = `/api/collectivites/${cid}/actes/${id}`;
  const res = useResource<ActeView>(base);
  const { search } = useLocation();
  const breadcrumb = [{ label: 'Actes', href: `/c/${cid}/actes` }];
  const moving = res.data ? MOVING_STATES.has(res.data.dossier.state) : false;
  const { reload } = res;
  useEffect(() => {
    if (!moving) return;
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [moving, reload]);
  if (res.error && !res.data) return <><PageTitle title="Acte" breadcrumb={breadcrumb} /><ErrorAlert message={res.error} /></>;
  if (!res.data) return <Loading what="Chargement de l’acte" />;
  const a = res.data;
  const d = a.dossier;
  const received = Boolean(a.dateReception);
  const sig = a.signature;
  const canSubmit = d.actions.some((x) => x.name === 'soumettre_signature');
  return (
    <>
      <PageTitle title={d.title} breadcrumb={breadcrumb} />
      {search.get('cree') === '1' && d.state === 'brouillon' && <Alert className="fr-mb-2w" severity="success" small description="L’acte a été créé. Soumettez-le à la signature ou transmettez-le s’il est déjà signé." />}
      <p className="paraphe-dossier-meta" aria-live="polite">
        <span data-testid="acte-state"><StateBadge state={d.state} label={d.stateLabel} final={d.final} /></span>
        {d.s2lowCode !== null && <span className="fr-text--sm fr-mb-0">Code S²LOW {d.s2lowCode}</span>}
        {moving && <span className="fr-text--sm fr-mb-0">Cette page se met à jour toute seule.</span>}
        <Button priority="tertiary" size="small" iconId="fr-icon-refresh-line" onClick={reload} disabled={res.loading}>Actualiser</Button>
      </p>
      <dl className="paraphe-dl fr-mb-3w">
        <div><dt>Identifiant de l’acte</dt><dd>{a.idActe}</dd></div>
        <div><dt>Envoyé le</dt><dd>{formatDay(a.dateEnvoi)}</dd></div>
        <div><dt>Reçu en préfecture le</dt><dd>{formatDay(a.dateReception)}</dd></div>
        <div><dt>Publié le</dt><dd>{formatDay(a.datePublication)}</dd></div>
      </dl>
      <ul className="fr-mb-3w">
        {a.dateEnvoi && (
          <li>
            <a className="fr-link fr-icon-download-line fr-link--icon-left" href={`${base}/acte-tamponne`} download>Télécharger l’acte tamponné (PDF)</a>
          </li>
        )}
        {received && (
          <li>
            <a className="fr-link fr-icon-download-line fr-link--icon-left" href={`${base}/ar`} download>Télécharger l’accusé de réception de la préfecture</a>
          </li>
        )}
        <li>
          <Link className="fr-link" href={`/c/${cid}/dossiers/${id}`}>Voir le dossier complet (documents, historique, actions)</Link>
        </li>
      </ul>
      {sig && <CircuitSection cid={cid} sig={sig} refused={d.state === 'signature_refusee'} what="l’acte" destination="en préfecture" />}
      {canSubmit && <div className="paraphe-card fr-p-3w fr-mb-3w"><SoumettreSignatureForm cid={cid} url={`${base}/soumettre-signature`} format="pades" destination="en préfecture" onDone={res.reload} /></div>}
      <h2 className="fr-h5">Messages avec la préfecture</h2>
      {a.messages.length === 0 ? (
        <p>Aucun message échangé pour le moment.</p>
      ) : (
        <Table
          className="paraphe-table"
          caption="Messages avec la préfecture"
          noCaption
          headers={['Date', 'Sens', 'Message', 'Code', 'Statut', 'Réponses possibles']}
          data={a.messages.map((m) => [
            formatDateTime(m.dateCourrierPref ?? m.createdAt),
            m.direction === 'entrant' ? 'Reçu de la préfecture' : 'Envoyé à la préfecture',
            MESSAGE_LABELS[m.kind] ?? m.kind,
            m.code ?? '—',
            MESSAGE_STATUS_LABELS[m.status] ?? m.status,
            m.reponsesPossibles.map((r) => MESSAGE_LABELS[r] ?? r).join(', ') || '—',
          ])}
        />
      )}
    </>
  );
}
