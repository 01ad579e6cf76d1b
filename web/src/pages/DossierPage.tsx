import { useEffect, useState } from 'react';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { api, errorMessage, uploadFile } from '../api';
import { useDossierTypes, useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { Link, useLocation } from '../router';
import { formatDateTime, formatSize } from '../format';
import { journalActionLabel } from '../labels';
import { ErrorAlert, Loading, PageTitle, StateBadge } from '../components/common';
import { PdfViewer } from '../components/PdfViewer';
import { DropZone } from '../components/DropZone';
import type { Dossier, DocumentView, JournalEntry } from '../types';

const POLL_MS = 1000;
const POLL_MAX = 120;

export function DossierPage({ cid, id }: { cid: string; id: string }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const { search } = useLocation();
  const types = useDossierTypes();
  const base = `/api/collectivites/${cid}/dossiers/${id}`;
  const dossier = useResource<Dossier>(base);
  const history = useResource<{ items: JournalEntry[] }>(`${base}/history`);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(search.get('cree') ? 'Le dossier a été créé.' : null);
  const [annexes, setAnnexes] = useState<File[]>([]);
  const [polls, setPolls] = useState(0);

  const d = dossier.data;
  const def = types?.find((t) => t.type === d?.type);
  // A background step (e.g. the GED deposit) runs after the action: follow it until it settles.
  const waiting = Boolean(d && !d.final && d.actions.length === 0 && /en_cours/.test(d.state));
  const { reload: reloadDossier } = dossier;
  const { reload: reloadHistory } = history;
  useEffect(() => {
    if (!waiting || polls >= POLL_MAX) return;
    const t = setTimeout(() => {
      setPolls((n) => n + 1);
      reloadDossier();
      reloadHistory();
    }, POLL_MS);
    return () => clearTimeout(t);
  }, [waiting, polls, reloadDossier, reloadHistory]);

  if (dossier.error && !d) return <><PageTitle title="Dossier" breadcrumb={[{ label: 'Dossiers', href: `/c/${cid}/dossiers` }]} /><ErrorAlert message={dossier.error} /></>;
  if (!d) return <Loading what="Chargement du dossier" />;

  const principal = d.documents.find((x) => x.role === 'principal');
  const others = d.documents.filter((x) => x !== principal);
  const contentUrl = (doc: DocumentView) => `/api/collectivites/${cid}/documents/${doc.id}/content`;
  const schemaProps = def?.metadataSchema.properties ?? {};
  const stateLabels = Object.fromEntries(Object.entries(def?.states ?? {}).map(([k, st]) => [k, st.label]));
  const actionLabels = Object.fromEntries(Object.entries(def?.actions ?? {}).map(([k, a]) => [k, a.label]));

  const run = async (name: string, label: string) => {
    setError(null);
    setNotice(null);
    setBusy(name);
    try {
      await api<Dossier>('POST', `${base}/actions/${encodeURIComponent(name)}`, comment.trim() ? { comment: comment.trim() } : {});
      setComment('');
      setNotice(`Action « ${label} » effectuée.`);
      setPolls(0);
      dossier.reload();
      history.reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  const addAnnexes = async () => {
    setError(null);
    setBusy('upload');
    try {
      for (const f of annexes) await uploadFile(`${base}/documents?role=${principal ? 'annexe' : 'principal'}`, f, () => undefined);
      setAnnexes([]);
      setNotice('Documents déposés.');
      dossier.reload();
      history.reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <PageTitle title={d.title} breadcrumb={[{ label: 'Dossiers', href: `/c/${cid}/dossiers` }]} />
      <p className="paraphe-dossier-meta">
        <span>{d.typeLabel}</span>
        <span data-testid="dossier-state"><StateBadge state={d.state} label={d.stateLabel} final={d.final} /></span>
        <span className="fr-text--sm fr-mb-0">Créé le {formatDateTime(d.createdAt)} · modifié le {formatDateTime(d.updatedAt)}</span>
      </p>
      {(d.type === 'document-a-signer' || d.type === 'pes-a-signer') && (
        <p><Link className="fr-link fr-icon-arrow-right-line fr-link--icon-right" href={`/c/${cid}/parapheur/dossiers/${d.id}`}>Ouvrir dans le parapheur (circuit, visa, signature)</Link></p>
      )}
      {d.type === 'actes' && (
        <p><Link className="fr-link fr-icon-arrow-right-line fr-link--icon-right" href={`/c/${cid}/actes/${d.id}`}>Suivi de la télétransmission (messages de la préfecture, acte tamponné)</Link></p>
      )}
      {notice && <Alert className="fr-mb-3w" severity="success" small description={notice} closable onClose={() => setNotice(null)} />}
      <ErrorAlert message={error} title="Action impossible" />
      {waiting && <Alert className="fr-mb-3w" severity="info" small description={`${d.stateLabel} : la page se met à jour automatiquement.`} />}
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-lg-8">
          <h2 className="fr-h5">Document principal</h2>
          {principal ? (
            principal.mediaType === 'application/pdf' ? (
              <PdfViewer url={contentUrl(principal)} filename={principal.filename} />
            ) : principal.mediaType.startsWith('image/') ? (
              <img className="paraphe-image" src={contentUrl(principal)} alt={`Document principal : ${principal.filename}`} />
            ) : (
              <p>Ce document ({principal.mediaType}) n’a pas d’aperçu : téléchargez-le.</p>
            )
          ) : (
            <p>Aucun document principal pour le moment.</p>
          )}
        </div>
        <div className="fr-col-12 fr-col-lg-4">
          <section className="paraphe-card fr-p-3w fr-mb-3w" aria-labelledby="actions-title">
            <h2 id="actions-title" className="fr-h5">Actions</h2>
            {d.actions.length === 0 ? (
              <p className="fr-mb-0">{d.final ? 'Ce dossier est terminé.' : 'Aucune action possible pour vous dans cet état.'}</p>
            ) : (
              <>
                <Input label="Commentaire (facultatif)" textArea nativeTextAreaProps={{ value: comment, maxLength: 2000, rows: 2, onChange: (e) => setComment(e.target.value) }} />
                <ul className="fr-btns-group fr-btns-group--sm">
                  {d.actions.map((a) => (
                    <li key={a.name}>
                      <Button priority={/abandon|rejet/.test(a.name) ? 'secondary' : 'primary'} disabled={busy !== null} onClick={() => void run(a.name, a.label)}>
                        {busy === a.name ? `${a.label}…` : a.label}
                      </Button>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
          <section className="fr-mb-3w" aria-labelledby="meta-title">
            <h2 id="meta-title" className="fr-h5">Informations</h2>
            <dl className="paraphe-dl">
              {Object.entries(d.metadata).map(([k, v]) => (
                <div key={k}>
                  <dt>{schemaProps[k]?.description ?? schemaProps[k]?.title ?? k}</dt>
                  <dd>{Array.isArray(v) ? (v.length ? v.join(', ') : '—') : typeof v === 'boolean' ? (v ? 'Oui' : 'Non') : String(v ?? '—')}</dd>
                </div>
              ))}
            </dl>
          </section>
        </div>
      </div>
      <h2 className="fr-h5 fr-mt-4w">Documents</h2>
      {d.documents.length === 0 ? (
        <p>Aucun document.</p>
      ) : (
        <Table
          className="paraphe-table"
          caption="Documents du dossier"
          noCaption
          headers={['Fichier', 'Rôle', 'Type', 'Taille', 'Déposé le', 'Téléchargement']}
          data={[principal, ...others].filter((x): x is DocumentView => Boolean(x)).map((doc) => [
            doc.filename,
            doc.role === 'principal' ? 'Document principal' : 'Annexe',
            doc.mediaType,
            formatSize(doc.size),
            formatDateTime(doc.createdAt),
            <a key="dl" className="fr-link fr-icon-download-line fr-link--icon-left" href={contentUrl(doc)} download={doc.filename}>
              Télécharger<span className="fr-sr-only"> {doc.filename}</span>
            </a>,
          ])}
        />
      )}
      {can.write(role) && !d.final && (
        <div className="fr-mt-2w">
          <DropZone label={principal ? 'Ajouter des annexes' : 'Ajouter le document principal'} hint={principal ? 'Plusieurs fichiers possibles.' : 'PDF, XML, PNG ou JPEG.'} multiple={Boolean(principal)} files={annexes} onFiles={setAnnexes} />
          {annexes.length > 0 && (
            <Button className="fr-mt-2w" priority="secondary" disabled={busy !== null} onClick={() => void addAnnexes()}>
              Déposer
            </Button>
          )}
        </div>
      )}
      <h2 className="fr-h5 fr-mt-4w">Historique</h2>
      <ErrorAlert message={history.error} />
      {history.data && (
        <Table
          className="paraphe-table"
          caption="Historique du dossier"
          noCaption
          headers={['Date', 'Événement', 'Par', 'Détails']}
          data={history.data.items.map((h) => [formatDateTime(h.at), journalActionLabel(h.action, actionLabels), h.actor, detailsText(h.details, stateLabels)])}
        />
      )}
    </>
  );
}

/** Journal details in French: known fields named and formatted, internal ones (ids, job names) left out. */
function detailsText(details: Record<string, unknown>, stateLabels: Record<string, string>): string {
  const parts: string[] = [];
  const names: Record<string, string> = { from: 'de', to: 'vers', comment: 'commentaire', filename: 'fichier', reference: 'référence', attempt: 'tentative', attempts: 'tentatives', error: 'erreur', title: 'titre', state: 'état', size: 'taille', mediaType: 'format' };
  const hidden = new Set(['type', 'documentId', 'job', 'repeated', 'label', 'sha256']);
  for (const [k, v] of Object.entries(details)) {
    if (v === null || v === undefined || typeof v === 'object' || hidden.has(k)) continue;
    let text = String(v);
    if (k === 'from' || k === 'to' || k === 'state') text = stateLabels[text] ?? text;
    else if (k === 'role') text = v === 'principal' ? 'document principal' : 'annexe';
    else if (k === 'size' && typeof v === 'number') text = formatSize(v);
    parts.push(k === 'role' ? text : `${names[k] ?? k} : ${text}`);
  }
  return parts.join(' · ') || '—';
}
