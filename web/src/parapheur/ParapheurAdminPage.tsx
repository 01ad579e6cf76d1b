import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { api, errorMessage, fieldErrors } from '../api';
import { useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import type { Member } from '../types';
import { P, PADES_LEVELS, STEP_KIND_LABELS, type Bureau, type Circuit, type CircuitStep, type Typologie } from './types';

/** Administration of the parapheur: bureaux and their holders, circuits (ordered steps), typologies. */
export function ParapheurAdminPage({ cid }: { cid: string }) {
  const { session } = useSession();
  const bureaux = useResource<{ items: Bureau[] }>(`${P(cid)}/bureaux`);
  const circuits = useResource<{ items: Circuit[] }>(`${P(cid)}/circuits`);
  const typologies = useResource<{ items: Typologie[] }>(`${P(cid)}/typologies`);
  const users = useResource<{ items: Member[] }>(`/api/collectivites/${cid}/users`);
  const [notice, setNotice] = useState<string | null>(null);
  const [editCircuit, setEditCircuit] = useState<Circuit | null>(null);
  const [editTypologie, setEditTypologie] = useState<Typologie | null>(null);
  const breadcrumb = [{ label: 'Administration', href: `/c/${cid}/administration/utilisateurs` }];

  if (!can.admin(roleIn(session, cid))) {
    return <><PageTitle title="Parapheur : bureaux, circuits et typologies" /><Alert severity="error" title="Accès refusé" description="Seuls les administrateurs de la collectivité configurent le parapheur." /></>;
  }
  const err = bureaux.error ?? circuits.error ?? typologies.error ?? users.error;
  if (!bureaux.data || !circuits.data || !typologies.data || !users.data) return <><PageTitle title="Parapheur : bureaux, circuits et typologies" breadcrumb={breadcrumb} /><ErrorAlert message={err} /><Loading /></>;
  const bName = new Map(bureaux.data.items.map((b) => [b.id, b.name]));
  const uName = new Map(users.data.items.map((u) => [u.userId, u.displayName]));
  const cName = new Map(circuits.data.items.map((c) => [c.id, c.name]));
  const done = (msg: string) => {
    setNotice(msg);
    setEditCircuit(null);
    setEditTypologie(null);
    bureaux.reload();
    circuits.reload();
    typologies.reload();
  };

  return (
    <>
      <PageTitle title="Parapheur : bureaux, circuits et typologies" breadcrumb={breadcrumb} />
      {notice && <Alert className="fr-mb-3w" severity="success" small description={notice} closable onClose={() => setNotice(null)} />}
      <section className="fr-mb-6w" aria-labelledby="bureaux-title">
        <h2 id="bureaux-title" className="fr-h4">Bureaux</h2>
        <Table className="paraphe-table" caption="Bureaux" noCaption headers={['Bureau', 'Supérieur', 'Titulaires']} data={bureaux.data.items.map((b) => [b.name, b.superiorId ? (bName.get(b.superiorId) ?? '—') : '—', b.holderUserIds.map((u) => uName.get(u) ?? u).join(', ') || '—'])} />
        <BureauForm cid={cid} bureaux={bureaux.data.items} users={users.data.items} onDone={done} />
      </section>
      <section className="fr-mb-6w" aria-labelledby="circuits-title">
        <h2 id="circuits-title" className="fr-h4">Circuits</h2>
        <Table
          className="paraphe-table"
          caption="Circuits"
          noCaption
          headers={['Circuit', 'Étapes', 'Actions']}
          data={circuits.data.items.map((c) => [
            c.name,
            c.steps.map((s, i) => `${i + 1}. ${describeStep(s, bName)}`).join(' → '),
            <Button key="edit" type="button" size="small" priority="secondary" onClick={() => setEditCircuit(c)}>Modifier<span className="fr-sr-only"> le circuit « {c.name} »</span></Button>,
          ])}
        />
        <CircuitEditor key={editCircuit ? `${editCircuit.id}:${editCircuit.version}` : 'new'} cid={cid} bureaux={bureaux.data.items} editing={editCircuit} onDone={done} onCancel={() => setEditCircuit(null)} />
      </section>
      <section className="fr-mb-6w" aria-labelledby="typologies-title">
        <h2 id="typologies-title" className="fr-h4">Typologies</h2>
        <Table
          className="paraphe-table"
          caption="Typologies"
          noCaption
          headers={['Type', 'Sous-type', 'Circuit', 'Format de signature', 'Mention visible', 'Actions']}
          data={typologies.data.items.map((t) => [
            t.type,
            t.sousType,
            cName.get(t.circuitId) ?? '—',
            t.format === 'pades' ? `PADES ${t.niveauPades ?? '(B-T si horodatage)'}` : t.format.toUpperCase(),
            t.mark ? t.mark.text : '—',
            <Button key="edit" type="button" size="small" priority="secondary" onClick={() => setEditTypologie(t)}>Modifier<span className="fr-sr-only"> la typologie « {t.type} — {t.sousType} »</span></Button>,
          ])}
        />
        <TypologieForm key={editTypologie ? `${editTypologie.id}:${editTypologie.version}` : 'new'} cid={cid} circuits={circuits.data.items} editing={editTypologie} onDone={done} onCancel={() => setEditTypologie(null)} />
      </section>
    </>
  );
}

function describeStep(s: CircuitStep, bName: Map<string, string>): string {
  const kind = STEP_KIND_LABELS[s.kind] ?? s.kind;
  const a = s.actors;
  if (!a) return kind;
  if (a.type === 'bureaux') return `${kind} ${a.bureauIds.map((b) => bName.get(b) ?? b).join(a.mode === 'all' ? ' et ' : ' ou ')}`;
  if (a.type === 'emetteur') return `${kind} du bureau émetteur`;
  if (a.type === 'superieur') return `${kind} du supérieur de l’émetteur`;
  return `${kind} (bureau « ${a.key} » choisi à la création)`;
}

function BureauForm({ cid, bureaux, users, onDone }: { cid: string; bureaux: Bureau[]; users: Member[]; onDone: (m: string) => void }) {
  const [name, setName] = useState('');
  const [superiorId, setSuperiorId] = useState('');
  const [holders, setHolders] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!name.trim()) return setError('Le nom du bureau est obligatoire.');
    try {
      await api('POST', `${P(cid)}/bureaux`, { name: name.trim(), superiorId: superiorId || null, holderUserIds: holders });
      setName('');
      setSuperiorId('');
      setHolders([]);
      onDone(`Le bureau « ${name.trim()} » a été créé.`);
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="paraphe-card fr-p-3w fr-mt-2w paraphe-form" aria-labelledby="new-bureau-title">
      <h3 id="new-bureau-title" className="fr-h6">Nouveau bureau</h3>
      <ErrorAlert message={error} />
      <Input label="Nom du bureau (obligatoire)" nativeInputProps={{ value: name, maxLength: 200, onChange: (e) => setName(e.target.value) }} />
      <Select label="Bureau supérieur" nativeSelectProps={{ value: superiorId, onChange: (e) => setSuperiorId(e.target.value) }}>
        <option value="">Aucun</option>
        {bureaux.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
      </Select>
      <fieldset className="fr-fieldset">
        <legend className="fr-fieldset__legend fr-text--regular">Titulaires</legend>
        {users.filter((u) => !u.disabled).map((u) => (
          <div key={u.userId} className="fr-fieldset__element">
            <div className="fr-checkbox-group fr-checkbox-group--sm">
              <input type="checkbox" id={`holder-${u.userId}`} checked={holders.includes(u.userId)} onChange={(e) => setHolders(e.target.checked ? [...holders, u.userId] : holders.filter((x) => x !== u.userId))} />
              <label className="fr-label" htmlFor={`holder-${u.userId}`}>{`${u.displayName} (${u.roleLabel})`}</label>
            </div>
          </div>
        ))}
      </fieldset>
      <Button type="submit">Créer le bureau</Button>
    </form>
  );
}

type ActorType = 'bureaux' | 'emetteur' | 'superieur' | 'variable';
interface DraftStep {
  key: number;
  kind: 'visa' | 'signature' | 'cachet';
  actorType: ActorType;
  bureauIds: string[];
  mode: 'all' | 'any';
  variableKey: string;
}
let nextKey = 1;
const newStep = (kind: DraftStep['kind'] = 'visa'): DraftStep => ({ key: nextKey++, kind, actorType: 'bureaux', bureauIds: [], mode: 'any', variableKey: '' });
const draftOf = (s: CircuitStep): DraftStep => {
  const a = s.actors;
  return { ...newStep(s.kind), actorType: a?.type ?? 'bureaux', bureauIds: a?.type === 'bureaux' ? a.bureauIds : [], mode: a?.type === 'bureaux' ? a.mode : 'any', variableKey: a?.type === 'variable' ? a.key : '' };
};

/** Creates a circuit, or edits `editing` in place (the server refuses a stale edit: someone saved in between). */
function CircuitEditor({ cid, bureaux, editing, onDone, onCancel }: { cid: string; bureaux: Bureau[]; editing: Circuit | null; onDone: (m: string) => void; onCancel: () => void }) {
  const [name, setName] = useState(editing?.name ?? '');
  const [steps, setSteps] = useState<DraftStep[]>(() => (editing ? editing.steps.map(draftOf) : [newStep('visa')]));
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (editing) title.current?.focus();
  }, [editing]);
  const update = (i: number, patch: Partial<DraftStep>) => setSteps(steps.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const move = (i: number, by: number) => {
    const next = [...steps];
    const [s] = next.splice(i, 1);
    next.splice(i + by, 0, s!);
    setSteps(next);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = 'Le nom du circuit est obligatoire.';
    steps.forEach((s, i) => {
      if (s.kind !== 'cachet' && s.actorType === 'bureaux' && s.bureauIds.length === 0) local[`steps.${i}.actors`] = `Choisissez au moins un bureau pour l’étape ${i + 1}.`;
      if (s.kind !== 'cachet' && s.actorType === 'variable' && !s.variableKey.trim()) local[`steps.${i}.actors.key`] = `Nommez le bureau à choisir à la création pour l’étape ${i + 1}.`;
    });
    setErrors(local);
    if (Object.keys(local).length) return setError('Le circuit contient des erreurs : corrigez les champs signalés.');
    const body = {
      name: name.trim(),
      steps: steps.map((s) => (s.kind === 'cachet' ? { kind: 'cachet' } : { kind: s.kind, actors: s.actorType === 'bureaux' ? { type: 'bureaux', bureauIds: s.bureauIds, mode: s.mode } : s.actorType === 'variable' ? { type: 'variable', key: s.variableKey.trim() } : { type: s.actorType } })),
    };
    try {
      if (editing) {
        await api('PUT', `${P(cid)}/circuits/${editing.id}`, { ...body, version: editing.version });
        onDone(`Le circuit « ${name.trim()} » a été modifié. Les dossiers déjà envoyés gardent leurs étapes.`);
      } else {
        await api('POST', `${P(cid)}/circuits`, body);
        onDone(`Le circuit « ${name.trim()} » a été créé.`);
        setName('');
        setSteps([newStep('visa')]);
      }
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
    }
  };
  const heading = editing ? `Modifier le circuit « ${editing.name} »` : 'Nouveau circuit';
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="paraphe-card fr-p-3w fr-mt-2w" aria-labelledby="circuit-editor-title" data-testid="circuit-editor">
      <h3 id="circuit-editor-title" className="fr-h6" ref={title} tabIndex={-1}>{heading}</h3>
      {editing && <p className="fr-text--sm">Les dossiers déjà envoyés dans ce circuit gardent les étapes avec lesquelles ils sont partis ; les modifications s’appliquent aux prochains envois.</p>}
      <ErrorAlert message={error} title="Le circuit n’a pas pu être enregistré" />
      <Input label="Nom du circuit (obligatoire)" state={errors.name ? 'error' : 'default'} stateRelatedMessage={errors.name} nativeInputProps={{ value: name, maxLength: 200, onChange: (e) => setName(e.target.value) }} />
      <ol className="paraphe-steps">
        {steps.map((s, i) => (
          <li key={s.key} className="paraphe-step-edit fr-p-2w fr-mb-2w">
            <fieldset className="fr-fieldset fr-mb-0" aria-labelledby={`step-legend-${s.key}`}>
              <legend id={`step-legend-${s.key}`} className="fr-fieldset__legend fr-h6 fr-mb-1w">Étape {i + 1}</legend>
              <div className="fr-fieldset__element">
                <Select label={`Nature de l’étape ${i + 1}`} nativeSelectProps={{ value: s.kind, onChange: (e) => update(i, { kind: e.target.value as DraftStep['kind'] }) }}>
                  <option value="visa">Visa</option>
                  <option value="signature">Signature</option>
                  <option value="cachet">Cachet serveur</option>
                </Select>
              </div>
              {s.kind !== 'cachet' && (
                <>
                  <div className="fr-fieldset__element">
                    <Select label={`Qui agit à l’étape ${i + 1}`} nativeSelectProps={{ value: s.actorType, onChange: (e) => update(i, { actorType: e.target.value as ActorType }) }}>
                      <option value="bureaux">Un ou plusieurs bureaux désignés</option>
                      <option value="emetteur">Le bureau émetteur</option>
                      <option value="superieur">Le supérieur du bureau émetteur</option>
                      <option value="variable">Un bureau choisi à la création du dossier</option>
                    </Select>
                  </div>
                  {s.actorType === 'variable' && (
                    <div className="fr-fieldset__element">
                      <Input
                        label={`Nom du bureau à choisir pour l’étape ${i + 1}`}
                        hintText="Par exemple « service instructeur » : il sera demandé à la création du dossier."
                        state={errors[`steps.${i}.actors.key`] ? 'error' : 'default'}
                        stateRelatedMessage={errors[`steps.${i}.actors.key`]}
                        nativeInputProps={{ value: s.variableKey, maxLength: 50, onChange: (e) => update(i, { variableKey: e.target.value }) }}
                      />
                    </div>
                  )}
                  {s.actorType === 'bureaux' && (
                    <>
                      <div className="fr-fieldset__element">
                        <fieldset className="fr-fieldset" aria-describedby={errors[`steps.${i}.actors`] ? `step-error-${s.key}` : undefined}>
                          <legend className="fr-fieldset__legend fr-text--regular">Bureaux de l’étape {i + 1}</legend>
                          {bureaux.map((b) => (
                            <div key={b.id} className="fr-fieldset__element fr-fieldset__element--inline">
                              <div className="fr-checkbox-group fr-checkbox-group--sm">
                                <input type="checkbox" id={`step-${s.key}-${b.id}`} checked={s.bureauIds.includes(b.id)} onChange={(e) => update(i, { bureauIds: e.target.checked ? [...s.bureauIds, b.id] : s.bureauIds.filter((x) => x !== b.id) })} />
                                <label className="fr-label" htmlFor={`step-${s.key}-${b.id}`}>{b.name}</label>
                              </div>
                            </div>
                          ))}
                          {errors[`steps.${i}.actors`] && <p id={`step-error-${s.key}`} className="fr-error-text">{errors[`steps.${i}.actors`]}</p>}
                        </fieldset>
                      </div>
                      {s.bureauIds.length > 1 && (
                        <div className="fr-fieldset__element">
                          <Select label={`Règle de l’étape ${i + 1}`} nativeSelectProps={{ value: s.mode, onChange: (e) => update(i, { mode: e.target.value as 'all' | 'any' }) }}>
                            <option value="any">Un seul des bureaux suffit</option>
                            <option value="all">Tous les bureaux doivent agir</option>
                          </Select>
                        </div>
                      )}
                    </>
                  )}
                </>
              )}
              <div className="fr-fieldset__element">
                <ul className="fr-btns-group fr-btns-group--sm fr-btns-group--inline">
                  <li><Button type="button" priority="tertiary" disabled={i === 0} onClick={() => move(i, -1)}>Monter<span className="fr-sr-only"> l’étape {i + 1}</span></Button></li>
                  <li><Button type="button" priority="tertiary" disabled={i === steps.length - 1} onClick={() => move(i, 1)}>Descendre<span className="fr-sr-only"> l’étape {i + 1}</span></Button></li>
                  <li><Button type="button" priority="tertiary" disabled={steps.length === 1} onClick={() => setSteps(steps.filter((_, j) => j !== i))}>Supprimer<span className="fr-sr-only"> l’étape {i + 1}</span></Button></li>
                </ul>
              </div>
            </fieldset>
          </li>
        ))}
      </ol>
      <ul className="fr-btns-group fr-btns-group--inline">
        <li><Button type="button" priority="secondary" onClick={() => setSteps([...steps, newStep('signature')])}>Ajouter une étape</Button></li>
        <li><Button type="submit">{editing ? 'Enregistrer les modifications' : 'Créer le circuit'}</Button></li>
        {editing && <li><Button type="button" priority="tertiary" onClick={onCancel}>Annuler la modification</Button></li>}
      </ul>
    </form>
  );
}

