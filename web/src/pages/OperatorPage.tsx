import { useState, type FormEvent } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { api, errorMessage, fieldErrors } from '../api';
import { useResource } from '../hooks';
import { useSession } from '../session';
import { navigate } from '../router';
import { formatNumber } from '../format';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import type { Collectivite } from '../types';

const TYPES: Record<string, string> = { commune: 'Commune', epci: 'EPCI', syndicat: 'Syndicat', ccas: 'CCAS', departement: 'Département', region: 'Région', etablissement_public: 'Établissement public', autre: 'Autre' };
const SERVICES: Record<string, string> = { parapheur: 'Parapheur', actes: 'ACTES', helios: 'HELIOS', convocation: 'Convocations', mailsec: 'Mail sécurisé', marches: 'Marchés publics', chorus: 'Chorus Pro', ged: 'GED', sae: 'Archivage (SAE)' };

export function OperatorPage() {
  const { session, refresh } = useSession();
  const role = session.user.operatorRole;
  const list = useResource<{ items: Collectivite[] }>(role ? '/api/collectivites' : null);
  const [target, setTarget] = useState<Collectivite | null>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!role) {
    return (
      <>
        <PageTitle title="Espace opérateur" />
        <Alert severity="error" title="Accès refusé" description="Cet espace est réservé au personnel de l’opérateur." />
      </>
    );
  }

  const impersonate = async (e: FormEvent) => {
    e.preventDefault();
    if (!target) return;
    setError(null);
    if (reason.trim().length < 5) {
      setError('Indiquez le motif de l’intervention (5 caractères au moins) : il est inscrit au journal de la collectivité.');
      return;
    }
    setBusy(true);
    try {
      await api('POST', '/api/auth/impersonation', { collectiviteId: target.id, reason: reason.trim() });
      await refresh();
      navigate(`/c/${target.id}`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle title="Collectivités de l’opérateur" />
      <ErrorAlert message={list.error} />
      {!list.data ? (
        <Loading />
      ) : (
        <Table
          className="paraphe-table"
          caption={`${list.data.items.length} collectivités`}
          headers={['Nom', 'Type', 'SIREN', 'Département', 'Population', 'Services', 'Intervenir']}
          data={list.data.items.map((c) => [
            c.name,
            c.typeLabel,
            c.siren,
            c.departement,
            c.population === null ? '—' : formatNumber(c.population),
            c.services.map((s) => SERVICES[s] ?? s).join(', ') || '—',
            <Button
              key="i"
              size="small"
              priority="secondary"
              onClick={() => {
                setTarget(c);
                setReason('');
                setError(null);
                setTimeout(() => document.getElementById('motif-intervention')?.focus(), 0);
              }}
            >
              Intervenir<span className="fr-sr-only"> dans {c.name}</span>
            </Button>,
          ])}
        />
      )}
      {target && (
        <section className="paraphe-card fr-p-3w fr-my-3w" aria-labelledby="intervention-title">
          <h2 id="intervention-title" className="fr-h5">Intervenir dans « {target.name} »</h2>
          <p className="fr-text--sm">L’intervention et son motif sont inscrits au journal de preuve de la collectivité. Vous y agirez avec le rôle {role === 'operator_admin' ? 'administrateur' : 'lecture seule'}.</p>
          {error && <ErrorAlert message={error} title="Intervention impossible" />}
          <form onSubmit={(e) => void impersonate(e)} noValidate>
            <Input label="Motif de l’intervention (obligatoire)" hintText="Par exemple : demande d’assistance n° 1234 de la secrétaire de mairie" textArea nativeTextAreaProps={{ id: 'motif-intervention', value: reason, maxLength: 500, rows: 2, onChange: (e) => setReason(e.target.value) }} />
            <ul className="fr-btns-group fr-btns-group--inline fr-btns-group--sm">
              <li><Button type="submit" disabled={busy}>Commencer l’intervention</Button></li>
              <li><Button type="button" priority="tertiary" onClick={() => setTarget(null)}>Annuler</Button></li>
            </ul>
          </form>
        </section>
      )}
      {role === 'operator_admin' && <CreateCollectivite onCreated={list.reload} />}
    </>
  );
}

function CreateCollectivite({ onCreated }: { onCreated: () => void }) {
  const empty = { name: '', type: 'commune', siren: '', departement: '', insee: '', population: '', services: ['parapheur', 'actes'] as string[] };
  const [f, setF] = useState(empty);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const err = (k: string) => (errors[k] ? { state: 'error' as const, stateRelatedMessage: errors[k] } : {});

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    setErrors({});
    setBusy(true);
    try {
      const c = await api<Collectivite>('POST', '/api/collectivites', {
        name: f.name,
        type: f.type,
        siren: f.siren.replace(/\s/g, ''),
        departement: f.departement.trim().toUpperCase(),
        insee: f.insee.trim() || null,
        population: f.population.trim() ? Number(f.population.replace(/\s/g, '')) : null,
        services: f.services,
      });
      setNotice(`La collectivité « ${c.name} » a été créée.`);
      setF(empty);
      onCreated();
    } catch (x) {
      setErrors(fieldErrors(x));
      setError(errorMessage(x));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h2 className="fr-h4 fr-mt-6w">Créer une collectivité</h2>
      {notice && <Alert className="fr-mb-3w" severity="success" small description={notice} />}
      <ErrorAlert message={error} title="La collectivité n’a pas pu être créée" />
      <form onSubmit={(e) => void submit(e)} noValidate className="paraphe-form">
        <Input label="Nom (obligatoire)" {...err('name')} nativeInputProps={{ value: f.name, onChange: (e) => setF({ ...f, name: e.target.value }) }} />
        <Select label="Type (obligatoire)" {...err('type')} nativeSelectProps={{ value: f.type, onChange: (e) => setF({ ...f, type: e.target.value }) }}>
          {Object.entries(TYPES).map(([k, v]) => (
            <option key={k} value={k}>{v}</option>
          ))}
        </Select>
        <Input label="SIREN (obligatoire)" hintText="9 chiffres" {...err('siren')} nativeInputProps={{ inputMode: 'numeric', value: f.siren, onChange: (e) => setF({ ...f, siren: e.target.value }) }} />
        <Input label="Département (obligatoire)" hintText="3 caractères, par exemple 062, 02A ou 974" {...err('departement')} nativeInputProps={{ maxLength: 3, value: f.departement, onChange: (e) => setF({ ...f, departement: e.target.value }) }} />
        <Input label="Code INSEE (facultatif)" hintText="5 caractères" {...err('insee')} nativeInputProps={{ maxLength: 5, value: f.insee, onChange: (e) => setF({ ...f, insee: e.target.value }) }} />
        <Input label="Population (facultatif)" {...err('population')} nativeInputProps={{ inputMode: 'numeric', value: f.population, onChange: (e) => setF({ ...f, population: e.target.value }) }} />
        <Checkbox
          legend="Services souscrits"
          orientation="horizontal"
          options={Object.entries(SERVICES).map(([k, v]) => ({ label: v, nativeInputProps: { value: k, checked: f.services.includes(k), onChange: (e) => setF({ ...f, services: e.target.checked ? [...f.services, k] : f.services.filter((s) => s !== k) }) } }))}
        />
        <Button type="submit" disabled={busy} iconId="fr-icon-add-line">
          Créer la collectivité
        </Button>
      </form>
    </>
  );
}
