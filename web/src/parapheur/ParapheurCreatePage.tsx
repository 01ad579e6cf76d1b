import { useEffect, useState, type FormEvent } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { api, errorMessage, fieldErrors, uploadFile } from '../api';
import { useResource } from '../hooks';
import { useSession } from '../session';
import { navigate } from '../router';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import { DropZone } from '../components/DropZone';
import type { Dossier } from '../types';
import { P, type Bureau, type Circuit, type Typologie } from './types';
import { DateInput } from '../components/DateInput';

/**
 * Creation of a `document-a-signer` dossier: a typologie (which picks the circuit), the émetteur's bureau,
 * the bureaux of the circuit's « chosen at creation » steps, the document: a PDF (PAdES), or another file for
 * a CAdES typologie (detached .p7s signatures).
 */
export function ParapheurCreatePage({ cid }: { cid: string }) {
  const { session } = useSession();
  const bureaux = useResource<{ items: Bureau[] }>(`${P(cid)}/bureaux`);
  const typologies = useResource<{ items: Typologie[] }>(`${P(cid)}/typologies`);
  const circuits = useResource<{ items: Circuit[] }>(`${P(cid)}/circuits`);
  const [variables, setVariables] = useState<Record<string, string>>({});
  const [title, setTitle] = useState('');
  const [typologieId, setTypologieId] = useState('');
  const [bureauId, setBureauId] = useState('');
  const [deadline, setDeadline] = useState('');
  const [principal, setPrincipal] = useState<File[]>([]);
  const [annexes, setAnnexes] = useState<File[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mine = (bureaux.data?.items ?? []).filter((b) => b.holderUserIds.includes(session.user.id));
  const breadcrumb = [{ label: 'Mon parapheur', href: `/c/${cid}/parapheur` }];

  useEffect(() => {
    if (mine.length === 1 && !bureauId) setBureauId(mine[0]!.id);
  }, [mine, bureauId]);

  if (!bureaux.data || !typologies.data || !circuits.data) return <><PageTitle title="Nouveau document à signer" breadcrumb={breadcrumb} /><ErrorAlert message={bureaux.error ?? typologies.error ?? circuits.error} /><Loading /></>;
  const circuit = circuits.data.items.find((c) => c.id === typologies.data!.items.find((t) => t.id === typologieId)?.circuitId);
  const variableKeys = [...new Set((circuit?.steps ?? []).flatMap((s) => (s.actors?.type === 'variable' ? [s.actors.key] : [])))];

  const isCades = typologies.data.items.find((t) => t.id === typologieId)?.format === 'cades';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const local: Record<string, string> = {};
    if (!title.trim()) local.title = 'Le titre est obligatoire.';
    if (!typologieId) local.typologieId = 'Choisissez la typologie.';
    if (!bureauId) local.bureauEmetteurId = 'Choisissez le bureau émetteur.';
    for (const k of variableKeys) if (!variables[k]) local[`bureauxVariables.${k}`] = `Choisissez le bureau « ${k} ».`;
    if (principal.length === 0) local.principal = isCades ? 'Ajoutez le document à signer.' : 'Ajoutez le document PDF à signer.';
    else if (!isCades && !/\.pdf$/i.test(principal[0]!.name) && principal[0]!.type !== 'application/pdf') local.principal = 'Le document à signer doit être un PDF.';
    setErrors(local);
    if (Object.keys(local).length) {
      setError('Le formulaire contient des erreurs : corrigez les champs signalés.');
      return;
    }
    setBusy(true);
    try {
      const metadata: Record<string, unknown> = { typologieId, bureauEmetteurId: bureauId, bureauxVariables: Object.fromEntries(variableKeys.map((k) => [k, variables[k]!])) };
      if (deadline) metadata.dateLimite = new Date(`${deadline}T23:59:00`).toISOString();
      const dossier = await api<Dossier>('POST', `/api/collectivites/${cid}/dossiers`, { type: 'document-a-signer', title: title.trim(), metadata });
      await uploadFile(`/api/collectivites/${cid}/dossiers/${dossier.id}/documents?role=principal`, principal[0]!, () => undefined);
      for (const f of annexes) await uploadFile(`/api/collectivites/${cid}/dossiers/${dossier.id}/documents?role=annexe`, f, () => undefined);
      navigate(`/c/${cid}/parapheur/dossiers/${dossier.id}?cree=1`);
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(Object.fromEntries(Object.entries(fe).map(([k, m]) => [k.replace(/^metadata\./, ''), m])));
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle title="Nouveau document à signer" breadcrumb={breadcrumb} />
      <ErrorAlert message={error} title="Le document n’a pas pu être enregistré" />
      <form onSubmit={(e) => void submit(e)} noValidate className="paraphe-form">
        <Input label="Titre (obligatoire)" state={errors.title ? 'error' : 'default'} stateRelatedMessage={errors.title} nativeInputProps={{ value: title, maxLength: 500, required: true, onChange: (e) => setTitle(e.target.value) }} />
        <Select label="Typologie (obligatoire)" hint="Le type et le sous-type choisissent le circuit de validation." state={errors.typologieId ? 'error' : 'default'} stateRelatedMessage={errors.typologieId} nativeSelectProps={{ value: typologieId, required: true, onChange: (e) => setTypologieId(e.target.value) }}>
          <option value="">Choisir une typologie</option>
          {typologies.data.items.map((t) => <option key={t.id} value={t.id}>{`${t.type} — ${t.sousType}`}</option>)}
        </Select>
        <Select label="Bureau émetteur (obligatoire)" state={errors.bureauEmetteurId ? 'error' : 'default'} stateRelatedMessage={errors.bureauEmetteurId} nativeSelectProps={{ value: bureauId, required: true, onChange: (e) => setBureauId(e.target.value) }}>
          <option value="">Choisir un bureau</option>
          {mine.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
        </Select>
        {variableKeys.map((k) => (
          <Select key={k} label={`Bureau « ${k} » (obligatoire)`} hint="Le circuit de cette typologie fait intervenir un bureau choisi à la création." state={errors[`bureauxVariables.${k}`] ? 'error' : 'default'} stateRelatedMessage={errors[`bureauxVariables.${k}`]} nativeSelectProps={{ value: variables[k] ?? '', required: true, onChange: (e) => setVariables({ ...variables, [k]: e.target.value }) }}>
            <option value="">Choisir un bureau</option>
            {bureaux.data!.items.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
          </Select>
        ))}
        <DateInput label="Date limite de traitement (facultatif)" state={errors.dateLimite ? 'error' : 'default'} stateRelatedMessage={errors.dateLimite} value={deadline} onChange={setDeadline} />
        <fieldset className="fr-fieldset fr-mt-2w">
          <legend className="fr-fieldset__legend">Documents</legend>
          <div className="fr-fieldset__element">
            <DropZone label="Document à signer (obligatoire)" hint={isCades ? 'Un seul fichier (PDF, ODT, ODS, DOCX, XLSX, CSV, TXT, XML, PNG, JPEG) : il reste inchangé, chaque signature est un fichier .p7s à part.' : 'Un seul fichier PDF.'} multiple={false} files={principal} onFiles={setPrincipal} {...(isCades ? {} : { accept: '.pdf,application/pdf' })} />
            {errors.principal && <p className="fr-error-text">{errors.principal}</p>}
          </div>
          <div className="fr-fieldset__element">
            <DropZone label="Annexes (facultatif)" hint="Plusieurs fichiers possibles." multiple files={annexes} onFiles={setAnnexes} />
          </div>
        </fieldset>
        <Button type="submit" disabled={busy}>{busy ? 'Enregistrement…' : 'Créer le document à signer'}</Button>
      </form>
    </>
  );
}
