/**
 * PAdES baseline signing: B-B, and B-T when a TSA is configured.
 *
 * Flow (also the two-phase API):
 *   1. preparePadesSignature: checks the signer certificate, optionally draws the visible mark (incremental
 *      update), lets @libpdf/core add the signature dictionary and field with a 32 KiB /Contents placeholder
 *      (incremental update), reads the ByteRange back, digests it and builds the CMS signed attributes
 *      (no signing-time, see cms.ts). Returns the prepared PDF + the DER of the signed attributes and its SHA-256.
 *   2. the key source (or an external device/service) signs those bytes.
 *   3. assemblePadesSignature: checks that the signature value matches the prepared data and the certificate,
 *      adds the signature timestamp (B-T), builds the CMS and writes it into /Contents.
 * Only /Contents (outside the ByteRange) is written in place; everything else is appended, so earlier
 * signatures stay valid.
 */
import { PDF, PdfNumber } from '@libpdf/core';
import { AppError } from '../../../shared/errors.ts';
import { assertCertificateAcceptable, type CertificateEvidence, type CertificateVerdictCache } from '../certificates/verify-certificate.ts';
import type { CrlSource } from '../certificates/crl-source.ts';
import { toArrayBuffer, x509 } from '../certificates/x509.ts';
import { type TimestampClient } from '../tsa/tsa-client.ts';
import { buildSignedAttributes } from './cms.ts';
import { finishCmsSignature, sha256, type FinishCmsOptions } from './finish-cms.ts';
import type { PadesKeySource } from './key-source.ts';
import { loadPdf } from './pdf-input.ts';
import { drawVisibleMark, type MarkPlacement, type VisibleMarkOptions } from './visible-mark.ts';

export type PadesLevel = 'B-B' | 'B-T';
export type SignatureUsage = 'personal' | 'seal';

/** Bytes reserved for the CMS in /Contents (hex-encoded: twice as many characters in the file). */
export const DEFAULT_RESERVED_BYTES = 32 * 1024;

export interface PadesSignOptions {
  level?: PadesLevel;
  /** RFC 3161 TSA URL; required for B-T (a configured URL implies B-T unless level says otherwise). */
  tsaUrl?: string;
  /** Overrides the HTTP client built from tsaUrl (tests, other transports). */
  timestampClient?: TimestampClient;
  /** CA certificates (DER) the signer certificate must chain to. */
  trustAnchors: Uint8Array[];
  /** personal (nonRepudiation required) or seal (digitalSignature enough). Default: personal. */
  usage?: SignatureUsage;
  crlSource?: CrlSource;
  /** Reuse recent positive certificate verdicts (server seal signing in batches). */
  certificateCache?: CertificateVerdictCache;
  mark?: VisibleMarkOptions;
  reason?: string;
  location?: string;
  contactInfo?: string;
  fieldName?: string;
  reservedBytes?: number;
}

export interface PreparedPadesSignature {
  /** The PDF with the signature dictionary and an empty (zero-filled) /Contents. */
  pdf: Uint8Array;
  fieldName: string;
  byteRange: [number, number, number, number];
  /** SHA-256 over the ByteRange. */
  documentDigest: Uint8Array;
  /** DER of the signed attributes: the data to be signed. */
  signedAttributesDer: Uint8Array;
  /** SHA-256 of signedAttributesDer, for devices that sign a digest. */
  signedAttributesDigest: Uint8Array;
  /** Signer certificate first, then its chain (DER). */
  certificateChain: Uint8Array[];
  level: PadesLevel;
  tsaUrl?: string;
  certificate: CertificateEvidence;
  mark?: MarkPlacement;
  preparedAt: string;
}

export interface PadesSignResult {
  pdf: Uint8Array;
  fieldName: string;
  level: PadesLevel;
  certificate: CertificateEvidence;
  /** Time proven by the signature timestamp (B-T). */
  timestampTime?: string;
  mark?: MarkPlacement;
}


function resolveLevel(options: Pick<PadesSignOptions, 'level' | 'tsaUrl' | 'timestampClient'>): PadesLevel {
  const level = options.level ?? (options.tsaUrl || options.timestampClient ? 'B-T' : 'B-B');
  if (level !== 'B-B' && level !== 'B-T') {
    throw new AppError('BAD_INPUT', `Niveau de signature non pris en charge : ${String(level)}`, `unsupported PAdES level ${String(level)}`);
  }
  if (level === 'B-T' && !options.tsaUrl && !options.timestampClient) {
    throw new AppError('BAD_INPUT', 'Le niveau B-T exige un serveur d’horodatage', 'B-T requested without a TSA');
  }
  return level;
}

function byteRangeOf(pdf: PDF, fieldName: string): [number, number, number, number] {
  const dict = pdf.getForm()?.getSignatureField(fieldName)?.getSignatureDict();
  const items = dict?.getArray('ByteRange')?.toArray();
  if (!items || items.length !== 4 || !items.every((i) => i instanceof PdfNumber)) {
    throw new AppError('INTERNAL', 'Échec de la préparation de la signature', `ByteRange of ${fieldName} not found after placeholder`);
  }
  return items.map((i) => (i as PdfNumber).value) as [number, number, number, number];
}

function signedBytes(pdf: Uint8Array, br: readonly number[]): Uint8Array {
  const [a, b, c, d] = br as [number, number, number, number];
  const out = new Uint8Array(b + d);
  out.set(pdf.subarray(a, a + b), 0);
  out.set(pdf.subarray(c, c + d), b);
  return out;
}

