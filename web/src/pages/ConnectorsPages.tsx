import { useState, type FormEvent } from 'react';
import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { api, errorMessage } from '../api';
import { useResource } from '../hooks';
import { can, roleIn, useSession } from '../session';
import { Link } from '../router';
import { ErrorAlert, Loading, PageTitle } from '../components/common';

/** What the API sends in place of a secret: the value itself never reaches the browser. */
export const SECRET_MASK = '••••••••';
/** The connectors of signing: trust anchors for signers' certificates, the server seal, the timestamp authority. */
const SIGNING_CONNECTORS = ['parapheur-certificats', 'parapheur-seal', 'tsa'] as const;
/** Shown to the collectivité: the signing connectors, then the HELIOS gateway account. */
const COLLECTIVITE_CONNECTORS = [...SIGNING_CONNECTORS, 'tdt-helios'] as const;

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
  pkcs12: 'PKCS#12 du cachet déposé par la collectivité',
  host: 'Serveur FTP de la passerelle DGFiP',
  port: 'Port FTP',
  user: 'Identifiant FTP',
  secure: 'FTPS explicite',
  pDest: 'Code serveur DGFiP (SITE P_DEST)',
  pAppli: 'Application (SITE P_APPLI)',
  'tdt-helios:password': 'Mot de passe FTP',
};
/** A setting's label, the connector's own first (the same key means different things in different connectors). */
const fieldLabel = (connector: string, path: string): string => FIELD_LABELS[`${connector}:${path}`] ?? FIELD_LABELS[path] ?? path;
const ORIGIN_LABELS: Record<string, string> = { operator: 'Hérité de l’opérateur', group: 'Hérité du groupe de collectivités', collectivite: 'Propre à la collectivité' };
const INTRO: Record<string, string> = {
  'parapheur-certificats': 'Les autorités de certification auxquelles Paraphe fait confiance pour vérifier les certificats personnels des signataires.',
  'parapheur-seal': 'Le certificat de cachet serveur de la collectivité, apposé automatiquement aux étapes « cachet » des circuits.',
  tsa: 'Facultatif : quand il est configuré, chaque signature reçoit un jeton d’horodatage (niveau B-T).',
  'tdt-helios': 'Le compte de la collectivité sur la passerelle FTP de la DGFiP, par lequel partent les flux PES et reviennent les acquittements.',
};

interface ConnectorSummary {
  connector: string;
  label: string;
  config: Record<string, unknown>;
  origin: Record<string, string>;
  complete: boolean;
  problems: { path: string; message: string }[];
}

const isSecret = (key: string) => /password|passphrase|^pass$|pin$|secret|motdepasse|privatekey|apikey|^pkcs12$/i.test(key);

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

function ConnectorCard({ c, children }: { c: ConnectorSummary; children?: React.ReactNode }) {
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
              <dt>{fieldLabel(c.connector, path)}</dt>
              <dd>
                {shown(path, v)}
                <span className="fr-text--xs fr-ml-1w">({ORIGIN_LABELS[c.origin[top] ?? ''] ?? c.origin[top]})</span>
              </dd>
            </div>
          ))}
        </dl>
      )}
      {!c.complete && entries.length > 0 && <p className="fr-text--sm fr-mt-1w fr-mb-0">{`Réglages manquants ou invalides : ${c.problems.map((p) => (p.path ? fieldLabel(c.connector, p.path) : 'configuration')).join(', ')}.`}</p>}
      {children}
    </section>
  );
}

/**
 * The collectivité's effective settings (operator → group → collectivité), secrets masked; its administrator
 * overrides them for the collectivité (seal PKCS#12 upload, timestamping, HELIOS account) or goes back to the
 * inherited ones.
 */
