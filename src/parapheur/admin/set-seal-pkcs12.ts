/**
 * The collectivité's own seal: its administrator uploads the PKCS#12 (certificate and key of the « cachet
 * serveur ») with its password. Both are checked here — the file opens with the password, holds one key and
 * its certificate, valid today — then stored as the collectivité's `parapheur-seal` settings, replacing any
 * earlier override of its own: the PKCS#12 (base64) and the password are secrets, sealed with the platform key
 * (src/platform/secrets) and never sent back (reads mask them). setConnectorConfig journals the change (keys
 * only). `sealSummary` says which seal applies and which certificate it carries.
 */
import { X509Certificate } from 'node:crypto';
import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { AppError, badInput } from '../../shared/errors.ts';
import { resolveConnectorConfig } from '../../connectors/connectors.ts';
import { setConnectorConfig } from '../../connectors/set-connector-config.ts';
import { Pkcs12KeySource } from '../signature/pades/key-source.ts';
import { CONNECTOR_SEAL, sealKeyFor, sealKind } from '../signing-config.ts';

/** A PKCS#12 of a seal is a few kilobytes; this bounds what is kept in the settings. */
export const MAX_PKCS12_BYTES = 256 * 1024;

export interface SealCertificate { sujet: string; emetteur: string; numeroSerie: string; valideDu: string; valideJusquAu: string }

function describe(der: Uint8Array): SealCertificate {
  const c = new X509Certificate(Buffer.from(der));
  return { sujet: c.subject.replaceAll('\n', ', '), emetteur: c.issuer.replaceAll('\n', ', '), numeroSerie: c.serialNumber, valideDu: new Date(c.validFrom).toISOString(), valideJusquAu: new Date(c.validTo).toISOString() };
}

export async function setSealPkcs12(deps: Deps, actor: Actor, collectiviteId: string, input: { pkcs12: string; password: string }): Promise<SealCertificate> {
  const bytes = Buffer.from(input.pkcs12, 'base64');
  if (bytes.length === 0) throw badInput('Le fichier PKCS#12 est vide.', 'empty PKCS#12');
  if (bytes.length > MAX_PKCS12_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', `Le fichier PKCS#12 dépasse ${MAX_PKCS12_BYTES / 1024} Ko : ce n’est pas le certificat d’un cachet.`, `PKCS#12 of ${bytes.length} bytes`);
  const key = await Pkcs12KeySource.fromBytes(new Uint8Array(bytes), input.password);
  const [leaf] = await key.getCertificateChain();
  const cert = describe(leaf!);
  const now = deps.clock.now().getTime();
  if (new Date(cert.valideDu).getTime() > now || new Date(cert.valideJusquAu).getTime() < now) {
    throw badInput(`Le certificat du cachet (${cert.sujet}) n’est pas valide aujourd’hui : il l’est du ${new Date(cert.valideDu).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })} au ${new Date(cert.valideJusquAu).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })}.`, 'seal certificate not valid now');
  }
  await setConnectorConfig(deps, actor, { type: 'collectivite', id: collectiviteId }, CONNECTOR_SEAL, { pkcs12: bytes.toString('base64'), password: input.password });
  return cert;
}

export interface SealSummary {
  /** Where the seal key comes from: PKCS#12 deposited, PKCS#12 file on the server, PKCS#11 token; null: none. */
  source: 'pkcs12' | 'p12Path' | 'pkcs11' | null;
  /** Who set it: operator, group, collectivité. */
  origine: string | null;
  certificat: SealCertificate | null;
  /** Why the certificate cannot be read (wrong password, missing file…), in French. */
  erreur: string | null;
}

export async function sealSummary(deps: Deps, collectiviteId: string): Promise<SealSummary> {
  const { config, origin } = await resolveConnectorConfig(deps.db, deps.connectors, collectiviteId, CONNECTOR_SEAL);
  const source = sealKind(config, origin);
  if (!source) return { source: null, origine: null, certificat: null, erreur: null };
  try {
    const [leaf] = await (await sealKeyFor(deps, collectiviteId)).getCertificateChain();
    return { source, origine: origin[source] ?? null, certificat: describe(leaf!), erreur: null };
  } catch (e) {
    return { source, origine: origin[source] ?? null, certificat: null, erreur: e instanceof AppError ? e.messageFr : 'Certificat du cachet illisible.' };
  }
}
