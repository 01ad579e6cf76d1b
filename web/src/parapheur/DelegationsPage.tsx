import { useState, type FormEvent } from 'react';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { api, errorMessage } from '../api';
import { useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { formatDate, nextDay, parisDay, parisMidnight } from '../format';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import { Link } from '../router';
import { P, type Bureau, type Typologie } from './types';
import { DateInput } from '../components/DateInput';

interface Delegation {
  id: string;
  fromBureauId: string;
  toBureauId: string;
  startsAt: string;
  endsAt: string;
  typologieIds: string[];
  revoked: boolean;
}

function status(d: Delegation, now: number): { label: string; severity?: 'success' | 'info' | 'error' } {
  if (d.revoked) return { label: 'Révoquée', severity: 'error' };
  if (Date.parse(d.endsAt) <= now) return { label: 'Terminée' };
  if (Date.parse(d.startsAt) > now) return { label: 'À venir', severity: 'info' };
  return { label: 'Active', severity: 'success' };
}

/**
 * Délégations of the parapheur. `all`: the administrator's view of every bureau; `mine`: a bureau holder's
 * « mes délégations » (given or received by the bureaux they hold), delegating only their own bureaux.
 */
export function DelegationsPage({ cid, scope }: { cid: string; scope: 'all' | 'mine' }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const bureaux = useResource<{ items: Bureau[] }>(`${P(cid)}/bureaux`);
  const typologies = useResource<{ items: Typologie[] }>(`${P(cid)}/typologies`);
  const delegations = useResource<{ items: Delegation[] }>(`${P(cid)}/delegations`);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const title = scope === 'all' ? 'Délégations du parapheur' : 'Mes délégations';
  const breadcrumb = scope === 'all' ? [{ label: 'Administration', href: `/c/${cid}/administration/utilisateurs` }] : [{ label: 'Mon parapheur', href: `/c/${cid}/parapheur` }];

  if (scope === 'all' && !can.admin(role)) {
    return <><PageTitle title={title} /><Alert severity="error" title="Accès refusé" description="Cette page est réservée aux administrateurs de la collectivité. Les titulaires d’un bureau gèrent leurs délégations depuis « Mon parapheur »." /></>;
  }
  const err = bureaux.error ?? typologies.error ?? delegations.error;
  if (!bureaux.data || !typologies.data || !delegations.data) return <><PageTitle title={title} breadcrumb={breadcrumb} /><ErrorAlert message={err} /><Loading /></>;

  const bName = new Map(bureaux.data.items.map((b) => [b.id, b.name]));
  const tName = new Map(typologies.data.items.map((t) => [t.id, `${t.type} — ${t.sousType}`]));
  const held = bureaux.data.items.filter((b) => b.holderUserIds.includes(session.user.id));
  const heldIds = new Set(held.map((b) => b.id));
  const canDelegate = scope === 'all' ? bureaux.data.items : held;
  const visible = scope === 'all' ? delegations.data.items : delegations.data.items.filter((d) => heldIds.has(d.fromBureauId) || heldIds.has(d.toBureauId));
  const now = Date.now();
  const mayRevoke = (d: Delegation) => !d.revoked && Date.parse(d.endsAt) > now && (scope === 'all' || heldIds.has(d.fromBureauId));

  const revoke = async (d: Delegation) => {
    setError(null);
    setNotice(null);
    try {
      await api('DELETE', `${P(cid)}/delegations/${d.id}`);
      setNotice(`La délégation de « ${bName.get(d.fromBureauId) ?? '?'} » à « ${bName.get(d.toBureauId) ?? '?'} » a été révoquée.`);
      delegations.reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <>
      <PageTitle title={title} breadcrumb={breadcrumb} />
      <p>
        Pendant une délégation, le bureau délégué voit les dossiers du bureau délégant dans sa bannette « Délégués » et agit pour son compte
        (la signature mentionne « pour le compte de »). Sans typologie choisie, la délégation couvre toutes les typologies.
      </p>
      {notice && <Alert className="fr-mb-3w" severity="success" small description={notice} closable onClose={() => setNotice(null)} />}
      <ErrorAlert message={error} title="Révocation impossible" />
      {scope === 'mine' && held.length === 0 && <Alert className="fr-mb-3w" severity="info" small description="Vous ne tenez aucun bureau : vous ne pouvez pas déléguer." />}
      {visible.length === 0 ? (
        <p>Aucune délégation pour le moment.</p>
      ) : (
        <Table
          className="paraphe-table"
          caption="Délégations"
          noCaption
          headers={['Bureau délégant', 'Bureau délégué', 'Du', 'Au', 'Typologies', 'État', 'Action']}
          data={visible.map((d) => {
            const s = status(d, now);
            return [
              bName.get(d.fromBureauId) ?? '—',
              bName.get(d.toBureauId) ?? '—',
              formatDate(d.startsAt),
              // endsAt is midnight after the last day: show the last day covered.
              formatDate(new Date(Date.parse(d.endsAt) - 1).toISOString()),
              d.typologieIds.length === 0 ? 'Toutes' : d.typologieIds.map((t) => tName.get(t) ?? '?').join(', '),
              <Badge key="s" small noIcon={!s.severity} severity={s.severity}>{s.label}</Badge>,
              mayRevoke(d) ? (
                <Button key="r" size="small" priority="secondary" onClick={() => void revoke(d)}>
                  Révoquer<span className="fr-sr-only">{` la délégation de ${bName.get(d.fromBureauId) ?? '?'} à ${bName.get(d.toBureauId) ?? '?'}`}</span>
                </Button>
              ) : (
                '—'
              ),
            ];
          })}
        />
      )}
      {canDelegate.length > 0 && (
        <DelegationForm
          cid={cid}
          from={canDelegate}
          to={bureaux.data.items}
          typologies={typologies.data.items}
          onDone={(m) => {
            setNotice(m);
            delegations.reload();
          }}
        />
      )}
      {scope === 'all' ? null : can.admin(role) && <p className="fr-mt-3w"><Link className="fr-link" href={`/c/${cid}/administration/delegations`}>Toutes les délégations de la collectivité</Link></p>}
    </>
  );
}

function DelegationForm({ cid, from, to, typologies, onDone }: { cid: string; from: Bureau[]; to: Bureau[]; typologies: Typologie[]; onDone: (m: string) => void }) {
  const today = parisDay(new Date());
  const [fromId, setFromId] = useState(from.length === 1 ? from[0]!.id : '');
  const [toId, setToId] = useState('');
  const [startDay, setStartDay] = useState(today);
  const [endDay, setEndDay] = useState('');
  const [typoIds, setTypoIds] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const name = (id: string) => to.find((b) => b.id === id)?.name ?? '?';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!fromId || !toId || !startDay || !endDay) return setError('Le bureau délégant, le bureau délégué et les deux dates sont obligatoires.');
    if (fromId === toId) return setError('Un bureau ne peut pas se déléguer à lui-même : choisissez un autre bureau délégué.');
    if (endDay < startDay) return setError('La date de fin doit être le même jour que la date de début ou après.');
    setBusy(true);
    try {
      await api('POST', `${P(cid)}/delegations`, { fromBureauId: fromId, toBureauId: toId, startsAt: parisMidnight(startDay), endsAt: parisMidnight(nextDay(endDay)), typologieIds: typoIds });
      onDone(`Délégation créée : « ${name(fromId)} » délègue à « ${name(toId)} » du ${formatDate(parisMidnight(startDay))} au ${formatDate(parisMidnight(endDay))}.`);
      setToId('');
      setEndDay('');
      setTypoIds([]);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="paraphe-card fr-p-3w fr-mt-4w paraphe-form" aria-labelledby="new-delegation-title">
      <h2 id="new-delegation-title" className="fr-h5">Nouvelle délégation</h2>
      {error && <Alert className="fr-mb-3w" severity="error" title="Délégation refusée" description={error} role="alert" />}
      <Select label="Bureau délégant (obligatoire)" hint="Le bureau dont les dossiers seront traités par un autre" nativeSelectProps={{ value: fromId, onChange: (e) => setFromId(e.target.value) }}>
        <option value="">Choisir un bureau</option>
        {from.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
      </Select>
      <Select label="Bureau délégué (obligatoire)" hint="Le bureau qui agira pour le compte du délégant" nativeSelectProps={{ value: toId, onChange: (e) => setToId(e.target.value) }}>
        <option value="">Choisir un bureau</option>
        {to.filter((b) => b.id !== fromId).map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
      </Select>
      <div className="paraphe-filters">
        <DateInput label="Du (obligatoire)" hintText="Premier jour inclus" required value={startDay} onChange={setStartDay} />
        <DateInput label="Au (obligatoire)" hintText="Dernier jour inclus" required value={endDay} onChange={setEndDay} />
      </div>
      {typologies.length > 0 && (
        <fieldset className="fr-fieldset" aria-describedby="typo-hint">
          <legend className="fr-fieldset__legend fr-text--regular">Typologies concernées</legend>
          <p id="typo-hint" className="fr-hint-text fr-fieldset__element">Aucune case cochée : toutes les typologies.</p>
          {typologies.map((t) => (
            <div key={t.id} className="fr-fieldset__element">
              <div className="fr-checkbox-group fr-checkbox-group--sm">
                <input type="checkbox" id={`deleg-typo-${t.id}`} checked={typoIds.includes(t.id)} onChange={(e) => setTypoIds(e.target.checked ? [...typoIds, t.id] : typoIds.filter((x) => x !== t.id))} />
                <label className="fr-label" htmlFor={`deleg-typo-${t.id}`}>{`${t.type} — ${t.sousType}`}</label>
              </div>
            </div>
          ))}
        </fieldset>
      )}
      <Button type="submit" disabled={busy}>Créer la délégation</Button>
    </form>
  );
}
