import { useState, type FormEvent } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { api, errorMessage, fieldErrors } from '../api';
import { uploadDocuments, type Progress } from '../upload';
import { useResource } from '../hooks';
import { navigate } from '../router';
import { ErrorAlert, Loading } from '../components/common';
import { DropZone } from '../components/DropZone';
import { DateInput } from '../components/DateInput';

interface Classification {
  dateClassification: string | null;
  matieres: { code: string; libelle: string; niveau: number }[];
  natures: { code: number; libelle: string; typologies: { code: string; libelle: string }[] }[];
}

/** The ACTES natures (PROTOCOLS A.2), in the order the préfecture uses. */
const NATURES = [
  { code: 1, label: 'Délibération' },
  { code: 2, label: 'Acte réglementaire' },
  { code: 3, label: 'Acte individuel' },
  { code: 4, label: 'Contrat, convention ou avenant' },
  { code: 5, label: 'Document budgétaire ou financier' },
  { code: 6, label: 'Autre' },
];

/**
 * Creating an acte: the fields of the acte's metadata (nature, matière and types de pièce from the préfecture's
 * classification, numéro, date, objet), then the acte and its annexes dropped and sent with progress. The
 * identifier is computed by the platform. On success, the acte's page (where it is submitted to the circuit).
 */