export function ConnectorsPage({ cid }: { cid: string }) {
  const { session } = useSession();
  const role = roleIn(session, cid);
  const list = useResource<{ items: ConnectorSummary[] }>(can.admin(role) ? `/api/collectivites/${cid}/connectors` : null);
  const seal = useResource<SealSummary>(can.admin(role) ? `/api/collectivites/${cid}/cachet-serveur` : null);
  const [notice, setNotice] = useState<string | null>(null);
  const title = 'Certificats, cachet et horodatage';
  const breadcrumb = [{ label: 'Administration', href: `/c/${cid}/administration/utilisateurs` }];
  if (!can.admin(role)) return <><PageTitle title={title} /><Alert severity="error" title="Accès refusé" description="Cette page est réservée aux administrateurs de la collectivité." /></>;
  const done = (m: string) => {
    setNotice(m);
    list.reload();
    seal.reload();
  };
  const forms: Record<string, (c: ConnectorSummary) => React.ReactNode> = {
    'parapheur-seal': () => <SealUploadForm cid={cid} summary={seal.data} error={seal.error} onDone={done} />,
    tsa: (c) => <CollectiviteTsaForm cid={cid} c={c} onDone={done} />,
    'tdt-helios': (c) => <CollectiviteHeliosForm cid={cid} c={c} onDone={done} />,
  };
  return (
    <>
      <PageTitle title={title} breadcrumb={breadcrumb} />
      <p>
        Configuration effective pour la collectivité : chaque réglage vient de l’opérateur, du groupe de collectivités ou de la collectivité elle-même.
        Vous pouvez remplacer les réglages hérités pour votre collectivité. Les mots de passe et codes PIN ne sont jamais affichés.
      </p>
      {session.user.operatorRole === 'operator_admin' && (
        <p><Link className="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/operateur/certificats">Modifier la configuration par défaut de l’opérateur</Link></p>
      )}
      {notice && <Alert className="fr-mb-3w" severity="success" small description={notice} closable onClose={() => setNotice(null)} />}
      <ErrorAlert message={list.error} />
      {!list.data ? (
        <Loading what="Chargement de la configuration" />
      ) : (
        list.data.items
          .filter((c) => (COLLECTIVITE_CONNECTORS as readonly string[]).includes(c.connector))
          .sort((a, b) => COLLECTIVITE_CONNECTORS.indexOf(a.connector as never) - COLLECTIVITE_CONNECTORS.indexOf(b.connector as never))
          .map((c) => (
            <ConnectorCard key={c.connector} c={c}>
              {forms[c.connector]?.(c)}
              {Object.values(c.origin).includes('collectivite') && <ResetOverride cid={cid} c={c} onDone={done} />}
            </ConnectorCard>
          ))
      )}
    </>
  );
}

interface SealCertificate { sujet: string; emetteur: string; valideDu: string; valideJusquAu: string }
interface SealSummary { source: 'pkcs12' | 'p12Path' | 'pkcs11' | null; origine: string | null; certificat: SealCertificate | null; erreur: string | null }
const SEAL_SOURCE: Record<string, string> = { pkcs12: 'PKCS#12 déposé', p12Path: 'fichier PKCS#12 sur le serveur', pkcs11: 'jeton PKCS#11' };
const frDate = (iso: string) => new Date(iso).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' });

