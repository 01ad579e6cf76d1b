import { useEffect, useState, type FormEvent } from 'react';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { api, errorMessage, fieldErrors } from '../api';
import { useResource } from '../hooks';
import { useSession } from '../session';
import { ErrorAlert, Loading } from '../components/common';
import { P, type Bureau, type Circuit, type Typologie } from './types';
import { DateInput } from '../components/DateInput';

/**
 * The parapheur choices of a document submitted for signature by its module (an acte: PAdES; a PES flow:
 * XAdES per bordereau, or one global signature of the PES_Aller when asked): typologie of that format,
 * bureau émetteur, variable bureaux, date limite, and whether to transmit once signed. `url`: the module's
 * soumettre-signature endpoint.
 */
export function SoumettreSignatureForm({ cid, url, format, destination, onDone }: { cid: string; url: string; format: 'pades' | 'xades'; destination: string; onDone: () => void }) {
  const { session } = useSession();
  const bureaux = useResource<{ items: Bureau[] }>(`${P(cid)}/bureaux`);
  const typologies = useResource<{ items: Typologie[] }>(`${P(cid)}/typologies`);
  const circuits = useResource<{ items: Circuit[] }>(`${P(cid)}/circuits`);
  const [typologieId, setTypologieId] = useState('');
  const [bureauId, setBureauId] = useState('');
  const [variables, setVariables] = useState<Record<string, string>>({});
  const [deadline, setDeadline] = useState('');
  const [transmettre, setTransmettre] = useState(true);
  const [portee, setPortee] = useState<'bordereaux' | 'global'>('bordereaux');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mine = (bureaux.data?.items ?? []).filter((b) => b.holderUserIds.includes(session.user.id));

  useEffect(() => {
    if (mine.length === 1 && !bureauId) setBureauId(mine[0]!.id);
  }, [mine, bureauId]);

  if (!bureaux.data || !typologies.data || !circuits.data) return <><ErrorAlert message={bureaux.error ?? typologies.error ?? circuits.error} /><Loading what="Chargement des choix du parapheur" /></>;
  const usable = typologies.data.items.filter((t) => t.format === format);
  const circuit = circuits.data.items.find((c) => c.id === usable.find((t) => t.id === typologieId)?.circuitId);
  const variableKeys = [...new Set((circuit?.steps ?? []).flatMap((s) => (s.actors?.type === 'variable' ? [s.actors.key] : [])))];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const local: Record<string, string> = {};
    if (!typologieId) local.typologieId = 'Choisissez la typologie.';
    if (!bureauId) local.bureauEmetteurId = 'Choisissez le bureau émetteur.';
    for (const k of variableKeys) if (!variables[k]) local[`bureauxVariables.${k}`] = `Choisissez le bureau « ${k} ».`;
    setErrors(local);
    if (Object.keys(local).length) return setError('Le formulaire contient des erreurs : corrigez les champs signalés.');
    setBusy(true);
    try {
      await api('POST', url, {
        typologieId,
        bureauEmetteurId: bureauId,
        bureauxVariables: Object.fromEntries(variableKeys.map((k) => [k, variables[k]!])),
        ...(deadline ? { dateLimite: new Date(`${deadline}T23:59:00`).toISOString() } : {}),
        transmettreApresSignature: transmettre,
        ...(format === 'xades' ? { porteeSignature: portee } : {}),
      });
      onDone();
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="paraphe-form" aria-labelledby="soumettre-title">
      <h2 id="soumettre-title" className="fr-h5">Soumettre à la signature</h2>
      <ErrorAlert message={error} title="La soumission à la signature a échoué" />
      <Select label="Typologie du parapheur (obligatoire)" hint={`Elle choisit le circuit de visa et de signature (signature ${format === 'pades' ? 'PAdES' : 'XAdES'}).`} state={errors.typologieId ? 'error' : 'default'} stateRelatedMessage={errors.typologieId} nativeSelectProps={{ value: typologieId, required: true, onChange: (e) => setTypologieId(e.target.value) }}>
        <option value="">Choisir une typologie</option>
        {usable.map((t) => <option key={t.id} value={t.id}>{`${t.type} — ${t.sousType}`}</option>)}
      </Select>
      <Select label="Bureau émetteur (obligatoire)" state={errors.bureauEmetteurId ? 'error' : 'default'} stateRelatedMessage={errors.bureauEmetteurId} nativeSelectProps={{ value: bureauId, required: true, onChange: (e) => setBureauId(e.target.value) }}>
        <option value="">Choisir un bureau</option>
        {mine.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
      </Select>
      {variableKeys.map((k) => (
        <Select key={k} label={`Bureau « ${k} » (obligatoire)`} state={errors[`bureauxVariables.${k}`] ? 'error' : 'default'} stateRelatedMessage={errors[`bureauxVariables.${k}`]} nativeSelectProps={{ value: variables[k] ?? '', required: true, onChange: (e) => setVariables({ ...variables, [k]: e.target.value }) }}>
          <option value="">Choisir un bureau</option>
          {bureaux.data!.items.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
        </Select>
      ))}
      {format === 'xades' && (
        <RadioButtons
          legend="Signature du flux PES"
          name="portee-signature"
          hintText="Ce que chaque signataire du circuit (et le cachet serveur) signe."
          state={errors.porteeSignature ? 'error' : 'default'}
          stateRelatedMessage={errors.porteeSignature}
          options={[
            { label: 'Une signature par bordereau', hintText: 'Le cas habituel : chaque bordereau de mandats ou de titres est signé.', nativeInputProps: { value: 'bordereaux', checked: portee === 'bordereaux', onChange: () => setPortee('bordereaux') } },
            { label: 'Une signature globale du fichier', hintText: 'Une seule signature couvre tout le PES_Aller (bordereaux et pièces justificatives).', nativeInputProps: { value: 'global', checked: portee === 'global', onChange: () => setPortee('global') } },
          ]}
        />
      )}
      <DateInput label="Date limite de traitement (facultatif)" value={deadline} onChange={setDeadline} />
      <Checkbox options={[{ label: `Transmettre ${destination} dès la signature`, nativeInputProps: { checked: transmettre, onChange: (e) => setTransmettre(e.target.checked) } }]} />
      <Button type="submit" disabled={busy}>{busy ? 'Envoi…' : 'Soumettre à la signature'}</Button>
    </form>
  );
}
