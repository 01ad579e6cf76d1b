import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { api, errorMessage, fieldErrors } from '../api';
import { uploadDocuments, type Progress } from '../upload';
import { useDossierTypes } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { navigate } from '../router';
import { ROLE_LABELS } from '../labels';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import { SchemaForm, initialValues, toMetadata, type FormValues } from '../components/SchemaForm';
import { DropZone } from '../components/DropZone';
import { ActeCreateForm } from '../parapheur/ActeCreateForm';
import type { Dossier } from '../types';

export function DossierCreatePage({ cid }: { cid: string }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const types = useDossierTypes();
  // « Nouvel acte » (Télétransmission) links here with ?type=actes.
  const [type, setType] = useState(() => new URLSearchParams(window.location.search).get('type') ?? '');
  const [title, setTitle] = useState('');
  const [values, setValues] = useState<FormValues>({});
  const [principal, setPrincipal] = useState<File[]>([]);
  const [annexes, setAnnexes] = useState<File[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress[]>([]);
  const [busy, setBusy] = useState(false);
  const breadcrumb = [{ label: 'Dossiers', href: `/c/${cid}/dossiers` }];

  const def = useMemo(() => types?.find((t) => t.type === type), [types, type]);
  useEffect(() => {
    if (types && types.length === 1 && !type) setType(types[0]!.type);
  }, [types, type]);
  useEffect(() => {
    if (def) setValues(initialValues(def.metadataSchema));
  }, [def]);

  if (!can.write(role)) {
    return (
      <>
        <PageTitle title="Nouveau dossier" breadcrumb={breadcrumb} />
        <Alert severity="error" title="Accès refusé" description={`Votre rôle dans cette collectivité (${ROLE_LABELS[role ?? ''] ?? 'aucun'}) ne permet pas de créer un dossier. Seuls les agents et les administrateurs de la collectivité le peuvent.`} />
      </>
    );
  }
  if (!types) return <Loading />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const local: Record<string, string> = {};
    if (!type) local.type = 'Choisissez le type de dossier.';
    if (title.trim().length === 0) local.title = 'Le titre est obligatoire.';
    if (principal.length === 0) local.principal = 'Ajoutez le document principal.';
    setErrors(local);
    if (Object.keys(local).length || !def) {
      setError('Le formulaire contient des erreurs : corrigez les champs signalés.');
      return;
    }
    setBusy(true);
    let dossier: Dossier;
    try {
      dossier = await api<Dossier>('POST', `/api/collectivites/${cid}/dossiers`, { type, title: title.trim(), metadata: toMetadata(def.metadataSchema, values) });
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
      setBusy(false);
      return;
    }
    const failed = !(await uploadDocuments(`/api/collectivites/${cid}/dossiers/${dossier.id}/documents`, principal, annexes, setProgress));
    if (failed) {
      setError('Le dossier est créé mais certains fichiers n’ont pas pu être déposés : vous pourrez les ajouter depuis la page du dossier.');
      setBusy(false);
      setTimeout(() => navigate(`/c/${cid}/dossiers/${dossier.id}?cree=1`), 4000);
      return;
    }
    navigate(`/c/${cid}/dossiers/${dossier.id}?cree=1`);
  };

  const typeSelect = (
    <Select label="Type de dossier (obligatoire)" state={errors.type ? 'error' : 'default'} stateRelatedMessage={errors.type} nativeSelectProps={{ name: 'type', required: true, value: type, onChange: (e) => setType(e.target.value) }}>
      <option value="">Choisir un type</option>
      {/* A PES flow is deposited from the HELIOS screen, where the file is validated. */}
      {types.filter((t) => t.type !== 'helios').map((t) => (
        <option key={t.type} value={t.type}>{t.label}</option>
      ))}
    </Select>
  );
  // An acte has its own form: its fields come from the préfecture's classification and its identifier is computed.
  if (type === 'actes') {
    return (
      <>
        <PageTitle title="Nouveau dossier" breadcrumb={breadcrumb} />
        <div className="paraphe-form">{typeSelect}</div>
        <ActeCreateForm cid={cid} />
      </>
    );
  }

  return (
    <>
      <PageTitle title="Nouveau dossier" breadcrumb={breadcrumb} />
      <ErrorAlert message={error} title="Le dossier n’a pas pu être enregistré" />
      <form onSubmit={(e) => void submit(e)} noValidate className="paraphe-form">
        {typeSelect}
        <Input label="Titre (obligatoire)" state={errors.title ? 'error' : 'default'} stateRelatedMessage={errors.title} nativeInputProps={{ name: 'title', required: true, maxLength: 500, value: title, onChange: (e) => setTitle(e.target.value) }} />
        {def && (
          <fieldset className="fr-fieldset fr-mt-2w">
            <legend className="fr-fieldset__legend">Informations du dossier</legend>
            <div className="fr-fieldset__element">
              <SchemaForm schema={def.metadataSchema} values={values} onChange={setValues} errors={errors} idPrefix="meta" />
            </div>
          </fieldset>
        )}
        <fieldset className="fr-fieldset fr-mt-2w">
          <legend className="fr-fieldset__legend">Documents</legend>
          <div className="fr-fieldset__element">
            <DropZone label="Document principal (obligatoire)" hint="Un seul fichier : PDF, XML, PNG ou JPEG." multiple={false} files={principal} onFiles={setPrincipal} accept=".pdf,.xml,.png,.jpg,.jpeg,application/pdf" />
            {errors.principal && <p className="fr-error-text">{errors.principal}</p>}
          </div>
          <div className="fr-fieldset__element">
            <DropZone label="Annexes (facultatif)" hint="Plusieurs fichiers possibles." multiple files={annexes} onFiles={setAnnexes} />
          </div>
        </fieldset>
        {progress.length > 0 && (
          <div className="fr-mb-3w" aria-live="polite">
            <h2 className="fr-h6">Envoi des fichiers</h2>
            <ul className="paraphe-progress">
              {progress.map((p, i) => (
                <li key={i}>
                  <label htmlFor={`progress-${i}`}>{p.name}</label>
                  <progress id={`progress-${i}`} max={100} value={Math.round(p.fraction * 100)}>
                    {Math.round(p.fraction * 100)} %
                  </progress>
                  <span>{p.error ? <span className="fr-error-text fr-mt-0">{p.error}</span> : p.fraction >= 1 ? 'Déposé' : `${Math.round(p.fraction * 100)} %`}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
        <Button type="submit" disabled={busy}>
          {busy ? 'Enregistrement…' : 'Créer le dossier'}
        </Button>
      </form>
    </>
  );
}
