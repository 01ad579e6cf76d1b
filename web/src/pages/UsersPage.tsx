import { useState, type FormEvent } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { api, errorMessage, fieldErrors } from '../api';
import { useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { COLLECTIVITE_ROLES, ROLE_LABELS } from '../labels';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import type { Member } from '../types';

export function AdminOnly({ cid, title, children }: { cid: string; title: string; children: React.ReactNode }) {
  const { session } = useSession();
  if (!can.admin(roleIn(session, cid))) {
    return (
      <>
        <PageTitle title={title} />
        <Alert severity="error" title="Accès refusé" description="Cette page est réservée aux administrateurs de la collectivité." />
      </>
    );
  }
  return <>{children}</>;
}

export function UsersPage({ cid }: { cid: string }) {
  return (
    <AdminOnly cid={cid} title="Utilisateurs et rôles">
      <Users cid={cid} />
    </AdminOnly>
  );
}

function Users({ cid }: { cid: string }) {
  const { session } = useSession();
  const list = useResource<{ items: Member[] }>(`/api/collectivites/${cid}/users`);
  const [form, setForm] = useState({ email: '', displayName: '', role: 'agent', password: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    setErrors({});
    setBusy(true);
    try {
      const m = await api<Member>('POST', `/api/collectivites/${cid}/users`, { email: form.email, displayName: form.displayName, role: form.role, ...(form.password ? { password: form.password } : {}) });
      setNotice(`${m.displayName} a été ajouté(e) avec le rôle « ${m.roleLabel} ».`);
      setForm({ email: '', displayName: '', role: 'agent', password: '' });
      list.reload();
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const changeRole = async (m: Member, role: string) => {
    setError(null);
    setNotice(null);
    try {
      await api('PATCH', `/api/collectivites/${cid}/users/${m.userId}`, { role });
      setNotice(`Le rôle de ${m.displayName} est maintenant « ${ROLE_LABELS[role]} ».`);
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const remove = async (m: Member) => {
    if (!window.confirm(`Retirer ${m.displayName} de la collectivité ?`)) return;
    setError(null);
    try {
      await api('DELETE', `/api/collectivites/${cid}/users/${m.userId}`);
      setNotice(`${m.displayName} a été retiré(e) de la collectivité.`);
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <>
      <PageTitle title="Utilisateurs et rôles" />
      {notice && <Alert className="fr-mb-3w" severity="success" small description={notice} />}
      <ErrorAlert message={error} />
      {!list.data ? (
        <Loading />
      ) : (
        <Table
          className="paraphe-table"
          caption="Membres de la collectivité"
          headers={['Nom', 'Adresse électronique', 'Rôle', 'Statut', 'Actions']}
          data={list.data.items.map((m) => [
            m.displayName,
            m.email,
            m.userId === session.user.id ? (
              m.roleLabel
            ) : (
              <select key="r" className="fr-select paraphe-inline-select" aria-label={`Rôle de ${m.displayName}`} value={m.role} onChange={(e) => void changeRole(m, e.target.value)}>
                {COLLECTIVITE_ROLES.map((r) => (
                  <option key={r} value={r}>{ROLE_LABELS[r]}</option>
                ))}
              </select>
            ),
            m.disabled ? <Badge key="b" small severity="error">Désactivé</Badge> : <Badge key="b" small severity="success">Actif</Badge>,
            m.userId === session.user.id ? '—' : (
              <Button key="x" size="small" priority="tertiary" onClick={() => void remove(m)}>
                Retirer<span className="fr-sr-only"> {m.displayName}</span>
              </Button>
            ),
          ])}
        />
      )}
      <h2 className="fr-h4 fr-mt-4w">Ajouter un utilisateur</h2>
      <form onSubmit={(e) => void add(e)} noValidate className="paraphe-form">
        <Input label="Adresse électronique (obligatoire)" state={errors.email ? 'error' : 'default'} stateRelatedMessage={errors.email} nativeInputProps={{ type: 'email', name: 'email', value: form.email, onChange: (e) => setForm({ ...form, email: e.target.value }) }} />
        <Input label="Nom affiché (obligatoire)" hintText="Prénom et nom, tels qu’ils apparaîtront dans les circuits" state={errors.displayName ? 'error' : 'default'} stateRelatedMessage={errors.displayName} nativeInputProps={{ name: 'displayName', value: form.displayName, onChange: (e) => setForm({ ...form, displayName: e.target.value }) }} />
        <Select label="Rôle (obligatoire)" nativeSelectProps={{ name: 'role', value: form.role, onChange: (e) => setForm({ ...form, role: e.target.value }) }}>
          {COLLECTIVITE_ROLES.map((r) => (
            <option key={r} value={r}>{ROLE_LABELS[r]}</option>
          ))}
        </Select>
        <Input label="Mot de passe initial (facultatif)" hintText="12 caractères au moins. Sans mot de passe, le compte ne peut pas encore se connecter." state={errors.password ? 'error' : 'default'} stateRelatedMessage={errors.password} nativeInputProps={{ type: 'password', name: 'password', autoComplete: 'new-password', value: form.password, onChange: (e) => setForm({ ...form, password: e.target.value }) }} />
        <Button type="submit" disabled={busy} iconId="fr-icon-user-add-line">
          Ajouter l’utilisateur
        </Button>
      </form>
    </>
  );
}
