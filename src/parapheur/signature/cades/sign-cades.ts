/**
 * Detached CAdES signatures (ETSI EN 319 122-1 baseline B-B, and B-T when a TSA is configured) for files
 * that are neither PDF nor PES: office documents, spreadsheets, images, CSV... The file itself is never
 * touched: the result is a `.p7s` (CMS SignedData without encapsulated content) next to it.
 *
 * Same CMS builder as PAdES (../pades/cms.ts, pkijs/asn1js), with the signed attributes the CAdES baseline
 * requires: content-type, message-digest, signing-time and ESS signing-certificate-v2. The B-T level adds
 * the signature timestamp (RFC 3161 over the signature value) as an unsigned attribute.
 *
 * Two-phase flow, like PAdES: prepareCadesSignature (certificate checks, signed attributes: the bytes to
 * sign), the device signs them, assembleCadesSignature (checks the value against the certificate and the
 * content, timestamp, CMS). Everything in the prepared object is plain data so it can wait in a session.
 */
import { AppError } from '../../../shared/errors.ts';
import { assertCertificateAcceptable, type CertificateEvidence, type CertificateVerdictCache } from '../certificates/verify-certificate.ts';
import type { CrlSource } from '../certificates/crl-source.ts';
import { type TimestampClient } from '../tsa/tsa-client.ts';
import { buildSignedAttributes } from '../pades/cms.ts';
import { finishCmsSignature, sha256, type FinishCmsOptions } from '../pades/finish-cms.ts';
import type { PadesKeySource } from '../pades/key-source.ts';
import type { SignatureUsage } from '../pades/sign-pdf.ts';

export type CadesLevel = 'B-B' | 'B-T';

export interface CadesSignOptions {
  level?: CadesLevel;
  /** RFC 3161 TSA URL; a configured URL implies B-T unless `level` says otherwise. */
  tsaUrl?: string;
  timestampClient?: TimestampClient;
  trustAnchors: Uint8Array[];
  /** personal (nonRepudiation required) or seal. Default: personal. */
  usage?: SignatureUsage;
  crlSource?: CrlSource;
  certificateCache?: CertificateVerdictCache;
  /** The claimed signing time written in the signing-time attribute; default now. */
  signingTime?: Date;
}

export interface PreparedCadesSignature {
  /** SHA-256 of the signed file (the message-digest attribute). */
  contentDigest: Uint8Array;
  /** DER of the signed attributes: the data to be signed. */
  signedAttributesDer: Uint8Array;
  signedAttributesDigest: Uint8Array;
  /** Signer certificate first, then its chain (DER). */
  certificateChain: Uint8Array[];
  level: CadesLevel;
  tsaUrl?: string;
  certificate: CertificateEvidence;
  /** ISO time written in the signing-time attribute (whole seconds). */
  signingTime: string;
  /** Co-signature (cosign-cades.ts): SHA-256 (hex) of the .p7s the new signer joins. */
  cosignedSha256?: string;
}

export interface CadesSignResult {
  /** DER of the CMS ContentInfo: the .p7s file. */
  p7s: Uint8Array;
  level: CadesLevel;
  certificate: CertificateEvidence;
  signingTime: string;
  timestampTime?: string;
}


function resolveLevel(options: Pick<CadesSignOptions, 'level' | 'tsaUrl' | 'timestampClient'>): CadesLevel {
  const level = options.level ?? (options.tsaUrl || options.timestampClient ? 'B-T' : 'B-B');
  if (level !== 'B-B' && level !== 'B-T') throw new AppError('BAD_INPUT', `Niveau de signature non pris en charge : ${String(level)}`, `unsupported CAdES level ${String(level)}`);
  if (level === 'B-T' && !options.tsaUrl && !options.timestampClient) throw new AppError('BAD_INPUT', 'Le niveau B-T exige un serveur d’horodatage', 'B-T requested without a TSA');
  return level;
}

