import { useEffect, useState, type FormEvent } from 'react';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { api, errorMessage } from '../api';
import { useResource } from '../hooks';
import { useSession } from '../session';
import { Link, useLocation } from '../router';
import { formatDateTime } from '../format';
import { ErrorAlert, Loading, PageTitle, StateBadge } from '../components/common';
import { PdfViewer } from '../components/PdfViewer';
import { ACT_LABELS, P, STEP_KIND_LABELS, STEP_STATE_LABELS, type Bureau, type ParapheurDossier } from './types';

const POLL_MS = 2000;

type Form = 'rejeter' | 'annoter' | 'transferer' | 'demander_avis' | null;

export function ParapheurDossierPage({ cid, id }: { cid: string; id: string }) {
  const { session } = useSession();
  const { search } = useLocation();
  const base = `${P(cid)}/dossiers/${id}`;
  const res = useResource<ParapheurDossier>(base);
  const bureaux = useResource<{ items: Bureau[] }>(`${P(cid)}/bureaux`);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(search.get('cree') ? 'Le document à signer a été créé : vérifiez-le puis envoyez-le dans le circuit.' : null);
  const [form, setForm] = useState<Form>(null);
  const [text, setText] = useState('');
  const [visibility, setVisibility] = useState<'public' | 'private'>('public');
  const [toBureau, setToBureau] = useState('');
  const [comment, setComment] = useState('');
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const v = res.data;
  const d = v?.dossier;
  const can = (name: string) => Boolean(v?.parapheurActions.some((a) => a.name === name));
  // A signature by the signer's device, or the server seal: follow the dossier until it moves on.
  const waiting = Boolean(v && (can('signer') || d?.state === 'cachet_en_cours'));
  const { reload } = res;
  useEffect(() => {
    if (!waiting) return;
    const t = setInterval(reload, POLL_MS);
    return () => clearInterval(t);
  }, [waiting, reload]);

  if (res.error && !v) return <><PageTitle title="Dossier du parapheur" breadcrumb={[{ label: 'Mon parapheur', href: `/c/${cid}/parapheur` }]} /><ErrorAlert message={res.error} /></>;
  if (!v || !d) return <Loading what="Chargement du dossier" />;

  // the last signed version (PAdES); with CAdES the principal stays the document, the .p7s are beside it
  const principal = [...d.documents].reverse().find((x) => x.role === 'signed' && x.mediaType !== 'application/pkcs7-signature') ?? d.documents.find((x) => x.role === 'principal');
  const contentUrl = (docId: string) => `/api/collectivites/${cid}/documents/${docId}/content`;
  const otherBureaux = (bureaux.data?.items ?? []).filter((b) => !v.steps.some((s) => s.bureaux.some((x) => x.id === b.id && x.pending)));

  const post = async (key: string, path: string, body: unknown, done: string) => {
    setError(null);
    setNotice(null);
    setBusy(key);
    try {
      await api('POST', path, body);
      setNotice(done);
      setForm(null);
      setText('');
      setComment('');
      setToBureau('');
      res.reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  const submitForm = (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    if (form === 'rejeter') {
      if (!text.trim()) return setFormError('Le motif du rejet est obligatoire.');
      void post('rejeter', `${base}/rejeter`, { motif: text.trim() }, 'Le dossier a été rejeté.');
    } else if (form === 'annoter') {
      if (!text.trim()) return setFormError('Saisissez le texte de l’annotation.');
      void post('annoter', `${base}/annoter`, { text: text.trim(), visibility }, 'Annotation ajoutée.');
    } else if (form === 'transferer') {
      if (!toBureau) return setFormError('Choisissez le bureau destinataire.');
      void post('transferer', `${base}/transferer`, { toBureauId: toBureau, ...(comment.trim() ? { comment: comment.trim() } : {}) }, 'Le dossier a été transféré.');
    } else if (form === 'demander_avis') {
      if (!toBureau) return setFormError('Choisissez le bureau consulté.');
      if (!text.trim()) return setFormError('Saisissez votre question.');
      void post('demander_avis', `${base}/avis`, { toBureauId: toBureau, question: text.trim() }, 'La demande d’avis a été envoyée.');
    }
  };

  const openForm = (f: Form) => {
    setForm(f);
    setFormError(null);
    setText('');
  };

  const signCommand = [
    'paraphe sign-client',
    `--url ${window.location.origin}`,
    `--collectivite ${cid}`,
    `--dossier ${id}`,
    `--email ${session.user.email}`,
    '--p12 <votre-certificat.p12>',
  ].join(' \\\n  ');

  const formTitle: Record<string, string> = { rejeter: 'Rejeter le dossier', annoter: 'Annoter', transferer: 'Transférer à un autre bureau', demander_avis: 'Demander un avis' };

  return (
    <>
      <PageTitle title={d.title} breadcrumb={[{ label: 'Mon parapheur', href: `/c/${cid}/parapheur` }]} />
      <p className="paraphe-dossier-meta">
        <span>{d.typeLabel}</span>
        <span data-testid="dossier-state"><StateBadge state={d.state} label={d.stateLabel} final={d.final} /></span>
        {v.deadline && <span className="fr-text--sm fr-mb-0">Date limite : {formatDateTime(v.deadline)}</span>}
        <span className="fr-text--sm fr-mb-0">Modifié le {formatDateTime(d.updatedAt)}</span>
      </p>
      {v.origine && (
        <p className="fr-mb-2w">
          {v.origine.type === 'acte' ? 'Ce document est l’acte soumis à signature : ' : 'Ce document est le flux PES (Hélios) soumis à signature : '}
          <Link className="fr-link" href={`/c/${cid}/${v.origine.type === 'acte' ? 'actes' : 'helios'}/${v.origine.dossierId}`}>{v.origine.titre}</Link>
        </p>
      )}
      {notice && <Alert className="fr-mb-3w" severity="success" small description={notice} closable onClose={() => setNotice(null)} />}
      <ErrorAlert message={error} title="Action impossible" />
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-lg-7">
          <h2 className="fr-h5">Document</h2>
          {!principal ? <p>Aucun document principal.</p> : principal.mediaType === 'application/pdf' ? <PdfViewer url={contentUrl(principal.id)} filename={principal.filename} /> : <p>Aperçu indisponible pour ce type de fichier : téléchargez « {principal.filename} » ci-dessous.</p>}
          {d.documents.length > 0 && (
            <ul className="fr-mt-2w">
              {d.documents.map((doc) => (
                <li key={doc.id}>
                  <a className="fr-link fr-icon-download-line fr-link--icon-left" href={contentUrl(doc.id)} download={doc.filename}>
                    Télécharger {doc.filename}
                    <span className="fr-sr-only"> ({doc.mediaType === 'application/pkcs7-signature' ? 'signature détachée' : doc.role === 'signed' ? 'version signée' : doc.role === 'principal' ? 'document principal' : 'annexe'})</span>
                  </a>
                </li>
              ))}
              {v.acts.length > 0 && (
                <li>
                  <a className="fr-link fr-icon-download-line fr-link--icon-left" href={`${base}/bordereau`} download>
                    Télécharger le bordereau de signature
                  </a>
                </li>
              )}
            </ul>
          )}
          {(v.detachedSignatures ?? []).length > 0 && (
            <ul className="fr-mt-1w">
              {v.detachedSignatures.map((sig) => (
                <li key={sig.documentId} className="fr-text--sm">
                  {sig.filename} : {sig.valid ? 'signature valide' : `signature invalide (${sig.problems.join(' ; ')})`} — {sig.signer?.subject ?? 'signataire inconnu'}
                  {sig.signingTime ? `, le ${formatDateTime(sig.timestampTime ?? sig.signingTime)}` : ''} ({sig.level})
                  {sig.signers.length > 1 && ` — co-signature de ${sig.signers.length} signataires : ${sig.signers.map((x) => x.subject ?? 'inconnu').join(' ; ')}`}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="fr-col-12 fr-col-lg-5">
          <section className="paraphe-card fr-p-3w fr-mb-3w" aria-labelledby="actions-title">
            <h2 id="actions-title" className="fr-h5">Actions</h2>
            {v.parapheurActions.length === 0 && <p className="fr-mb-0">{d.final ? 'Ce dossier est terminé.' : 'Aucune action possible pour vous à cette étape.'}</p>}
            <ul className="fr-btns-group fr-btns-group--sm fr-btns-group--inline-md">
              {can('envoyer') && <li><Button disabled={busy !== null} onClick={() => void post('envoyer', `${base}/envoyer`, {}, 'Le dossier a été envoyé dans le circuit.')}>Envoyer dans le circuit</Button></li>}
              {can('viser') && <li><Button disabled={busy !== null} onClick={() => void post('viser', `${base}/viser`, comment.trim() ? { comment: comment.trim() } : {}, 'Le dossier a été visé.')}>Viser</Button></li>}
              {can('rejeter') && <li><Button priority="secondary" onClick={() => openForm('rejeter')}>Rejeter</Button></li>}
              {can('annoter') && <li><Button priority="secondary" onClick={() => openForm('annoter')}>Annoter</Button></li>}
              {can('transferer') && <li><Button priority="secondary" onClick={() => openForm('transferer')}>Transférer</Button></li>}
              {can('demander_avis') && <li><Button priority="secondary" onClick={() => openForm('demander_avis')}>Demander un avis</Button></li>}
              {can('reprendre') && <li><Button priority="tertiary" disabled={busy !== null} onClick={() => void post('reprendre', `${base}/reprendre`, {}, 'Le dossier est revenu en brouillon.')}>Reprendre</Button></li>}
              {can('relancer_cachet') && <li><Button priority="secondary" disabled={busy !== null} onClick={() => void post('relancer', `${base}/relancer-cachet`, {}, 'Le cachet serveur est relancé.')}>Relancer le cachet</Button></li>}
              {can('abandonner') && <li><Button priority="tertiary" disabled={busy !== null} onClick={() => void post('abandonner', `/api/collectivites/${cid}/dossiers/${id}/actions/abandonner`, {}, 'Le dossier est abandonné.')}>Abandonner</Button></li>}
            </ul>
            {form && (
              <form onSubmit={submitForm} noValidate className="fr-mt-2w" aria-labelledby="form-title">
                <h3 id="form-title" className="fr-h6">{formTitle[form]}</h3>
                {formError && <p className="fr-error-text fr-mb-2w" role="alert">{formError}</p>}
                {(form === 'transferer' || form === 'demander_avis') && (
                  <Select label={form === 'transferer' ? 'Bureau destinataire (obligatoire)' : 'Bureau consulté (obligatoire)'} nativeSelectProps={{ value: toBureau, onChange: (e) => setToBureau(e.target.value) }}>
                    <option value="">Choisir un bureau</option>
                    {otherBureaux.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
                  </Select>
                )}
                {form === 'transferer' ? (
                  <Input label="Commentaire (facultatif)" textArea nativeTextAreaProps={{ value: comment, maxLength: 2000, rows: 2, onChange: (e) => setComment(e.target.value) }} />
                ) : (
                  <Input
                    label={form === 'rejeter' ? 'Motif du rejet (obligatoire)' : form === 'annoter' ? 'Annotation (obligatoire)' : 'Question (obligatoire)'}
                    textArea
                    state={formError && !text.trim() ? 'error' : 'default'}
                    nativeTextAreaProps={{ value: text, maxLength: 2000, rows: 3, required: true, onChange: (e) => setText(e.target.value) }}
                  />
                )}
                {form === 'annoter' && (
                  <Select label="Visibilité" nativeSelectProps={{ value: visibility, onChange: (e) => setVisibility(e.target.value as 'public' | 'private') }}>
                    <option value="public">Publique (tous les bureaux du circuit)</option>
                    <option value="private">Privée (mon bureau seulement)</option>
                  </Select>
                )}
                <ul className="fr-btns-group fr-btns-group--sm fr-btns-group--inline">
                  <li><Button type="submit" disabled={busy !== null}>{form === 'rejeter' ? 'Confirmer le rejet' : 'Valider'}</Button></li>
                  <li><Button type="button" priority="secondary" onClick={() => setForm(null)}>Annuler</Button></li>
                </ul>
              </form>
            )}
            {can('viser') && !form && (
              <Input className="fr-mt-2w" label="Commentaire du visa (facultatif)" textArea nativeTextAreaProps={{ value: comment, maxLength: 2000, rows: 2, onChange: (e) => setComment(e.target.value) }} />
            )}
            {can('signer') && (
              <div className="fr-mt-2w" data-testid="sign-command">
                <h3 className="fr-h6">Signer avec votre certificat</h3>
                <p className="fr-text--sm">La signature se fait sur votre poste, avec votre certificat (fichier PKCS#12 ou jeton PKCS#11 avec <code>--pkcs11-module</code>). Lancez :</p>
                <pre className="paraphe-command" tabIndex={0} aria-label="Commande de signature"><code>{signCommand}</code></pre>
                <p className="fr-text--sm" aria-live="polite">En attente de la signature : la page se met à jour automatiquement.</p>
              </div>
            )}
            {d.state === 'cachet_en_cours' && <p className="fr-text--sm" aria-live="polite">Cachet serveur en cours : la page se met à jour automatiquement.</p>}
          </section>
          <section className="fr-mb-3w" aria-labelledby="circuit-title">
            <h2 id="circuit-title" className="fr-h5">Circuit</h2>
            <ol className="paraphe-circuit" data-testid="circuit">
              {v.steps.map((s) => {
                const rejected = d.state === 'rejete' && v.acts.some((a) => a.action === 'rejeter' && a.step === s.position);
                const state = rejected ? 'rejected' : s.state;
                return (
                <li key={s.position} className={`paraphe-step paraphe-step--${state}`}>
                  <strong>{STEP_KIND_LABELS[s.kind] ?? s.kind}</strong>
                  {s.bureaux.length > 0 && <> — {s.bureaux.map((b) => b.name + (s.state === 'active' && b.pending ? ' (attendu)' : '')).join(s.mode === 'all' ? ' et ' : ' ou ')}</>}
                  <span className="fr-ml-1w fr-badge fr-badge--sm fr-badge--no-icon">{STEP_STATE_LABELS[state] ?? state}</span>
                </li>
                );
              })}
              {v.steps.length === 0 && <li>Le circuit sera déterminé à l’envoi, selon la typologie.</li>}
            </ol>
          </section>
          {v.avis.length > 0 && (
            <section className="fr-mb-3w" aria-labelledby="avis-title">
              <h2 id="avis-title" className="fr-h5">Avis</h2>
              {v.avis.map((a) => (
                <div key={a.id} className="paraphe-card fr-p-2w fr-mb-1w">
                  <p className="fr-text--sm fr-mb-1w">{a.fromBureau} demande l’avis de {a.toBureau} le {formatDateTime(a.requestedAt)} : « {a.question} »</p>
                  {a.answer ? (
                    <p className="fr-text--sm fr-mb-0">Réponse : « {a.answer} »</p>
                  ) : can('donner_avis') ? (
                    <form onSubmit={(e) => { e.preventDefault(); if ((answers[a.id] ?? '').trim()) void post('avis', `${base}/avis/${a.id}/reponse`, { answer: answers[a.id]!.trim() }, 'Votre avis a été donné.'); }}>
                      <Input label="Votre avis" textArea nativeTextAreaProps={{ value: answers[a.id] ?? '', rows: 2, onChange: (e) => setAnswers({ ...answers, [a.id]: e.target.value }) }} />
                      <Button size="small" type="submit">Donner mon avis</Button>
                    </form>
                  ) : (
                    <p className="fr-text--sm fr-mb-0">En attente de réponse.</p>
                  )}
                </div>
              ))}
            </section>
          )}
          <section className="fr-mb-3w" aria-labelledby="annotations-title">
            <h2 id="annotations-title" className="fr-h5">Annotations</h2>
            {v.annotations.length === 0 ? (
              <p className="fr-text--sm">Aucune annotation.</p>
            ) : (
              <ul className="paraphe-annotations" data-testid="annotations">
                {v.annotations.map((a) => (
                  <li key={a.id}>
                    <p className="fr-text--sm fr-mb-0"><strong>{a.author}</strong>{a.bureau ? ` (${a.bureau})` : ''}, {formatDateTime(a.at)}{a.visibility === 'private' ? ' — privée' : ''}</p>
                    <p className="fr-mb-1w">{a.text}</p>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
      <h2 className="fr-h5 fr-mt-4w">Actes du circuit</h2>
      {v.acts.length === 0 ? (
        <p>Aucun acte pour le moment.</p>
      ) : (
        <Table
          className="paraphe-table"
          caption="Actes du circuit"
          noCaption
          headers={['Date', 'Action', 'Étape', 'Bureau', 'Par', 'Commentaire']}
          data={v.acts.map((a) => [
            formatDateTime(a.at),
            ACT_LABELS[a.action] ?? a.action,
            a.step !== null ? String(a.step + (v.steps[0]?.position === 0 ? 1 : 0)) : '—',
            a.bureau ? (a.pourLeCompteDe ? `${a.bureau} pour le compte de ${a.pourLeCompteDe}` : a.bureau) : '—',
            a.certificate ? `${a.actor} — certificat ${a.certificate.subject}` : a.actor,
            a.comment ?? '—',
          ])}
        />
      )}
    </>
  );
}