const optionalNumber = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v));

/** Creates a typologie, or edits `editing` in place: circuit, format, visible mark and PAdES level (PAdES). */
function TypologieForm({ cid, circuits, editing, onDone, onCancel }: { cid: string; circuits: Circuit[]; editing: Typologie | null; onDone: (m: string) => void; onCancel: () => void }) {
  const [type, setType] = useState(editing?.type ?? '');
  const [sousType, setSousType] = useState(editing?.sousType ?? '');
  const [circuitId, setCircuitId] = useState(editing?.circuitId ?? '');
  const [format, setFormat] = useState(editing?.format ?? 'pades');
  const [withMark, setWithMark] = useState(editing ? editing.mark !== null : true);
  const [markText, setMarkText] = useState(editing?.mark?.text ?? 'Signé par {signataire} le {date}');
  const [markTag, setMarkTag] = useState(editing?.mark?.tag ?? '');
  const [markPage, setMarkPage] = useState(editing?.mark?.page?.toString() ?? '');
  const [niveauPades, setNiveauPades] = useState(editing?.niveauPades ?? '');
  const [error, setError] = useState<string | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (editing) title.current?.focus();
  }, [editing]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!type.trim() || !sousType.trim() || !circuitId) return setError('Le type, le sous-type et le circuit sont obligatoires.');
    const page = optionalNumber(markPage);
    if (page !== undefined && (!Number.isInteger(page) || page < 1)) return setError('La page de la mention est un numéro de page (1, 2, …).');
    const mark = format === 'pades' && withMark ? { ...(editing?.mark ?? {}), text: markText, ...(markTag.trim() ? { tag: markTag.trim() } : { tag: undefined }), page } : null;
    const body = { type: type.trim(), sousType: sousType.trim(), circuitId, format, mark, niveauPades: format === 'pades' && niveauPades ? niveauPades : null };
    try {
      if (editing) {
        await api('PUT', `${P(cid)}/typologies/${editing.id}`, { ...body, version: editing.version });
        onDone(`La typologie « ${type.trim()} — ${sousType.trim()} » a été modifiée. Les dossiers déjà envoyés gardent leurs réglages.`);
      } else {
        await api('POST', `${P(cid)}/typologies`, body);
        setType('');
        setSousType('');
        onDone(`La typologie « ${type.trim()} — ${sousType.trim()} » a été créée.`);
      }
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="paraphe-card fr-p-3w fr-mt-2w paraphe-form" aria-labelledby="typologie-editor-title" data-testid="typologie-editor">
      <h3 id="typologie-editor-title" className="fr-h6" ref={title} tabIndex={-1}>{editing ? `Modifier la typologie « ${editing.type} — ${editing.sousType} »` : 'Nouvelle typologie'}</h3>
      <ErrorAlert message={error} />
      <Input label="Type (obligatoire)" nativeInputProps={{ value: type, maxLength: 100, onChange: (e) => setType(e.target.value) }} />
      <Input label="Sous-type (obligatoire)" nativeInputProps={{ value: sousType, maxLength: 100, onChange: (e) => setSousType(e.target.value) }} />
      <Select label="Circuit (obligatoire)" nativeSelectProps={{ value: circuitId, onChange: (e) => setCircuitId(e.target.value) }}>
        <option value="">Choisir un circuit</option>
        {circuits.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
      </Select>
      <Select label="Format de signature" nativeSelectProps={{ value: format, onChange: (e) => setFormat(e.target.value) }}>
        <option value="pades">PAdES (PDF)</option>
        <option value="xades">XAdES (XML)</option>
        <option value="cades">CAdES détachée (autres fichiers : .p7s)</option>
      </Select>
      {format === 'pades' && (
        <Select label="Niveau de signature PAdES" hint="B-LT et B-LTA ajoutent au PDF les données de validation (et, pour B-LTA, un horodatage du document) pour une vérification à long terme. Tout niveau à partir de B-T exige un service d’horodatage." nativeSelectProps={{ value: niveauPades, onChange: (e) => setNiveauPades(e.target.value) }}>
          <option value="">Par défaut (B-T si un horodatage est configuré)</option>
          {PADES_LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}
        </Select>
      )}
      {format === 'pades' && (
        <fieldset className="fr-fieldset">
          <legend className="fr-fieldset__legend fr-text--regular">Mention visible de signature (PDF)</legend>
          <div className="fr-fieldset__element">
            <div className="fr-checkbox-group fr-checkbox-group--sm">
              <input type="checkbox" id="typologie-mark" checked={withMark} onChange={(e) => setWithMark(e.target.checked)} />
              <label className="fr-label" htmlFor="typologie-mark">Apposer une mention visible sur le PDF</label>
            </div>
          </div>
          {withMark && (
            <>
              <div className="fr-fieldset__element">
                <Input label="Texte de la mention" hintText="{signataire}, {pourCompteDe} et {date} sont remplacés." nativeInputProps={{ value: markText, maxLength: 200, onChange: (e) => setMarkText(e.target.value) }} />
              </div>
              <div className="fr-fieldset__element">
                <Input label="Étiquette de placement dans le PDF (facultatif)" hintText="Par exemple #signature# : la mention est placée à cet endroit." nativeInputProps={{ value: markTag, maxLength: 50, onChange: (e) => setMarkTag(e.target.value) }} />
              </div>
              <div className="fr-fieldset__element">
                <Input label="Page de la mention (facultatif)" nativeInputProps={{ value: markPage, inputMode: 'numeric', onChange: (e) => setMarkPage(e.target.value) }} />
              </div>
            </>
          )}
        </fieldset>
      )}
      <ul className="fr-btns-group fr-btns-group--inline">
        <li><Button type="submit">{editing ? 'Enregistrer les modifications' : 'Créer la typologie'}</Button></li>
        {editing && <li><Button type="button" priority="tertiary" onClick={onCancel}>Annuler la modification</Button></li>}
      </ul>
    </form>
  );
}
