import { useEffect, useState } from 'react';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { api, ApiError, errorMessage, uploadFile } from '../api';
import { useDossierTypes, useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { Link, navigate, useLocation } from '../router';
import { formatDateTime, formatEuros, formatMonthKey, formatNumber } from '../format';
import { ErrorAlert, Loading, PageTitle, StateBadge } from '../components/common';
import { DropZone } from '../components/DropZone';
import type { Dossier, DossierSummary } from '../types';
import { CircuitSection, type CircuitSignature } from '../parapheur/CircuitSection';
import { SoumettreSignatureForm } from '../parapheur/SoumettreSignatureForm';

interface AcquitErreur { code: string | null; libelle: string | null }
interface AcquitElement {
  domaine: string | null;
  accepte: boolean;
  bordereau: string | null;
  exercice: string | null;
  pj: string | null;
  erreurs: AcquitErreur[];
  pieces: { piece: string | null; erreurs: AcquitErreur[]; lignes: { ligne: string | null; erreurs: AcquitErreur[] }[] }[];
}
interface HeliosView {
  nomFic: string;
  idColl: string;
  schemaVersion: string;
  fichierEnvoye: string | null;
  dateEnvoi: string | null;
  acquit: { statut: 'OK' | 'KO'; nombreErreurs: number; elements: AcquitElement[] } | null;
  signature: CircuitSignature | null;
  retours: Retour[];
  dossier: Dossier;
}
interface VueTiers { nom?: string; identifiant?: string }
interface VuePiece { numero?: string; objet?: string; montantHT: string; montantTVA: string; lignes: { tiers: VueTiers[] }[]; pjReferencees: { idUnique?: string; nom?: string }[] }
interface VueBordereau {
  type: 'mandat' | 'titre';
  numero?: string;
  exercice?: string;
  dateEmission?: string;
  typeBordereauLibelle?: string;
  typeBordereau?: string;
  nombrePieces: number;
  nombreLignes: number;
  montantHT?: string;
  montantTVA?: string;
  totalLignesHT: string;
  signe: boolean;
  pieces: VuePiece[];
  piecesNonDetaillees: number;
}
interface VuePj { position: number; idUnique?: string; nom?: string; typePJLibelle?: string; typePJ?: string; mimeType?: string; tailleCompressee: number; signee: boolean }
interface PesVue {
  fichier: { nomFic?: string; typFic?: string; versionPes?: string; encodage: string; tailleOctets: number; emetteur?: string };
  collectivite: { idPost?: string; idColl?: string; codCol?: string; codBud?: string; libelleColBud?: string; dateGeneration?: string };
  bordereaux: VueBordereau[];
  pjs: VuePj[];
  signatureGlobale: boolean;
  totaux: { bordereaux: number; pieces: number; lignes: number; pjs: number; mandatsHT: string; titresHT: string };
}
interface Retour { cle: string; fichier: string; nomFic: string | null; recuLe: string; resume: string[]; flux: { dossierId: string; nomFic: string; bordereaux: number }[] }
type Sent = DossierSummary & { sentAt: string };

const H = (cid: string) => `/api/collectivites/${cid}`;

/** States a flow leaves without the user: the parapheur circuit, the sending job, Hélios' acquittement. */
const MOVING_STATES = new Set(['a_signer', 'transmission_en_cours', 'transmis']);
const REFRESH_MS = 3000;

/** Calls `reload` every few seconds while `moving`, and stops as soon as it is not. */
function useRefreshWhile(moving: boolean, reload: () => void): void {
  useEffect(() => {
    if (!moving) return;
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [moving, reload]);
}

function FlowTable({ cid, items, caption, sent }: { cid: string; items: (DossierSummary | Sent)[]; caption: string; sent?: boolean }) {
  return (
    <Table
      className="paraphe-table"
      caption={caption}
      noCaption
      headers={['Flux PES', 'État', 'Code S²LOW', sent ? 'Transmis le' : 'Mis à jour']}
      data={items.map((d) => [
        <Link key="l" href={`/c/${cid}/helios/${d.id}`}>{d.title}</Link>,
        <StateBadge key="s" state={d.state} label={d.stateLabel} final={d.final} />,
        d.s2lowCode === null ? '—' : String(d.s2lowCode),
        formatDateTime('sentAt' in d ? d.sentAt : d.updatedAt),
      ])}
    />
  );
}

/** Télétransmission HELIOS: the PES flows of the collectivité, a deposit form, the PES_Retour received. */
export function HeliosListPage({ cid }: { cid: string }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const { search } = useLocation();
  const month = search.get('mois');
  const state = search.get('etat') ?? '';
  const types = useDossierTypes();
  const def = types?.find((t) => t.type === 'helios');
  const qs = new URLSearchParams({ type: 'helios', limit: '200' });
  if (state) qs.set('state', state);
  const list = useResource<{ items: DossierSummary[]; nextCursor: string | null }>(month ? null : `${H(cid)}/dossiers?${qs}`);
  const sent = useResource<{ mois: string; pes: Sent[] }>(month ? `${H(cid)}/envois?mois=${encodeURIComponent(month)}` : null);
  const retours = useResource<Retour[]>(`${H(cid)}/helios-retours`);
  // Flows in progress are followed on screen (their acquittement, then the trésorerie's PES_Retour, arrive on their own).
  const shown: DossierSummary[] = month ? (sent.data?.pes ?? []) : (list.data?.items ?? []);
  const { reload: reloadList } = list;
  const { reload: reloadSent } = sent;
  const { reload: reloadRetours } = retours;
  const moving = shown.some((d) => MOVING_STATES.has(d.state));
  useRefreshWhile(moving, month ? reloadSent : reloadList);
  useRefreshWhile(moving, reloadRetours);

  return (
    <>
      <PageTitle title={month ? `Flux PES transmis en ${formatMonthKey(month)}` : 'Télétransmission HELIOS'} breadcrumb={month ? [{ label: 'HELIOS', href: `/c/${cid}/helios` }] : undefined} />
      {month ? (
        <>
          <ErrorAlert message={sent.error} />
          {!sent.data ? <Loading what="Chargement des flux" /> : sent.data.pes.length === 0 ? <p>Aucun flux PES transmis ce mois-là.</p> : <FlowTable cid={cid} items={sent.data.pes} caption={`Flux PES transmis en ${formatMonthKey(month)}`} sent />}
          <p><Link className="fr-link" href={`/c/${cid}/helios`}>Voir tous les flux PES</Link></p>
        </>
      ) : (
        <>
          {can.write(role) && <DepositForm cid={cid} />}
          <h2 className="fr-h4 fr-mt-4w">Flux PES_Aller</h2>
          <form
            className="paraphe-filters fr-mb-2w"
            aria-label="Filtrer les flux PES"
            onSubmit={(e) => {
              e.preventDefault();
              const v = new FormData(e.currentTarget).get('etat');
              navigate(`/c/${cid}/helios${v ? `?etat=${encodeURIComponent(String(v))}` : ''}`);
            }}
          >
            <Select label="État" nativeSelectProps={{ name: 'etat', defaultValue: state }}>
              <option value="">Tous les états</option>
              {Object.entries(def?.states ?? {}).map(([k, s]) => (
                <option key={k} value={k}>{`${s.label}${s.s2lowCode !== null ? ` (code ${s.s2lowCode})` : ''}`}</option>
              ))}
            </Select>
            <div className="paraphe-filters__buttons"><Button type="submit" priority="secondary">Filtrer</Button></div>
          </form>
          <ErrorAlert message={list.error} />
          {!list.data ? <Loading what="Chargement des flux" /> : list.data.items.length === 0 ? <p>Aucun flux PES pour le moment.</p> : <FlowTable cid={cid} items={list.data.items} caption="Flux PES_Aller de la collectivité" />}
        </>
      )}
      <h2 className="fr-h4 fr-mt-4w">PES_Retour reçus de la trésorerie</h2>
      <ErrorAlert message={retours.error} />
      {!retours.data ? (
        <Loading what="Chargement des PES_Retour" />
      ) : retours.data.length === 0 ? (
        <p>Aucun PES_Retour reçu pour le moment.</p>
      ) : (
        <RetourTable cid={cid} retours={retours.data} caption="PES_Retour reçus" />
      )}
    </>
  );
}

/** PES_Retour with their summary, the flux (PES_Aller) each answers, and the file. */
function RetourTable({ cid, retours, caption, withFlux = true }: { cid: string; retours: Retour[]; caption: string; withFlux?: boolean }) {
  return (
    <Table
      className="paraphe-table"
      caption={caption}
      noCaption
      headers={['Fichier', 'Nom du PES_Retour', ...(withFlux ? ['Flux PES_Aller concerné'] : []), 'Résumé', 'Reçu le', 'Téléchargement']}
      data={retours.map((r) => [
        r.fichier,
        r.nomFic ?? '—',
        ...(withFlux
          ? [
              r.flux.length === 0 ? (
                'Non rapproché'
              ) : (
                <ul key="f" className="fr-mb-0">
                  {r.flux.map((f) => (
                    <li key={f.dossierId}>
                      <Link href={`/c/${cid}/helios/${f.dossierId}`}>{`Flux ${f.nomFic}`}</Link>
                      {` (${f.bordereaux} bordereau${f.bordereaux > 1 ? 'x' : ''})`}
                    </li>
                  ))}
                </ul>
              ),
            ]
          : []),
        r.resume.length === 0 ? '—' : <ul key="r" className="fr-mb-0">{r.resume.map((l, i) => <li key={i}>{l}</li>)}</ul>,
        formatDateTime(r.recuLe),
        <a key="d" className="fr-link fr-icon-download-line fr-link--icon-left" href={`${H(cid)}/helios-retours/${encodeURIComponent(r.cle)}`} download={r.fichier}>
          Télécharger<span className="fr-sr-only"> {r.fichier}</span>
        </a>,
      ])}
    />
  );
}

interface DepositError { emplacement: string; message: string }

function DepositForm({ cid }: { cid: string }) {
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<{ message: string; erreurs: DepositError[] } | null>(null);
  const submit = async () => {
    setError(null);
    const f = files[0];
    if (!f) return setError({ message: 'Choisissez d’abord le fichier PES_Aller à déposer.', erreurs: [] });
    setProgress(0);
    try {
      const v = await uploadFile<HeliosView>(`${H(cid)}/helios`, f, setProgress);
      navigate(`/c/${cid}/helios/${v.dossier.id}`);
    } catch (e) {
      const details = e instanceof ApiError ? (e.details as { erreurs?: DepositError[] } | null) : null;
      setError({ message: errorMessage(e), erreurs: details?.erreurs ?? [] });
      setProgress(null);
    }
  };
  return (
    <form
      className="paraphe-card fr-p-3w paraphe-form"
      aria-labelledby="depot-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="depot-title" className="fr-h5">Déposer un flux PES_Aller</h2>
      <p className="fr-text--sm">Le fichier est contrôlé au dépôt (schéma XSD et règles Hélios). Un flux valide peut ensuite être signé puis transmis à la trésorerie.</p>
      {error && (
        <Alert
          className="fr-mb-3w"
          severity="error"
          title="Fichier refusé"
          role="alert"
          description={
            <>
              {error.message}
              {error.erreurs.length > 0 && (
                <ul className="fr-mt-1w">
                  {error.erreurs.slice(0, 20).map((x, i) => (
                    <li key={i}>{`${x.emplacement} : ${x.message}`}</li>
                  ))}
                </ul>
              )}
            </>
          }
        />
      )}
      <DropZone label="Fichier PES_Aller (XML)" hint="Un seul fichier XML." multiple={false} files={files} onFiles={setFiles} accept=".xml,application/xml,text/xml" />
      {progress !== null && (
        <p className="fr-text--sm">
          <label htmlFor="depot-progress">Envoi du fichier : </label>
          <progress id="depot-progress" max={1} value={progress}>{`${Math.round(progress * 100)} %`}</progress>
        </p>
      )}
      <Button type="submit" disabled={progress !== null}>Déposer le flux</Button>
    </form>
  );
}

const erreursText = (errs: AcquitErreur[]) => errs.map((e) => [e.code && `code ${e.code}`, e.libelle].filter(Boolean).join(' — ')).join(' ; ');

/** One PES flow: its state (S²LOW code), the readable PES, its acquittement, its files. */
export function HeliosFlowPage({ cid, id }: { cid: string; id: string }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const base = `${H(cid)}/helios/${id}`;
  const res = useResource<HeliosView>(base);
  const vue = useResource<PesVue>(`${base}/vue`);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const breadcrumb = [{ label: 'HELIOS', href: `/c/${cid}/helios` }];
  // Followed while it moves on its own (circuit, sending, acquittement); the readable view again once signed.
  const state = res.data?.dossier.state;
  const { reload } = res;
  const { reload: reloadVue } = vue;
  useRefreshWhile(state !== undefined && MOVING_STATES.has(state), reload);
  useEffect(() => {
    if (state === 'signe' || state === 'transmission_en_cours') reloadVue();
  }, [state, reloadVue]);
  if (res.error && !res.data) return <><PageTitle title="Flux PES" breadcrumb={breadcrumb} /><ErrorAlert message={res.error} /></>;
  if (!res.data) return <Loading what="Chargement du flux PES" />;
  const h = res.data;
  const d = h.dossier;
  // soumettre_signature needs the parapheur choices: its own form below, not a plain button.
  const canSubmit = d.actions.some((x) => x.name === 'soumettre_signature');
  const buttons = d.actions.filter((x) => x.name !== 'soumettre_signature');
  const run = async (name: string, label: string) => {
    setBusy(name);
    setError(null);
    setNotice(null);
    try {
      await api('POST', `${H(cid)}/dossiers/${id}/actions/${encodeURIComponent(name)}`, {});
      setNotice(`Action « ${label} » effectuée.`);
      res.reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      <PageTitle title={d.title} breadcrumb={breadcrumb} />
      <p className="paraphe-dossier-meta" aria-live="polite">
        <span data-testid="helios-state"><StateBadge state={d.state} label={d.stateLabel} final={d.final} /></span>
        {d.s2lowCode !== null && <span className="fr-text--sm fr-mb-0">Code S²LOW {d.s2lowCode}</span>}
      </p>
      {notice && <Alert className="fr-mb-3w" severity="success" small description={notice} closable onClose={() => setNotice(null)} />}
      <ErrorAlert message={error} title="Action impossible" />
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-lg-7">
          <dl className="paraphe-dl fr-mb-3w">
            <div><dt>Nom du flux (NomFic)</dt><dd>{h.nomFic}</dd></div>
            <div><dt>SIRET de la collectivité</dt><dd>{h.idColl}</dd></div>
            <div><dt>Version du schéma PES</dt><dd>{h.schemaVersion}</dd></div>
            <div><dt>Signé (chaque bordereau, ou signature globale)</dt><dd>{d.metadata.signe === true ? 'Oui' : 'Non'}</dd></div>
            <div><dt>Fichier envoyé</dt><dd>{h.fichierEnvoye ?? '—'}</dd></div>
            <div><dt>Transmis le</dt><dd>{formatDateTime(h.dateEnvoi)}</dd></div>
          </dl>
        </div>
        <div className="fr-col-12 fr-col-lg-5">
          <section className="paraphe-card fr-p-3w fr-mb-3w" aria-labelledby="fichiers-title">
            <h2 id="fichiers-title" className="fr-h5">Fichiers</h2>
            <ul>
              {d.documents.map((doc) => (
                <li key={doc.id}>
                  <a className="fr-link fr-icon-download-line fr-link--icon-left" href={`${H(cid)}/documents/${doc.id}/content`} download={doc.filename}>
                    Télécharger {doc.role === 'principal' ? 'le fichier PES' : doc.role === 'signed' ? 'le PES signé' : 'le document'} « {doc.filename} »
                  </a>
                </li>
              ))}
            </ul>
            {can.write(role) && buttons.length > 0 && (
              <>
                <h2 className="fr-h6 fr-mt-2w">Actions</h2>
                <ul className="fr-btns-group fr-btns-group--sm">
                  {buttons.map((a) => (
                    <li key={a.name}>
                      <Button priority={a.name === 'abandonner' ? 'secondary' : 'primary'} disabled={busy !== null} onClick={() => void run(a.name, a.label)}>{a.label}</Button>
                    </li>
                  ))}
                </ul>
              </>
            )}
            <p className="fr-mt-2w fr-mb-0"><Link className="fr-link" href={`/c/${cid}/dossiers/${id}`}>Voir le dossier complet (historique)</Link></p>
          </section>
        </div>
      </div>
      {h.signature && <CircuitSection cid={cid} sig={h.signature} refused={d.state === 'signature_refusee'} what="le flux PES" destination="à la trésorerie" />}
      {canSubmit && can.write(role) && <div className="paraphe-card fr-p-3w fr-mb-3w"><SoumettreSignatureForm cid={cid} url={`${base}/soumettre-signature`} format="xades" destination="à la trésorerie" onDone={res.reload} /></div>}
      <Acquittement acquit={h.acquit} />
      <section aria-labelledby="retours-title" className="fr-mt-4w">
        <h2 id="retours-title" className="fr-h4">Retours de la trésorerie</h2>
        {h.retours.length === 0 ? (
          <p>{h.acquit?.statut === 'OK' ? 'Aucun PES_Retour pour ce flux pour le moment : la trésorerie l’envoie après la prise en charge des bordereaux.' : 'Aucun PES_Retour pour ce flux.'}</p>
        ) : (
          <RetourTable cid={cid} retours={h.retours} caption="PES_Retour de la trésorerie pour ce flux" withFlux={false} />
        )}
      </section>
      <h2 className="fr-h4 fr-mt-4w">Contenu du flux</h2>
      <ErrorAlert message={vue.error} />
      {!vue.data ? <Loading what="Lecture du fichier PES" /> : <PesReadable v={vue.data} />}
    </>
  );
}

function Acquittement({ acquit }: { acquit: HeliosView['acquit'] }) {
  return (
    <section aria-labelledby="acquit-title" className="fr-mt-2w">
      <h2 id="acquit-title" className="fr-h4">Acquittement de la trésorerie</h2>
      {!acquit ? (
        <p>Pas encore d’acquittement : il arrive après la transmission, la page le montrera dès sa réception.</p>
      ) : (
        <>
          <Alert
            className="fr-mb-3w"
            severity={acquit.statut === 'OK' ? 'success' : 'error'}
            small
            description={acquit.statut === 'OK' ? 'Flux accepté par Hélios.' : `Flux refusé par Hélios : ${acquit.nombreErreurs} erreur${acquit.nombreErreurs > 1 ? 's' : ''}.`}
          />
          <Table
            className="paraphe-table"
            caption="Acquittement par domaine, bordereau et pièce"
            noCaption
            headers={['Domaine', 'Bordereau', 'Exercice', 'PJ', 'Résultat', 'Erreurs']}
            data={acquit.elements.map((e, i) => [
              e.domaine ?? '—',
              e.bordereau ?? '—',
              e.exercice ?? '—',
              e.pj ?? '—',
              <Badge key={`b${i}`} small severity={e.accepte ? 'success' : 'error'}>{e.accepte ? 'Accepté' : 'Rejeté'}</Badge>,
              <div key={`e${i}`}>
                {e.erreurs.length === 0 && e.pieces.every((p) => p.erreurs.length === 0 && p.lignes.every((l) => l.erreurs.length === 0)) ? '—' : null}
                {e.erreurs.length > 0 && <p className="fr-text--sm fr-mb-1v">{erreursText(e.erreurs)}</p>}
                {e.pieces.filter((p) => p.erreurs.length > 0 || p.lignes.some((l) => l.erreurs.length > 0)).map((p, j) => (
                  <p key={j} className="fr-text--sm fr-mb-1v">
                    {`Pièce n° ${p.piece ?? '?'} : ${erreursText(p.erreurs)}`}
                    {p.lignes.filter((l) => l.erreurs.length > 0).map((l) => ` — ligne ${l.ligne ?? '?'} : ${erreursText(l.erreurs)}`).join('')}
                  </p>
                ))}
              </div>,
            ])}
          />
        </>
      )}
    </section>
  );
}

function PesReadable({ v }: { v: PesVue }) {
  const c = v.collectivite;
  return (
    <>
      <dl className="paraphe-dl fr-mb-3w">
        <div><dt>Type de fichier</dt><dd>{v.fichier.typFic ?? '—'} (PES version {v.fichier.versionPes ?? '?'}, {v.fichier.encodage})</dd></div>
        <div><dt>Collectivité / budget</dt><dd>{[c.libelleColBud, c.codCol && `code collectivité ${c.codCol}`, c.codBud && `budget ${c.codBud}`].filter(Boolean).join(' — ') || '—'}</dd></div>
        <div><dt>Poste comptable</dt><dd>{c.idPost ?? '—'}</dd></div>
        <div><dt>Généré le</dt><dd>{c.dateGeneration ?? '—'}</dd></div>
        {v.signatureGlobale && <div><dt>Signature</dt><dd>Signature globale du fichier (PES_Aller)</dd></div>}
        <div><dt>Totaux</dt><dd data-testid="pes-totaux">{`${formatNumber(v.totaux.bordereaux)} bordereau(x), ${formatNumber(v.totaux.pieces)} pièce(s), ${formatNumber(v.totaux.pjs)} pièce(s) justificative(s)`}</dd></div>
        <div><dt>Total des mandats (HT)</dt><dd>{formatEuros(v.totaux.mandatsHT)}</dd></div>
        <div><dt>Total des titres (HT)</dt><dd>{formatEuros(v.totaux.titresHT)}</dd></div>
      </dl>
      {v.bordereaux.map((b, i) => {
        const title = `Bordereau de ${b.type === 'mandat' ? 'mandats' : 'titres'} n° ${b.numero ?? '?'} — exercice ${b.exercice ?? '?'}`;
        return (
          <section key={i} className="fr-mb-4w" aria-label={title}>
            <h3 className="fr-h5">{title}</h3>
            <p className="paraphe-dossier-meta">
              <span>{`Émis le ${b.dateEmission ?? '?'} · ${b.typeBordereauLibelle ?? b.typeBordereau ?? 'type non précisé'} · ${b.nombrePieces} pièce(s) · montant ${formatEuros(b.montantHT ?? b.totalLignesHT)} HT${b.montantTVA ? `, TVA ${formatEuros(b.montantTVA)}` : ''}`}</span>
              <Badge small severity={b.signe || v.signatureGlobale ? 'success' : 'warning'}>{b.signe ? 'Signé' : v.signatureGlobale ? 'Couvert par la signature globale' : 'Non signé'}</Badge>
            </p>
            {b.pieces.length > 0 && (
              <Table
                className="paraphe-table"
                caption={`Pièces du ${title.charAt(0).toLowerCase()}${title.slice(1)}`}
                noCaption
                headers={['Pièce', 'Objet', 'Tiers', 'Montant HT', 'TVA', 'PJ']}
                data={b.pieces.map((p) => [
                  p.numero ?? '—',
                  p.objet ?? '—',
                  [...new Set(p.lignes.flatMap((l) => l.tiers.map((t) => t.nom).filter(Boolean)))].join(', ') || '—',
                  formatEuros(p.montantHT),
                  formatEuros(p.montantTVA),
                  p.pjReferencees.map((r) => r.nom ?? r.idUnique).filter(Boolean).join(', ') || '—',
                ])}
              />
            )}
            {b.piecesNonDetaillees > 0 && <p className="fr-text--sm">{`… et ${b.piecesNonDetaillees} autre(s) pièce(s) non détaillée(s).`}</p>}
          </section>
        );
      })}
      {v.pjs.length > 0 && (
        <>
          <h3 className="fr-h5">Pièces justificatives</h3>
          <Table
            className="paraphe-table"
            caption="Pièces justificatives du flux"
            noCaption
            headers={['Nom', 'Identifiant unique', 'Type', 'Format', 'Taille compressée', 'Signée']}
            data={v.pjs.map((p) => [p.nom ?? '—', p.idUnique ?? '—', p.typePJLibelle ?? p.typePJ ?? '—', p.mimeType ?? '—', `${formatNumber(p.tailleCompressee)} octets`, p.signee ? 'Oui' : 'Non'])}
          />
        </>
      )}
    </>
  );
}