export function ActeCreateForm({ cid }: { cid: string }) {
  const classif = useResource<Classification>(`/api/collectivites/${cid}/actes-classification`);
  const [nature, setNature] = useState('');
  const [matiere, setMatiere] = useState('');
  const [numero, setNumero] = useState('');
  const [date, setDate] = useState('');
  const [objet, setObjet] = useState('');
  const [typologie, setTypologie] = useState('');
  const [principal, setPrincipal] = useState<File[]>([]);
  const [annexes, setAnnexes] = useState<File[]>([]);
  const [annexeTypes, setAnnexeTypes] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress[]>([]);
  const [busy, setBusy] = useState(false);

  if (classif.error) return <ErrorAlert message={classif.error} />;
  if (!classif.data) return <Loading what="Chargement de la classification de la préfecture" />;
  const c = classif.data;
  if (!c.dateClassification) {
    return <Alert severity="warning" title="Classification de la préfecture inconnue" description="Un administrateur doit importer ou demander la classification de la préfecture avant de créer un acte." />;
  }
  const typologies = c.natures.find((n) => String(n.code) === nature)?.typologies ?? [];
  const setAnnexeFiles = (files: File[]) => {
    setAnnexes(files);
    setAnnexeTypes(files.map((_, i) => annexeTypes[i] ?? ''));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const local: Record<string, string> = {};
    if (!nature) local.nature = 'Choisissez la nature de l’acte.';
    if (!matiere) local.classification = 'Choisissez la matière de la classification.';
    if (!numero.trim()) local.numeroInterne = 'Le numéro de l’acte est obligatoire.';
    if (!date) local.dateDecision = 'La date de la décision est obligatoire.';
    if (!objet.trim()) local.objet = 'L’objet de l’acte est obligatoire.';
    if (!typologie) local.typologieActe = 'Choisissez le type de pièce de l’acte.';
    if (principal.length === 0) local.principal = 'Ajoutez le document de l’acte.';
    annexes.forEach((_, i) => {
      if (!annexeTypes[i]) local[`typologieAnnexes.${i}`] = 'Choisissez le type de pièce de cette annexe.';
    });
    setErrors(local);
    if (Object.keys(local).length) return setError('Le formulaire contient des erreurs : corrigez les champs signalés.');
    setBusy(true);
    let id: string;
    try {
      const created = await api<{ dossier: { id: string } }>('POST', `/api/collectivites/${cid}/actes`, {
        metadata: { nature: Number(nature), classification: matiere, numeroInterne: numero.trim(), dateDecision: date, objet: objet.trim(), documentPapier: false, typologieActe: typologie, typologieAnnexes: annexeTypes },
      });
      id = created.dossier.id;
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
      setBusy(false);
      return;
    }
    const failed = !(await uploadDocuments(`/api/collectivites/${cid}/actes/${id}/documents`, principal, annexes, setProgress));
    if (failed) {
      setError('L’acte est créé mais certains fichiers n’ont pas pu être déposés : vous pourrez les ajouter depuis la page du dossier.');
      setBusy(false);
      return;
    }
    navigate(`/c/${cid}/actes/${id}?cree=1`);
  };

  const sel = (key: string) => ({ state: errors[key] ? ('error' as const) : ('default' as const), stateRelatedMessage: errors[key] });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="paraphe-form" aria-label="Nouvel acte">
      <ErrorAlert message={error} title="L’acte n’a pas pu être enregistré" />
      <fieldset className="fr-fieldset fr-mt-2w">
        <legend className="fr-fieldset__legend">Informations de l’acte</legend>
        <div className="fr-fieldset__element">
          <Select label="Nature de l’acte (obligatoire)" {...sel('nature')} nativeSelectProps={{ value: nature, required: true, onChange: (e) => { setNature(e.target.value); setTypologie(''); setAnnexeTypes(annexeTypes.map(() => '')); } }}>
            <option value="">Choisir une nature</option>
            {NATURES.map((n) => <option key={n.code} value={n.code}>{n.label}</option>)}
          </Select>
          <Select label="Matière de la classification (obligatoire)" hint={`Classification de la préfecture du ${new Date(c.dateClassification).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })}.`} {...sel('classification')} nativeSelectProps={{ value: matiere, required: true, onChange: (e) => setMatiere(e.target.value) }}>
            <option value="">Choisir une matière</option>
            {c.matieres.map((m) => <option key={m.code} value={m.code} disabled={m.niveau < 2}>{`${m.code} — ${m.libelle}`}</option>)}
          </Select>
          <Input label="Numéro de l’acte (obligatoire)" hintText="Votre numérotation interne : lettres, chiffres et « _ », 15 caractères au plus." {...sel('numeroInterne')} nativeInputProps={{ value: numero, required: true, maxLength: 15, onChange: (e) => setNumero(e.target.value) }} />
          <DateInput label="Date de la décision (obligatoire)" {...sel('dateDecision')} required value={date} onChange={setDate} />
          <Input label="Objet (obligatoire)" {...sel('objet')} nativeInputProps={{ value: objet, required: true, maxLength: 500, onChange: (e) => setObjet(e.target.value) }} />
          <Select label="Type de pièce de l’acte (obligatoire)" hint={nature ? undefined : 'Choisissez d’abord la nature de l’acte.'} {...sel('typologieActe')} nativeSelectProps={{ value: typologie, required: true, disabled: !nature, onChange: (e) => setTypologie(e.target.value) }}>
            <option value="">Choisir un type de pièce</option>
            {typologies.map((t) => <option key={t.code} value={t.code}>{`${t.libelle} (${t.code})`}</option>)}
          </Select>
        </div>
      </fieldset>
      <fieldset className="fr-fieldset fr-mt-2w">
        <legend className="fr-fieldset__legend">Documents</legend>
        <div className="fr-fieldset__element">
          <DropZone label="Acte (obligatoire)" hint="Un seul fichier PDF (ou XML pour un document budgétaire)." multiple={false} files={principal} onFiles={setPrincipal} accept=".pdf,.xml,application/pdf" />
          {errors.principal && <p className="fr-error-text">{errors.principal}</p>}
        </div>
        <div className="fr-fieldset__element">
          <DropZone label="Annexes (facultatif)" hint="PDF, PNG ou JPEG ; un type de pièce par annexe." multiple files={annexes} onFiles={setAnnexeFiles} accept=".pdf,.png,.jpg,.jpeg" />
        </div>
        {annexes.map((f, i) => (
          <div className="fr-fieldset__element" key={`${f.name}-${i}`}>
            <Select label={`Type de pièce de l’annexe « ${f.name} » (obligatoire)`} {...sel(`typologieAnnexes.${i}`)} nativeSelectProps={{ value: annexeTypes[i] ?? '', required: true, disabled: !nature, onChange: (e) => setAnnexeTypes(annexeTypes.map((t, j) => (j === i ? e.target.value : t))) }}>
              <option value="">Choisir un type de pièce</option>
              {typologies.map((t) => <option key={t.code} value={t.code}>{`${t.libelle} (${t.code})`}</option>)}
            </Select>
          </div>
        ))}
      </fieldset>
      {progress.length > 0 && (
        <div className="fr-mb-3w" aria-live="polite">
          <h2 className="fr-h6">Envoi des fichiers</h2>
          <ul className="paraphe-progress">
            {progress.map((p, i) => (
              <li key={i}>
                <label htmlFor={`acte-progress-${i}`}>{p.name}</label>
                <progress id={`acte-progress-${i}`} max={100} value={Math.round(p.fraction * 100)}>
                  {Math.round(p.fraction * 100)} %
                </progress>
                <span>{p.error ? <span className="fr-error-text fr-mt-0">{p.error}</span> : p.fraction >= 1 ? 'Déposé' : `${Math.round(p.fraction * 100)} %`}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <Button type="submit" disabled={busy}>{busy ? 'Enregistrement…' : 'Créer l’acte'}</Button>
    </form>
  );
}
