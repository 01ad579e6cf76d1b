/**
 * Connector settings the parapheur reads (inherited operator → group → collectivité): the trust anchors
 * for signers' certificates, the collectivité's seal (PKCS#12) and the optional TSA (B-T when set).
 * CRLs and timestamps go through the signature library's injectable sources.
 */
import { z } from 'zod';
import type { Deps } from '../app/deps.ts';
import { connectorConfigFor, resolveConnectorConfig } from '../connectors/connectors.ts';
import { AppError } from '../shared/errors.ts';
import { loadTrustAnchors } from './signature/certificates/trust-anchors.ts';
import { HttpCrlSource, type CrlSource } from './signature/certificates/crl-source.ts';
import { Pkcs12KeySource, type PadesKeySource } from './signature/pades/key-source.ts';
import type { PadesLevel } from './signature/pades/sign-pdf.ts';
import { Pkcs11KeySource } from './signature/pades/pkcs11-key-source.ts';

export const trustConfig = z.object({ trustAnchorsPath: z.string().min(1).describe('Dossier des certificats d’autorité de confiance (PEM)') });
export const pkcs11Settings = z.object({
  module: z.string().min(1).describe('Module PKCS#11, ex. /usr/lib/softhsm/libsofthsm2.so'),
  tokenLabel: z.string().min(1).describe('Étiquette du jeton'),
  pin: z.string().min(1).describe('Code PIN du jeton'),
  keyLabel: z.string().min(1).describe('Étiquette (CKA_LABEL) de la clé privée'),
  chainPath: z.string().min(1).describe('Fichier PEM : certificat de la clé puis sa chaîne'),
});
export const sealConfig = z.union([
  z.object({ p12Path: z.string().min(1).describe('Fichier PKCS#12 du cachet serveur'), password: z.string().describe('Mot de passe du PKCS#12') }),
  z.object({ pkcs12: z.string().min(1).describe('PKCS#12 du cachet déposé par la collectivité (base64, conservé scellé)'), password: z.string().describe('Mot de passe du PKCS#12') }),
  z.object({ pkcs11: pkcs11Settings.describe('Clé du cachet sur un jeton PKCS#11 (HSM, SoftHSM2)') }),
]);
export const tsaConfig = z.object({ url: z.url().describe('URL du service d’horodatage RFC 3161') });

export const CONNECTOR_TRUST = 'parapheur-certificats';
export const CONNECTOR_SEAL = 'parapheur-seal';
export const CONNECTOR_TSA = 'tsa';

export interface SigningSources {
  crlSource: CrlSource;
}

const sources = new WeakMap<Deps, SigningSources>();

export function setSigningSources(deps: Deps, s: SigningSources): void {
  sources.set(deps, s);
}

export function signingSources(deps: Deps): SigningSources {
  let s = sources.get(deps);
  if (!s) {
    s = { crlSource: new HttpCrlSource() };
    sources.set(deps, s);
  }
  return s;
}

export async function trustAnchorsFor(deps: Deps, collectiviteId: string): Promise<Uint8Array[]> {
  const c = await connectorConfigFor<z.infer<typeof trustConfig>>(deps.db, deps.connectors, collectiviteId, CONNECTOR_TRUST);
  return loadTrustAnchors(c.trustAnchorsPath);
}

export async function tsaUrlFor(deps: Deps, collectiviteId: string): Promise<string | undefined> {
  const { config } = await resolveConnectorConfig(deps.db, deps.connectors, collectiviteId, CONNECTOR_TSA);
  const parsed = tsaConfig.safeParse(config);
  return parsed.success ? parsed.data.url : undefined;
}

/** The typologie's PAdES level needs a timestamp server the collectivité does not have: a setting to fix, not a glitch. */
export class TimestampServerMissing extends AppError {
  constructor(level: PadesLevel, collectiviteId: string) {
    super('UNPROCESSABLE', `La typologie demande une signature PAdES ${level}, qui exige un service d’horodatage : aucun n’est configuré pour cette collectivité (connecteur « Horodatage (RFC 3161) »).`, `PAdES ${level} requested but no TSA is configured for collectivite ${collectiviteId}`);
  }
}

/**
 * The PAdES level a signature of this collectivité is made at, and the TSA it uses: the typologie's level, or
 * by default B-T with a TSA, B-B without. A level from B-T up without a TSA is refused, never lowered.
 */
export async function padesLevelFor(deps: Deps, collectiviteId: string, wanted: PadesLevel | null): Promise<{ level: PadesLevel; tsaUrl?: string }> {
  const tsaUrl = await tsaUrlFor(deps, collectiviteId);
  const level = wanted ?? (tsaUrl ? 'B-T' : 'B-B');
  if (level !== 'B-B' && !tsaUrl) {
    throw new TimestampServerMissing(level, collectiviteId);
  }
  return { level, ...(tsaUrl ? { tsaUrl } : {}) };
}

const SCOPE_RANK: Record<string, number> = { operator: 0, group: 1, collectivite: 2 };

/**
 * Which of the seal's key settings applies when the inherited ones mix several (the operator names a file, the
 * collectivité uploaded its own PKCS#12): the one set closest to the collectivité.
 */
export function sealKind(config: Record<string, unknown>, origin: Record<string, string>): 'pkcs11' | 'pkcs12' | 'p12Path' | null {
  const present = (['pkcs11', 'pkcs12', 'p12Path'] as const).filter((k) => config[k] !== undefined && config[k] !== '');
  present.sort((a, b) => (SCOPE_RANK[origin[b] ?? ''] ?? -1) - (SCOPE_RANK[origin[a] ?? ''] ?? -1));
  return present[0] ?? null;
}

/** The collectivité's seal key: a PKCS#12 (file, or uploaded and kept sealed) or a PKCS#11 token, behind the one key-source interface. */
export async function sealKeyFor(deps: Deps, collectiviteId: string): Promise<PadesKeySource> {
  const { config, origin } = await resolveConnectorConfig(deps.db, deps.connectors, collectiviteId, CONNECTOR_SEAL);
  const kind = sealKind(config, origin);
  const only = kind === 'pkcs11' ? { pkcs11: config.pkcs11 } : kind === 'pkcs12' ? { pkcs12: config.pkcs12, password: config.password } : { p12Path: config.p12Path, password: config.password };
  const parsed = sealConfig.safeParse(only);
  if (!parsed.success) {
    throw new AppError('UNPROCESSABLE', 'Le connecteur « Parapheur : cachet serveur (PKCS#12) » n’est pas configuré pour cette collectivité.', `connector ${CONNECTOR_SEAL} misconfigured`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const c = parsed.data;
  if ('pkcs11' in c) return Pkcs11KeySource.open(c.pkcs11);
  if ('pkcs12' in c) return Pkcs12KeySource.openBytes(new Uint8Array(Buffer.from(c.pkcs12, 'base64')), c.password);
  return Pkcs12KeySource.openFile(c.p12Path, c.password);
}

export function markText(template: string, v: { signataire: string; pourCompteDe: string | null; date: Date }): string {
  const date = v.date.toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' });
  let t = template.replaceAll('{signataire}', v.signataire).replaceAll('{date}', date).replaceAll('{pourCompteDe}', v.pourCompteDe ?? '');
  if (v.pourCompteDe && !template.includes('{pourCompteDe}')) t = t.replace(v.signataire, `${v.signataire} pour le compte de ${v.pourCompteDe}`);
  return t;
}
