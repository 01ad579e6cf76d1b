import { useState, type FormEvent } from 'react';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Table } from '@codegouvfr/react-dsfr/Table';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { api, errorMessage, fieldErrors } from '../api';
import { useDossierTypes, useResource } from '../hooks';
import { formatDateTime } from '../format';
import { Link } from '../router';
import { ErrorAlert, Loading, PageTitle } from '../components/common';
import { AdminOnly } from './UsersPage';
import type { Webhook, WebhookDelivery, WebhookDeliveryDetail } from '../types';

/** The signing secret, shown once after creation or renewal. */
function SecretShownOnce({ title, secret }: { title: string; secret: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Alert
      className="fr-mb-3w"
      severity="success"
      title={title}
      description={
        <>
          <p>Copiez ce secret maintenant et donnez-le au logiciel destinataire : il ne sera plus jamais affiché. Il sert à vérifier la signature (en-tête X-Paraphe-Signature) de chaque appel.</p>
          <p>
            <code className="paraphe-token" data-testid="new-webhook-secret">{secret}</code>
          </p>
          <Button size="small" priority="secondary" iconId="fr-icon-clipboard-line" onClick={() => void navigator.clipboard?.writeText(secret).then(() => setCopied(true))}>
            {copied ? 'Copié' : 'Copier le secret'}
          </Button>
        </>
      }
    />
  );
}

export function WebhooksPage({ cid }: { cid: string }) {
  return (
    <AdminOnly cid={cid} title="Webhooks">
      <Webhooks cid={cid} />
    </AdminOnly>
  );
}