export async function prepareCadesSignature(content: Uint8Array, certificateChain: Uint8Array[], options: CadesSignOptions): Promise<PreparedCadesSignature> {
  const level = resolveLevel(options);
  const signerCert = certificateChain[0];
  if (!signerCert) throw new AppError('BAD_INPUT', 'Certificat du signataire absent', 'empty certificate chain');
  if (content.length === 0) throw new AppError('BAD_INPUT', 'Le fichier à signer est vide', 'empty content');
  const certificate = await assertCertificateAcceptable({
    certificate: signerCert,
    intermediates: certificateChain.slice(1),
    trustAnchors: options.trustAnchors,
    usage: options.usage ?? 'personal',
    crlSource: options.crlSource,
    ...(options.certificateCache ? { cache: options.certificateCache } : {}),
  });
  const signingTime = new Date(Math.floor((options.signingTime ?? new Date()).getTime() / 1000) * 1000);
  const contentDigest = sha256(content);
  const attrs = buildSignedAttributes(contentDigest, signerCert, { signingTime });
  return {
    contentDigest,
    signedAttributesDer: attrs.der,
    signedAttributesDigest: sha256(attrs.der),
    certificateChain,
    level,
    ...(options.tsaUrl ? { tsaUrl: options.tsaUrl } : {}),
    certificate,
    signingTime: signingTime.toISOString(),
  };
}

export type AssembleCadesOptions = FinishCmsOptions;

/**
 * Checks the device's value over the prepared signed attributes with the signer's public key, and that the
 * prepared attributes still describe `content` and the certificate; then timestamp (B-T) and CMS.
 */
export async function assembleCadesSignature(prepared: PreparedCadesSignature, content: Uint8Array, signatureValue: Uint8Array, options: AssembleCadesOptions = {}): Promise<CadesSignResult> {
  const { cms: p7s, certificate, timestampTime } = await finishCmsSignature(prepared, sha256(content), signatureValue, { ...options, requireSigningTime: true });
  return { p7s, level: prepared.level, certificate, signingTime: prepared.signingTime, ...(timestampTime ? { timestampTime } : {}) };
}

/** One-step signing with a key source (PKCS#12, PKCS#11): the server seal and `paraphe cades sign`. */
export async function signCades(content: Uint8Array, keySource: PadesKeySource, options: CadesSignOptions): Promise<CadesSignResult> {
  const chain = await keySource.getCertificateChain();
  const prepared = await prepareCadesSignature(content, chain, options);
  const value = await keySource.sign({ data: prepared.signedAttributesDer, digest: prepared.signedAttributesDigest, digestAlgorithm: 'SHA-256' });
  return assembleCadesSignature(prepared, content, value, options.timestampClient ? { timestampClient: options.timestampClient } : {});
}

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** The prepared signature as JSON, for the two-phase session. */
export function serializePreparedCades(p: PreparedCadesSignature): Record<string, unknown> {
  return {
    contentDigest: b64(p.contentDigest),
    signedAttributesDer: b64(p.signedAttributesDer),
    signedAttributesDigest: b64(p.signedAttributesDigest),
    certificateChain: p.certificateChain.map(b64),
    level: p.level,
    ...(p.tsaUrl ? { tsaUrl: p.tsaUrl } : {}),
    certificate: p.certificate,
    signingTime: p.signingTime,
    ...(p.cosignedSha256 ? { cosignedSha256: p.cosignedSha256 } : {}),
  };
}

export function deserializePreparedCades(p: Record<string, unknown>): PreparedCadesSignature {
  return {
    contentDigest: fromB64(p.contentDigest as string),
    signedAttributesDer: fromB64(p.signedAttributesDer as string),
    signedAttributesDigest: fromB64(p.signedAttributesDigest as string),
    certificateChain: (p.certificateChain as string[]).map(fromB64),
    level: p.level as CadesLevel,
    ...(p.tsaUrl ? { tsaUrl: p.tsaUrl as string } : {}),
    certificate: p.certificate as CertificateEvidence,
    signingTime: p.signingTime as string,
    ...(typeof p.cosignedSha256 === 'string' ? { cosignedSha256: p.cosignedSha256 } : {}),
  };
}
