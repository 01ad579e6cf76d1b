import { useState, type FormEvent } from 'react';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { api, errorMessage } from '../api';
import { useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { Link } from '../router';
import { ErrorAlert, Loading, PageTitle } from '../components/common';

/** What the API sends in place of a secret: the value itself never reaches the browser. */
export const SECRET_MASK = '••••••••';
/** The connectors of signing: trust anchors for signers' certificates, the server seal, the timestamp authority. */
const SIGNING_CONNECTORS = ['parapheur-certificats', 'parapheur-seal', 'tsa'] as const;

const FIELD_LABELS: Record<string, string> = {
  trustAnchorsPath: 'Dossier des certificats d’autorité de confiance (PEM)',
  p12Path: 'Fichier PKCS#12 du cachet serveur',
  password: 'Mot de passe du PKCS#12',
  pkcs11: 'Jeton PKCS#11 (HSM)',
  'pkcs11.module': 'Module PKCS#11',
  'pkcs11.tokenLabel': 'Étiquette du jeton',
  'pkcs11.pin': 'Code PIN du jeton',
  'pkcs11.keyLabel': 'Étiquette de la clé privée',
  'pkcs11.chainPath': 'Chaîne de certificats (PEM)',
  url: 'URL du service d’horodatage (RFC 3161)',
};
const ORIGIN_LABELS: Record<string, string> = { operator: 'Hérité de l’opérateur', group: 'Hérité du groupe de collectivités', collectivite: 'Propre à la collectivité' };
const INTRO: Record<string, string> = {
  'parapheur-certificats': 'Les autorités de certification auxquelles Paraphe fait confiance pour vérifier les certificats personnels des signataires.',
  'parapheur-seal': 'Le certificat de cachet serveur de la collectivité, apposé automatiquement aux étapes « cachet » des circuits.',
  tsa: 'Facultatif : quand il est configuré, chaque signature reçoit un jeton d’horodatage (niveau B-T).',
};

interface ConnectorSummary {
  connector: string;
  label: string;
  config: Record<string, unknown>;
  origin: Record<string, string>;
  complete: boolean;
  problems: { path: string; message: string }[];
}

const isSecret = (key: string) => /password|passphrase|^pass$|pin$|secret|motdepasse|privatekey|apikey/i.test(key);

/** Flattens { pkcs11: { pin } } into [["pkcs11.pin", value, "pkcs11"]] for display. */
function rows(config: Record<string, unknown>, prefix = '', top = ''): [string, unknown, string][] {
  return Object.entries(config).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return v && typeof v === 'object' && !Array.isArray(v) ? rows(v as Record<string, unknown>, path, top || k) : [[path, v, top || k] as [string, unknown, string]];
  });
}