function Webhooks({ cid }: { cid: string }) {
  const list = useResource<{ items: Webhook[] }>(`/api/collectivites/${cid}/webhooks`);
  const types = useDossierTypes();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [shown, setShown] = useState<{ title: string; secret: string } | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const typeLabel = (t: string) => types?.find((x) => x.type === t)?.label ?? t;

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setErrors({});
    setShown(null);
    setBusy(true);
    try {
      const w = await api<Webhook & { secret: string }>('POST', `/api/collectivites/${cid}/webhooks`, { url, description, dossierTypes: chosen.length ? chosen : null });
      setShown({ title: `Webhook vers ${w.url} créé`, secret: w.secret });
      setUrl('');
      setDescription('');
      setChosen([]);
      list.reload();
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const toggle = async (w: Webhook) => {
    setError(null);
    try {
      await api('PATCH', `/api/collectivites/${cid}/webhooks/${w.id}`, { active: !w.active });
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const rotate = async (w: Webhook) => {
    if (!window.confirm(`Renouveler le secret du webhook vers ${w.url} ? Le logiciel destinataire devra utiliser le nouveau secret.`)) return;
    setError(null);
    try {
      const r = await api<Webhook & { secret: string }>('POST', `/api/collectivites/${cid}/webhooks/${w.id}/secret`);
      setShown({ title: `Nouveau secret du webhook vers ${w.url}`, secret: r.secret });
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const remove = async (w: Webhook) => {
    if (!window.confirm(`Supprimer le webhook vers ${w.url} et son historique de livraisons ?`)) return;
    setError(null);
    try {
      await api('DELETE', `/api/collectivites/${cid}/webhooks/${w.id}`);
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <>
      <PageTitle title="Webhooks" />
      <p>
        Un webhook prévient un logiciel métier (urbanisme, GED, finances…) à chaque changement d’état des dossiers de la collectivité : Paraphe envoie un appel HTTP POST signé à l’adresse indiquée, et le
        renvoie plus tard en cas d’échec.
      </p>
      <ErrorAlert message={error} />
      {shown && <SecretShownOnce title={shown.title} secret={shown.secret} />}
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p>Aucun webhook pour le moment.</p>
      ) : (
        <Table
          className="paraphe-table"
          caption="Webhooks de la collectivité"
          headers={['Adresse', 'Types de dossiers', 'Secret', 'État', 'Actions']}
          data={list.data.items.map((w) => [
            <span key="u">
              <code>{w.url}</code>
              {w.description && <span className="fr-hint-text">{w.description}</span>}
            </span>,
            w.dossierTypes ? w.dossierTypes.map(typeLabel).join(', ') : 'Tous',
            <code key="s">{w.secretPrefix}</code>,
            w.active ? <Badge key="a" small severity="success">Actif</Badge> : <Badge key="a" small noIcon>Désactivé</Badge>,
            <span key="x" className="paraphe-actions">
              <Link className="fr-link fr-mr-2w" href={`/c/${cid}/administration/webhooks/${w.id}`}>
                Livraisons<span className="fr-sr-only"> vers {w.url}</span>
              </Link>
              <Button size="small" priority="tertiary" onClick={() => void toggle(w)}>
                {w.active ? 'Désactiver' : 'Réactiver'}
                <span className="fr-sr-only"> {w.url}</span>
              </Button>
              <Button size="small" priority="tertiary" onClick={() => void rotate(w)}>
                Renouveler le secret<span className="fr-sr-only"> de {w.url}</span>
              </Button>
              <Button size="small" priority="tertiary" onClick={() => void remove(w)}>
                Supprimer<span className="fr-sr-only"> {w.url}</span>
              </Button>
            </span>,
          ])}
        />
      )}
      <h2 className="fr-h4 fr-mt-4w">Créer un webhook</h2>
      <form onSubmit={(e) => void create(e)} noValidate className="paraphe-form">
        <Input label="Adresse (obligatoire)" hintText="Une URL https:// du logiciel destinataire" state={errors.url ? 'error' : 'default'} stateRelatedMessage={errors.url} nativeInputProps={{ name: 'url', type: 'url', value: url, onChange: (e) => setUrl(e.target.value) }} />
        <Input label="Description" hintText="Par exemple le nom du logiciel" state={errors.description ? 'error' : 'default'} stateRelatedMessage={errors.description} nativeInputProps={{ name: 'description', value: description, onChange: (e) => setDescription(e.target.value) }} />
        {types && (
          <Checkbox
            legend="Types de dossiers"
            hintText="Aucun type coché : tous les types de dossiers."
            state={errors.dossierTypes ? 'error' : 'default'}
            stateRelatedMessage={errors.dossierTypes}
            options={types.map((t) => ({
              label: t.label,
              nativeInputProps: { name: 'dossierTypes', value: t.type, checked: chosen.includes(t.type), onChange: (e) => setChosen(e.target.checked ? [...chosen, t.type] : chosen.filter((x) => x !== t.type)) },
            }))}
          />
        )}
        <Button type="submit" disabled={busy} iconId="fr-icon-send-plane-line">
          Créer le webhook
        </Button>
      </form>
    </>
  );
}

const STATE_SEVERITY: Record<WebhookDelivery['state'], 'success' | 'error' | 'info' | 'new'> = { delivered: 'success', failed: 'error', pending: 'info', waiting: 'new' };

export function WebhookDeliveriesPage({ cid, id }: { cid: string; id: string }) {
  return (
    <AdminOnly cid={cid} title="Livraisons du webhook">
      <Deliveries cid={cid} id={id} />
    </AdminOnly>
  );
}

function Deliveries({ cid, id }: { cid: string; id: string }) {
  const hook = useResource<Webhook>(`/api/collectivites/${cid}/webhooks/${id}`);
  const list = useResource<{ items: WebhookDelivery[] }>(`/api/collectivites/${cid}/webhooks/${id}/deliveries?limit=100`);
  const [open, setOpen] = useState<WebhookDeliveryDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const show = async (d: WebhookDelivery) => {
    setError(null);
    try {
      setOpen(await api<WebhookDeliveryDetail>('GET', `/api/collectivites/${cid}/webhooks/${id}/deliveries/${d.id}`));
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const retry = async (d: WebhookDelivery) => {
    setError(null);
    setNotice(null);
    try {
      await api('POST', `/api/collectivites/${cid}/webhooks/${id}/deliveries/${d.id}/retry`, {});
      setNotice('La livraison sera renvoyée dans quelques instants.');
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const ping = async () => {
    setError(null);
    setNotice(null);
    try {
      await api('POST', `/api/collectivites/${cid}/webhooks/${id}/ping`, {});
      setNotice('Un événement « ping » signé part vers le logiciel : son résultat s’affiche dans le journal ci-dessous.');
      list.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <>
      <PageTitle title="Livraisons du webhook" breadcrumb={[{ label: 'Webhooks', href: `/c/${cid}/administration/webhooks` }]}>
        <Button size="small" priority="secondary" iconId="fr-icon-send-plane-line" onClick={() => void ping()} disabled={hook.data ? !hook.data.active : true}>
          Tester (ping)
        </Button>
        <Button size="small" priority="secondary" iconId="fr-icon-refresh-line" onClick={list.reload}>
          Actualiser
        </Button>
      </PageTitle>
      <ErrorAlert message={error ?? hook.error ?? list.error} />
      {notice && <Alert className="fr-mb-3w" severity="info" small description={notice} />}
      {hook.data && (
        <p>
          Vers <code>{hook.data.url}</code> {hook.data.active ? '' : '(désactivé)'} — chaque changement d’état d’un dossier est envoyé, puis renvoyé en cas d’échec (8 tentatives sur environ une heure).
        </p>
      )}
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p>Aucune livraison pour le moment.</p>
      ) : (
        <Table
          className="paraphe-table"
          caption="Dernières livraisons (les plus récentes d’abord)"
          headers={['Date', 'Dossier', 'Changement', 'État', 'Tentatives', 'Dernier résultat', 'Prochaine tentative', 'Actions']}
          data={list.data.items.map((d) => [
            formatDateTime(d.createdAt),
            d.dossierId ? (
              <Link key="d" href={`/c/${cid}/dossiers/${d.dossierId}`}>
                {d.dossierTitle || 'Dossier'}
              </Link>
            ) : (
              '—'
            ),
            d.dossierVersion === null ? d.transition : `${d.transition} (version ${d.dossierVersion})`,
            <Badge key="s" small severity={STATE_SEVERITY[d.state]}>
              {d.stateLabel}
            </Badge>,
            String(d.attempts),
            d.lastError ?? (d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : '—'),
            d.nextAttemptAt ? formatDateTime(d.nextAttemptAt) : '—',
            <span key="a" className="paraphe-actions">
              <Button size="small" priority="tertiary" onClick={() => void show(d)}>
                Détail<span className="fr-sr-only"> de la livraison du {formatDateTime(d.createdAt)}</span>
              </Button>
              {(d.state === 'failed' || d.state === 'delivered') && (
                <Button size="small" priority="tertiary" onClick={() => void retry(d)}>
                  {d.state === 'failed' ? 'Relancer' : 'Renvoyer'}
                  <span className="fr-sr-only"> la livraison du {formatDateTime(d.createdAt)}</span>
                </Button>
              )}
            </span>,
          ])}
        />
      )}
      {open && (
        <section className="fr-mt-4w" aria-labelledby="delivery-detail">
          <h2 id="delivery-detail" className="fr-h4">
            Livraison {open.id}
          </h2>
          <Table
            className="paraphe-table"
            caption="Tentatives"
            headers={['N°', 'Date', 'Code HTTP', 'Durée', 'Erreur', 'Réponse']}
            data={open.attemptLog.map((a) => [
              `${a.attempt}${a.manual ? ' (à la main)' : ''}`,
              formatDateTime(a.at),
              a.statusCode === null ? '—' : String(a.statusCode),
              `${a.durationMs} ms`,
              a.error ?? '—',
              a.responseBody ? <code key="r">{a.responseBody.slice(0, 200)}</code> : '—',
            ])}
          />
          <h3 className="fr-h6">Corps envoyé</h3>
          <pre className="paraphe-pre" tabIndex={0} aria-label="Corps JSON envoyé">{JSON.stringify(open.payload, null, 2)}</pre>
        </section>
      )}
    </>
  );
}