function uniqueFieldName(pdf: PDF, wanted?: string): string {
  const names = new Set(pdf.getForm()?.getFieldNames() ?? []);
  if (wanted) {
    if (names.has(wanted)) throw new AppError('CONFLICT', `Le champ de signature « ${wanted} » existe déjà`, `field ${wanted} exists`);
    return wanted;
  }
  for (let i = 1; ; i++) if (!names.has(`Signature${i}`)) return `Signature${i}`;
}

function countSignatures(pdf: PDF): number {
  return (pdf.getForm()?.getSignatureFields() ?? []).filter((f) => f.isSigned()).length;
}

export async function preparePadesSignature(
  input: Uint8Array,
  certificateChain: Uint8Array[],
  options: PadesSignOptions,
): Promise<PreparedPadesSignature> {
  const level = resolveLevel(options);
  const signerCert = certificateChain[0];
  if (!signerCert) throw new AppError('BAD_INPUT', 'Certificat du signataire absent', 'empty certificate chain');
  let pdf = await loadPdf(input, 'sign');
  const certificate = await assertCertificateAcceptable({
    certificate: signerCert,
    intermediates: certificateChain.slice(1),
    trustAnchors: options.trustAnchors,
    usage: options.usage ?? 'personal',
    crlSource: options.crlSource,
    ...(options.certificateCache ? { cache: options.certificateCache } : {}),
  });

  let bytes = input;
  let mark: MarkPlacement | undefined;
  if (options.mark) {
    mark = drawVisibleMark(pdf, options.mark, countSignatures(pdf));
    bytes = await pdf.save({ incremental: true });
    pdf = await PDF.load(bytes);
  }

  const fieldName = uniqueFieldName(pdf, options.fieldName);
  const keyAlg = new x509.X509Certificate(toArrayBuffer(signerCert)).publicKey.algorithm.name;
  // @libpdf/core writes the dictionary, field and placeholder; its CMS (with signing-time) is thrown away.
  const placeholderSigner = {
    certificate: signerCert,
    certificateChain: certificateChain.slice(1),
    keyType: keyAlg === 'ECDSA' ? ('EC' as const) : ('RSA' as const),
    signatureAlgorithm: keyAlg === 'ECDSA' ? ('ECDSA' as const) : ('RSASSA-PKCS1-v1_5' as const),
    sign: () => Promise.resolve(new Uint8Array(64)),
  };
  const reserved = options.reservedBytes ?? DEFAULT_RESERVED_BYTES;
  const signed = await pdf.sign({
    signer: placeholderSigner,
    subFilter: 'ETSI.CAdES.detached',
    estimatedSize: reserved,
    fieldName,
    ...(options.reason ? { reason: options.reason } : {}),
    ...(options.location ? { location: options.location } : {}),
    ...(options.contactInfo ? { contactInfo: options.contactInfo } : {}),
  });
  const prepared = new Uint8Array(signed.bytes);
  const byteRange = byteRangeOf(pdf, fieldName); // sign() reloaded `pdf` with the placeholder revision
  const [a, b, c, d] = byteRange;
  if (a !== 0 || c + d !== prepared.length || prepared[b] !== 0x3c || prepared[c - 1] !== 0x3e) {
    throw new AppError('INTERNAL', 'Échec de la préparation de la signature', `unexpected ByteRange ${byteRange.join(' ')} for ${prepared.length} bytes`);
  }
  prepared.fill(0x30, b + 1, c - 1); // '0' hex digits: no CMS until assembled
  const documentDigest = sha256(signedBytes(prepared, byteRange));
  const attrs = buildSignedAttributes(documentDigest, signerCert);
  return {
    pdf: prepared,
    fieldName,
    byteRange,
    documentDigest,
    signedAttributesDer: attrs.der,
    signedAttributesDigest: sha256(attrs.der),
    certificateChain,
    level,
    ...(options.tsaUrl ? { tsaUrl: options.tsaUrl } : {}),
    certificate,
    ...(mark ? { mark } : {}),
    preparedAt: new Date().toISOString(),
  };
}

export type AssembleOptions = FinishCmsOptions;

export async function assemblePadesSignature(
  prepared: PreparedPadesSignature,
  signatureValue: Uint8Array,
  options: AssembleOptions = {},
): Promise<PadesSignResult> {
  const { cms, certificate, timestampTime } = await finishCmsSignature(prepared, sha256(signedBytes(prepared.pdf, prepared.byteRange)), signatureValue, options);
  const [, b, c] = prepared.byteRange;
  const capacity = c - b - 2;
  const hex = Buffer.from(cms).toString('hex').toUpperCase();
  if (hex.length > capacity) {
    throw new AppError('INTERNAL', 'La signature dépasse l’espace réservé dans le PDF', `CMS of ${cms.length} bytes exceeds the ${capacity / 2} reserved`);
  }
  const out = new Uint8Array(prepared.pdf);
  out.set(Buffer.from(hex, 'latin1'), b + 1);
  return {
    pdf: out,
    fieldName: prepared.fieldName,
    level: prepared.level,
    certificate,
    ...(timestampTime ? { timestampTime } : {}),
    ...(prepared.mark ? { mark: prepared.mark } : {}),
  };
}

/** One-step signing with a key source (PKCS#12 today, PKCS#11 later). */
export async function signPdf(input: Uint8Array, keySource: PadesKeySource, options: PadesSignOptions): Promise<PadesSignResult> {
  const chain = await keySource.getCertificateChain();
  const prepared = await preparePadesSignature(input, chain, options);
  const signatureValue = await keySource.sign({ data: prepared.signedAttributesDer, digest: prepared.signedAttributesDigest, digestAlgorithm: 'SHA-256' });
  return assemblePadesSignature(prepared, signatureValue, options.timestampClient ? { timestampClient: options.timestampClient } : {});
}