/** Reads a file as base64 (without the data: prefix). */
async function fileBase64(f: File): Promise<string> {
  const bytes = new Uint8Array(await f.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Upload of the collectivité's seal PKCS#12 with its password: checked by the server, kept sealed, never shown again. */
function SealUploadForm({ cid, summary, error, onDone }: { cid: string; summary: SealSummary | null | undefined; error: string | null; onDone: (m: string) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    if (!file) return setFailure('Choisissez le fichier PKCS#12 (.p12 ou .pfx) du cachet.');
    setBusy(true);
    try {
      const s = await api<SealSummary>('PUT', `/api/collectivites/${cid}/cachet-serveur`, { pkcs12: await fileBase64(file), password });
      setPassword('');
      setFile(null);
      (e.target as HTMLFormElement).reset();
      onDone(`Cachet serveur enregistré pour la collectivité${s.certificat ? ` : ${s.certificat.sujet}` : ''}.`);
    } catch (err) {
      setFailure(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <ErrorAlert message={error} />
      {summary && (
        <p className="fr-text--sm" data-testid="seal-summary">
          {summary.source === null
            ? 'Aucun cachet serveur ne s’applique à la collectivité.'
            : summary.certificat
              ? `Cachet en usage (${SEAL_SOURCE[summary.source] ?? summary.source}, ${(ORIGIN_LABELS[summary.origine ?? ''] ?? '').toLowerCase()}) : ${summary.certificat.sujet}, émis par ${summary.certificat.emetteur}, valable jusqu’au ${frDate(summary.certificat.valideJusquAu)}.`
              : `Cachet configuré (${SEAL_SOURCE[summary.source] ?? summary.source}) mais illisible : ${summary.erreur ?? 'erreur inconnue'}`}
        </p>
      )}
      <form className="paraphe-form fr-mt-2w" aria-labelledby="form-seal-upload" noValidate onSubmit={(e) => void submit(e)}>
        <h3 id="form-seal-upload" className="fr-h6">Déposer le certificat du cachet de la collectivité</h3>
        <p className="fr-text--sm">Le fichier et son mot de passe sont vérifiés, puis conservés chiffrés : ils ne sont plus jamais affichés ni renvoyés au navigateur.</p>
        {failure && <Alert className="fr-mb-3w" severity="error" title="Dépôt refusé" description={failure} role="alert" />}
        <div className="fr-upload-group fr-mb-3w">
          <label className="fr-label" htmlFor="seal-p12">
            Fichier PKCS#12 du cachet (obligatoire)
            <span className="fr-hint-text">Formats .p12 ou .pfx : certificat du cachet serveur et sa clé privée.</span>
          </label>
          <input className="fr-upload" type="file" id="seal-p12" accept=".p12,.pfx,application/x-pkcs12" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <Input label="Mot de passe du PKCS#12" nativeInputProps={{ type: 'password', autoComplete: 'new-password', value: password, onChange: (e) => setPassword(e.target.value) }} />
        <Button type="submit" disabled={busy}>{busy ? 'Vérification…' : 'Déposer le certificat du cachet'}</Button>
      </form>
    </>
  );
}

function useCollectiviteSave(cid: string, connector: string, label: string, onDone: (m: string) => void) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (e: FormEvent | null, config: Record<string, unknown>, message = `« ${label} » : réglages enregistrés pour la collectivité.`): Promise<boolean> => {
    e?.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await api('PUT', `/api/collectivites/${cid}/connectors/${connector}`, { config });
      onDone(message);
      return true;
    } catch (err) {
      setError(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { error, setError, busy, save };
}

/** Drops the collectivité's own settings of a connector: the inherited ones apply again. */
function ResetOverride({ cid, c, onDone }: { cid: string; c: ConnectorSummary; onDone: (m: string) => void }) {
  const s = useCollectiviteSave(cid, c.connector, c.label, onDone);
  return (
    <div className="fr-mt-2w">
      <ErrorAlert message={s.error} />
      <Button priority="tertiary" size="small" disabled={s.busy} onClick={() => void s.save(null, {}, `« ${c.label} » : la collectivité reprend les réglages hérités.`)}>
        Revenir aux réglages hérités<span className="fr-sr-only"> pour « {c.label} »</span>
      </Button>
    </div>
  );
}

function CollectiviteTsaForm({ cid, c, onDone }: { cid: string; c: ConnectorSummary; onDone: (m: string) => void }) {
  const [url, setUrl] = useState(str(c.config.url));
  const s = useCollectiviteSave(cid, 'tsa', c.label, onDone);
  return (
    <form className="paraphe-form fr-mt-2w" aria-labelledby="form-tsa-collectivite" noValidate onSubmit={(e) => (url.trim() ? void s.save(e, { url: url.trim() }) : (e.preventDefault(), s.setError('Indiquez l’URL du service d’horodatage.')))}>
      <h3 id="form-tsa-collectivite" className="fr-h6">Horodatage propre à la collectivité</h3>
      {s.error && <Alert className="fr-mb-3w" severity="error" title="Enregistrement refusé" description={s.error} role="alert" />}
      <Input label="URL du service d’horodatage (obligatoire)" nativeInputProps={{ type: 'url', value: url, onChange: (e) => setUrl(e.target.value) }} />
      <Button type="submit" disabled={s.busy}>Enregistrer pour la collectivité<span className="fr-sr-only"> (horodatage)</span></Button>
    </form>
  );
}

function CollectiviteHeliosForm({ cid, c, onDone }: { cid: string; c: ConnectorSummary; onDone: (m: string) => void }) {
  const cfg = c.config;
  const [host, setHost] = useState(str(cfg.host));
  const [port, setPort] = useState(typeof cfg.port === 'number' ? String(cfg.port) : '21');
  const [user, setUser] = useState(str(cfg.user));
  const [password, setPassword] = useState('');
  const [pDest, setPDest] = useState(str(cfg.pDest));
  const [pAppli, setPAppli] = useState(str(cfg.pAppli) || 'GHELPES2');
  const [secure, setSecure] = useState(cfg.secure === true);
  const s = useCollectiviteSave(cid, 'tdt-helios', c.label, onDone);
  const passwordStored = cfg.password === SECRET_MASK;
  const submit = (e: FormEvent) => {
    const n = Number(port);
    if (!host.trim() || !user.trim() || !pDest.trim() || (!password && !passwordStored)) return (e.preventDefault(), s.setError('Le serveur, l’identifiant, le mot de passe et le code P_DEST sont obligatoires.'));
    if (!Number.isInteger(n) || n < 1 || n > 65535) return (e.preventDefault(), s.setError('Le port est un nombre entre 1 et 65535.'));
    // The typed password leaves the form once saved: the page shows only that a value is stored.
    return void s.save(e, { host: host.trim(), port: n, user: user.trim(), password: password || SECRET_MASK, pDest: pDest.trim(), pAppli: pAppli.trim() || 'GHELPES2', secure }).then((ok) => ok && setPassword(''));
  };
  return (
    <form className="paraphe-form fr-mt-2w" aria-labelledby="form-helios-collectivite" noValidate onSubmit={submit}>
      <h3 id="form-helios-collectivite" className="fr-h6">Compte HELIOS propre à la collectivité</h3>
      {s.error && <Alert className="fr-mb-3w" severity="error" title="Enregistrement refusé" description={s.error} role="alert" />}
      <Input label="Serveur FTP de la passerelle DGFiP (obligatoire)" nativeInputProps={{ value: host, onChange: (e) => setHost(e.target.value) }} />
      <Input label="Port FTP" nativeInputProps={{ inputMode: 'numeric', value: port, onChange: (e) => setPort(e.target.value) }} />
      <Input label="Identifiant FTP (obligatoire)" nativeInputProps={{ autoComplete: 'off', value: user, onChange: (e) => setUser(e.target.value) }} />
      <SecretInput label="Mot de passe FTP (obligatoire)" stored={passwordStored} value={password} onChange={setPassword} />
      <Input label="Code serveur DGFiP, SITE P_DEST (obligatoire)" hintText="Par exemple VHPCE11" nativeInputProps={{ value: pDest, onChange: (e) => setPDest(e.target.value) }} />
      <Input label="Application, SITE P_APPLI" nativeInputProps={{ value: pAppli, onChange: (e) => setPAppli(e.target.value) }} />
      <Checkbox options={[{ label: 'FTPS explicite (connexion chiffrée)', nativeInputProps: { checked: secure, onChange: (e) => setSecure(e.target.checked) } }]} />
      <Button type="submit" disabled={s.busy}>Enregistrer pour la collectivité<span className="fr-sr-only"> (HELIOS)</span></Button>
    </form>
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