function shown(path: string, v: unknown): string {
  if (v === SECRET_MASK || (isSecret(path.split('.').pop() ?? '') && v)) return `${SECRET_MASK} (masqué)`;
  if (v === '' || v === null || v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function ConnectorCard({ c }: { c: ConnectorSummary }) {
  const entries = rows(c.config);
  const optional = c.connector === 'tsa';
  return (
    <section className="paraphe-card fr-p-3w fr-mb-3w" aria-labelledby={`conn-${c.connector}`}>
      <div className="paraphe-title-row">
        <h2 id={`conn-${c.connector}`} className="fr-h5 fr-mb-1w">{c.label}</h2>
        {entries.length === 0 ? (
          <Badge small noIcon>{optional ? 'Non configuré (facultatif)' : 'Non configuré'}</Badge>
        ) : c.complete ? (
          <Badge small severity="success">Configuré</Badge>
        ) : (
          <Badge small severity="warning">Incomplet</Badge>
        )}
      </div>
      <p className="fr-text--sm">{INTRO[c.connector]}</p>
      {entries.length > 0 && (
        <dl className="paraphe-dl" data-testid={`connector-${c.connector}`}>
          {entries.map(([path, v, top]) => (
            <div key={path}>
              <dt>{FIELD_LABELS[path] ?? path}</dt>
              <dd>
                {shown(path, v)}
                <span className="fr-text--xs fr-ml-1w">({ORIGIN_LABELS[c.origin[top] ?? ''] ?? c.origin[top]})</span>
              </dd>
            </div>
          ))}
        </dl>
      )}
      {!c.complete && entries.length > 0 && <p className="fr-text--sm fr-mt-1w fr-mb-0">{`Réglages manquants ou invalides : ${c.problems.map((p) => FIELD_LABELS[p.path] ?? (p.path || 'configuration')).join(', ')}.`}</p>}
    </section>
  );
}

/** Read view of the collectivité's effective signing settings (operator → group → collectivité), secrets masked. */
export function ConnectorsPage({ cid }: { cid: string }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const list = useResource<{ items: ConnectorSummary[] }>(can.admin(role) ? `/api/collectivites/${cid}/connectors` : null);
  const title = 'Certificats, cachet et horodatage';
  const breadcrumb = [{ label: 'Administration', href: `/c/${cid}/administration/utilisateurs` }];
  if (!can.admin(role)) return <><PageTitle title={title} /><Alert severity="error" title="Accès refusé" description="Cette page est réservée aux administrateurs de la collectivité." /></>;
  return (
    <>
      <PageTitle title={title} breadcrumb={breadcrumb} />
      <p>
        Configuration effective pour la collectivité : chaque réglage vient de l’opérateur, du groupe de collectivités ou de la collectivité elle-même.
        Les mots de passe et codes PIN ne sont jamais affichés.
      </p>
      {session.user.operatorRole === 'operator_admin' ? (
        <p><Link className="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/operateur/certificats">Modifier la configuration par défaut de l’opérateur</Link></p>
      ) : (
        <p className="fr-text--sm">Pour changer ces réglages, adressez-vous à l’opérateur de la plateforme.</p>
      )}
      <ErrorAlert message={list.error} />
      {!list.data ? <Loading what="Chargement de la configuration" /> : list.data.items.filter((c) => (SIGNING_CONNECTORS as readonly string[]).includes(c.connector)).map((c) => <ConnectorCard key={c.connector} c={c} />)}
    </>
  );
}

interface OperatorConnector { connector: string; label: string; config: Record<string, unknown> }

/** The operator admin's edit forms for the signing settings inherited by every collectivité. */
export function OperatorConnectorsPage() {
  const { session } = useSession();
  const admin = session.user.operatorRole === 'operator_admin';
  const list = useResource<{ items: OperatorConnector[] }>(admin ? '/api/connectors' : null);
  const [notice, setNotice] = useState<string | null>(null);
  const title = 'Certificats, cachet et horodatage (opérateur)';
  if (!admin) return <><PageTitle title={title} /><Alert severity="error" title="Accès refusé" description="Cette page est réservée à l’administration de l’opérateur." /></>;
  const get = (name: string) => list.data?.items.find((c) => c.connector === name);
  const done = (m: string) => {
    setNotice(m);
    list.reload();
  };
  return (
    <>
      <PageTitle title={title} breadcrumb={[{ label: 'Opérateur', href: '/operateur' }]} />
      <p>
        Configuration par défaut, héritée par toutes les collectivités qui ne la surchargent pas. Les mots de passe et codes PIN enregistrés ne sont jamais
        affichés : laissez le champ vide pour les garder.
      </p>
      {notice && <Alert className="fr-mb-3w" severity="success" small description={notice} closable onClose={() => setNotice(null)} />}
      <ErrorAlert message={list.error} />
      {!list.data ? (
        <Loading what="Chargement de la configuration" />
      ) : (
        <>
          <TrustForm current={get('parapheur-certificats')} onDone={done} />
          <SealForm current={get('parapheur-seal')} onDone={done} />
          <TsaForm current={get('tsa')} onDone={done} />
        </>
      )}
    </>
  );
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

function useSave(connector: string, label: string, onDone: (m: string) => void) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (e: FormEvent, config: Record<string, unknown>) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await api('PUT', `/api/connectors/${connector}`, { config });
      onDone(`« ${label} » : configuration enregistrée.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return { error, setError, busy, save };
}

function FormCard({ id, title, intro, error, busy, onSubmit, children }: { id: string; title: string; intro: string; error: string | null; busy: boolean; onSubmit: (e: FormEvent) => void; children: React.ReactNode }) {
  return (
    <form className="paraphe-card fr-p-3w fr-mb-3w paraphe-form" aria-labelledby={id} noValidate onSubmit={onSubmit}>
      <h2 id={id} className="fr-h5">{title}</h2>
      <p className="fr-text--sm">{intro}</p>
      {error && <Alert className="fr-mb-3w" severity="error" title="Enregistrement refusé" description={error} role="alert" />}
      {children}
      <Button type="submit" disabled={busy}>Enregistrer</Button>
    </form>
  );
}

function TrustForm({ current, onDone }: { current: OperatorConnector | undefined; onDone: (m: string) => void }) {
  const [path, setPath] = useState(str(current?.config.trustAnchorsPath));
  const s = useSave('parapheur-certificats', 'Autorités de confiance', onDone);
  return (
    <FormCard id="form-trust" title="Autorités de certification de confiance" intro={INTRO['parapheur-certificats']!} error={s.error} busy={s.busy} onSubmit={(e) => (path.trim() ? void s.save(e, { trustAnchorsPath: path.trim() }) : (e.preventDefault(), s.setError('Indiquez le dossier des certificats d’autorité.')))}>
      <Input label="Dossier des certificats d’autorité de confiance (PEM) (obligatoire)" nativeInputProps={{ value: path, onChange: (e) => setPath(e.target.value) }} />
    </FormCard>
  );
}

/** A password/PIN field that never shows the stored secret: empty keeps it (the mask goes back to the API). */
function SecretInput({ label, stored, value, onChange }: { label: string; stored: boolean; value: string; onChange: (v: string) => void }) {
  return (
    <Input
      label={label}
      hintText={stored ? 'Une valeur est enregistrée (masquée) : laissez vide pour la garder.' : 'Aucune valeur enregistrée.'}
      nativeInputProps={{ type: 'password', autoComplete: 'new-password', value, onChange: (e) => onChange(e.target.value) }}
    />
  );
}

function SealForm({ current, onDone }: { current: OperatorConnector | undefined; onDone: (m: string) => void }) {
  const c = current?.config ?? {};
  const k = (c.pkcs11 ?? {}) as Record<string, unknown>;
  const [mode, setMode] = useState<'p12' | 'pkcs11'>(c.pkcs11 ? 'pkcs11' : 'p12');
  const [p12Path, setP12Path] = useState(str(c.p12Path));
  const [password, setPassword] = useState('');
  const [module, setModule] = useState(str(k.module));
  const [tokenLabel, setTokenLabel] = useState(str(k.tokenLabel));
  const [pin, setPin] = useState('');
  const [keyLabel, setKeyLabel] = useState(str(k.keyLabel));
  const [chainPath, setChainPath] = useState(str(k.chainPath));
  const s = useSave('parapheur-seal', 'Cachet serveur', onDone);
  const passwordStored = c.password === SECRET_MASK;
  const pinStored = k.pin === SECRET_MASK;
  const submit = (e: FormEvent) => {
    if (mode === 'p12') {
      if (!p12Path.trim()) return (e.preventDefault(), s.setError('Indiquez le fichier PKCS#12 du cachet.'));
      return void s.save(e, { p12Path: p12Path.trim(), password: password || (passwordStored ? SECRET_MASK : '') });
    }
    if (!module.trim() || !tokenLabel.trim() || !keyLabel.trim() || !chainPath.trim() || (!pin && !pinStored)) return (e.preventDefault(), s.setError('Tous les réglages du jeton PKCS#11 sont obligatoires, code PIN compris.'));
    return void s.save(e, { pkcs11: { module: module.trim(), tokenLabel: tokenLabel.trim(), pin: pin || SECRET_MASK, keyLabel: keyLabel.trim(), chainPath: chainPath.trim() } });
  };
  return (
    <FormCard id="form-seal" title="Cachet serveur" intro={INTRO['parapheur-seal']!} error={s.error} busy={s.busy} onSubmit={submit}>
      <RadioButtons
        legend="Où se trouve la clé du cachet ?"
        name="seal-mode"
        options={[
          { label: 'Fichier PKCS#12', nativeInputProps: { checked: mode === 'p12', onChange: () => setMode('p12') } },
          { label: 'Jeton PKCS#11 (HSM, SoftHSM2)', nativeInputProps: { checked: mode === 'pkcs11', onChange: () => setMode('pkcs11') } },
        ]}
      />
      {mode === 'p12' ? (
        <>
          <Input label="Fichier PKCS#12 du cachet serveur (obligatoire)" nativeInputProps={{ value: p12Path, onChange: (e) => setP12Path(e.target.value) }} />
          <SecretInput label="Mot de passe du PKCS#12" stored={passwordStored} value={password} onChange={setPassword} />
        </>
      ) : (
        <>
          <Input label="Module PKCS#11 (obligatoire)" hintText="Par exemple /usr/lib/softhsm/libsofthsm2.so" nativeInputProps={{ value: module, onChange: (e) => setModule(e.target.value) }} />
          <Input label="Étiquette du jeton (obligatoire)" nativeInputProps={{ value: tokenLabel, onChange: (e) => setTokenLabel(e.target.value) }} />
          <SecretInput label="Code PIN du jeton (obligatoire)" stored={pinStored} value={pin} onChange={setPin} />
          <Input label="Étiquette de la clé privée (obligatoire)" nativeInputProps={{ value: keyLabel, onChange: (e) => setKeyLabel(e.target.value) }} />
          <Input label="Chaîne de certificats PEM (obligatoire)" nativeInputProps={{ value: chainPath, onChange: (e) => setChainPath(e.target.value) }} />
        </>
      )}
    </FormCard>
  );
}

function TsaForm({ current, onDone }: { current: OperatorConnector | undefined; onDone: (m: string) => void }) {
  const [url, setUrl] = useState(str(current?.config.url));
  const s = useSave('tsa', 'Horodatage', onDone);
  return (
    <FormCard id="form-tsa" title="Horodatage (RFC 3161)" intro={INTRO.tsa!} error={s.error} busy={s.busy} onSubmit={(e) => void s.save(e, url.trim() ? { url: url.trim() } : {})}>
      <Input label="URL du service d’horodatage" hintText="Vide : pas d’horodatage." nativeInputProps={{ type: 'url', value: url, onChange: (e) => setUrl(e.target.value) }} />
    </FormCard>
  );
}
