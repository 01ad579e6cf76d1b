import { useState, type FormEvent } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { api, errorMessage, fieldErrors } from '../api';
import { useResource } from '../hooks';
import { formatDateTime } from '../format';
import { PERMISSION_LABELS, TOKEN_PERMISSIONS } from '../labels';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import { AdminOnly } from './UsersPage';
import type { ApiToken } from '../types';

export function TokensPage({ cid }: { cid: string }) {
  return (
    <AdminOnly cid={cid} title="Jetons d’API">
      <Tokens cid={cid} />
    </AdminOnly>
  );
}

function Tokens({ cid }: { cid: string }) {
  const list = useResource<{ items: ApiToken[] }>(`/api/collectivites/${cid}/api-tokens`);
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<string[]>(['dossier:read', 'dossier:write', 'document:read']);
  const [created, setCreated] = useState<(ApiToken & { token: string }) | null>(null);
  const [copied, setCopied] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setErrors({});
    setCreated(null);
    setCopied(false);
    setBusy(true);
    try {
      const t = await api<ApiToken & { token: string }>('POST', `/api/collectivites/${cid}/api-tokens`, { name, permissions: perms });
      setCreated(t);
      setName('');
      list.reload();
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (t: ApiToken) => {
    if (!window.confirm(`Révoquer le jeton « ${t.name} » ? Les logiciels qui l’utilisent ne pourront plus se connecter.`)) return;
    setError(null);
    try {
      await api('DELETE', `/api/collectivites/${cid}/api-tokens/${t.id}`);
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <>
      <PageTitle title="Jetons d’API" />
      <p>Les jetons permettent aux logiciels métier (gestion financière, actes, GED…) d’utiliser l’API de Paraphe au nom de la collectivité.</p>
      <ErrorAlert message={error} />
      {created && (
        <Alert
          className="fr-mb-3w"
          severity="success"
          title={`Jeton « ${created.name} » créé`}
          description={
            <>
              <p>Copiez ce jeton maintenant : il ne sera plus jamais affiché.</p>
              <p>
                <code className="paraphe-token" data-testid="new-token">{created.token}</code>
              </p>
              <Button
                size="small"
                priority="secondary"
                iconId="fr-icon-clipboard-line"
                onClick={() => {
                  void navigator.clipboard?.writeText(created.token).then(() => setCopied(true));
                }}
              >
                {copied ? 'Copié' : 'Copier le jeton'}
              </Button>
            </>
          }
        />
      )}
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p>Aucun jeton pour le moment.</p>
      ) : (
        <Table
          className="paraphe-table"
          caption="Jetons de la collectivité"
          headers={['Nom', 'Préfixe', 'Permissions', 'Créé le', 'Dernière utilisation', 'État', 'Actions']}
          data={list.data.items.map((t) => [
            t.name,
            <code key="p">{t.prefix}…</code>,
            t.permissions.map((p) => PERMISSION_LABELS[p] ?? p).join(', '),
            formatDateTime(t.createdAt),
            t.lastUsedAt ? formatDateTime(t.lastUsedAt) : 'Jamais',
            t.revokedAt ? <Badge key="s" small severity="error">Révoqué</Badge> : <Badge key="s" small severity="success">Actif</Badge>,
            t.revokedAt ? '—' : (
              <Button key="r" size="small" priority="tertiary" onClick={() => void revoke(t)}>
                Révoquer<span className="fr-sr-only"> {t.name}</span>
              </Button>
            ),
          ])}
        />
      )}
      <h2 className="fr-h4 fr-mt-4w">Créer un jeton</h2>
      <form onSubmit={(e) => void create(e)} noValidate className="paraphe-form">
        <Input label="Nom du jeton (obligatoire)" hintText="Par exemple le logiciel qui l’utilisera" state={errors.name ? 'error' : 'default'} stateRelatedMessage={errors.name} nativeInputProps={{ name: 'name', value: name, onChange: (e) => setName(e.target.value) }} />
        <Checkbox
          legend="Permissions"
          state={errors.permissions ? 'error' : 'default'}
          stateRelatedMessage={errors.permissions}
          options={TOKEN_PERMISSIONS.map((p) => ({
            label: PERMISSION_LABELS[p]!,
            nativeInputProps: { name: 'permissions', value: p, checked: perms.includes(p), onChange: (e) => setPerms(e.target.checked ? [...perms, p] : perms.filter((x) => x !== p)) },
          }))}
        />
        <Button type="submit" disabled={busy} iconId="fr-icon-lock-line">
          Créer le jeton
        </Button>
      </form>
    </>
  );
}
