/**
 * PAdES baseline signing: B-B, and B-T when a TSA is configured; signPdf goes on to B-LT and B-LTA (long-term.ts).
 *
 * Flow (also the two-phase API):
 *   1. preparePadesSignature: checks the signer certificate, optionally draws the visible mark, adds the
 *      signature dictionary (32 KiB /Contents placeholder) and its field with @libpdf/core's objects, and saves
 *      all of it as one incremental update; fills in the ByteRange, digests it and builds the CMS signed
 *      attributes (no signing-time, see cms.ts). Returns the prepared PDF + the DER of the signed attributes and
 *      its SHA-256. The document is parsed once (@libpdf/core loads objects lazily; only the page tree and the
 *      form are read) and not reloaded.
 *   2. the key source (or an external device/service) signs those bytes.
 *   3. assemblePadesSignature: checks that the signature value matches the prepared data and the certificate,
 *      adds the signature timestamp (B-T), builds the CMS and puts it into /Contents.
 * Everything is appended, so earlier signatures stay valid. The PDF travels as parts (pdf-parts.ts): the input
 * is never copied, and no byte once written is changed, except the ByteRange filled in our own new update.
 */
import type { PDF } from '@libpdf/core';
import { AppError } from '../../../shared/errors.ts';
import { assertCertificateAcceptable, defaultCertificateVerdictCache, type CertificateEvidence, type CertificateVerdictCache } from '../certificates/verify-certificate.ts';
import type { CrlSource } from '../certificates/crl-source.ts';
import { type TimestampClient } from '../tsa/tsa-client.ts';
import { buildSignedAttributes } from './cms.ts';
import { finishCmsSignature, sha256, type FinishCmsOptions } from './finish-cms.ts';
import type { PadesKeySource } from './key-source.ts';
import { addDocumentTimestamp, extendPadesToLt } from './long-term.ts';
import { loadPdf } from './pdf-input.ts';
import { digestByteRange, joinParts, partsLength, type PdfParts } from './pdf-parts.ts';
import { addSignaturePlaceholder, insertContents, pdfDate, uniqueFieldName, writePlaceholderUpdate } from './signature-placeholder.ts';
import { drawVisibleMark, type MarkPlacement, type VisibleMarkOptions } from './visible-mark.ts';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
/** The levels of the CMS itself; B-LT and B-LTA are B-T plus later incremental updates (long-term.ts). */
type CmsLevel = 'B-B' | 'B-T';
const LEVELS: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];
export type SignatureUsage = 'personal' | 'seal';

/** Bytes reserved for the CMS in /Contents (hex-encoded: twice as many characters in the file). */
export const DEFAULT_RESERVED_BYTES = 32 * 1024;

export interface PadesSignOptions {
  /** B-LT and B-LTA: signPdf only (the two-phase path produces B-B or B-T, then extendSignedPdf). */
  level?: PadesLevel;
  /** RFC 3161 TSA URL; required from B-T up (a configured URL implies B-T unless level says otherwise). */
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
  /**
   * The PDF with the signature dictionary and an empty (zero-filled) /Contents, as consecutive parts: the
   * input as it was, then the update appended to it (see pdf-parts.ts).
   */
  parts: PdfParts;
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
  level: CmsLevel;
  tsaUrl?: string;
  certificate: CertificateEvidence;
  mark?: MarkPlacement;
  preparedAt: string;
}

export interface PadesSignResult {
  /** The signed PDF as consecutive parts, the input untouched first: store or write them in order. */
  parts: PdfParts;
  /** Their total length. */
  size: number;
  /** The signed PDF in one buffer, joined on first use. */
  readonly pdf: Uint8Array;
  fieldName: string;
  level: PadesLevel;
  certificate: CertificateEvidence;
  /** Time proven by the signature timestamp (B-T). */
  timestampTime?: string;
  mark?: MarkPlacement;
}


function resolveLevel(options: Pick<PadesSignOptions, 'level' | 'tsaUrl' | 'timestampClient'>): PadesLevel {
  const level = options.level ?? (options.tsaUrl || options.timestampClient ? 'B-T' : 'B-B');
  if (!LEVELS.includes(level)) {
    throw new AppError('BAD_INPUT', `Niveau de signature non pris en charge : ${String(level)}`, `unsupported PAdES level ${String(level)}`);
  }
  if (level !== 'B-B' && !options.tsaUrl && !options.timestampClient) {
    throw new AppError('BAD_INPUT', `Le niveau ${level} exige un serveur d’horodatage`, `${level} requested without a TSA`);
  }
  return level;
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
  if (level !== 'B-B' && level !== 'B-T') {
    throw new AppError('BAD_INPUT', `La signature en deux temps produit un niveau B-B ou B-T : le niveau ${level} s’obtient ensuite, sur le PDF signé`, `two-phase signing stops at B-T; ${level} comes from extendPadesToLt / addDocumentTimestamp`);
  }
  return prepare(input, certificateChain, options, level);
}

async function prepare(input: Uint8Array, certificateChain: Uint8Array[], options: PadesSignOptions, level: CmsLevel): Promise<PreparedPadesSignature> {
  const signerCert = certificateChain[0];
  if (!signerCert) throw new AppError('BAD_INPUT', 'Certificat du signataire absent', 'empty certificate chain');
  const pdf = await loadPdf(input, 'sign');
  const certificate = await assertCertificateAcceptable({
    certificate: signerCert,
    intermediates: certificateChain.slice(1),
    trustAnchors: options.trustAnchors,
    usage: options.usage ?? 'personal',
    crlSource: options.crlSource,
    cache: options.certificateCache ?? defaultCertificateVerdictCache,
  });

  // The mark, the signature dictionary and its field go in one incremental update, written once.
  const mark = options.mark ? drawVisibleMark(pdf, options.mark, countSignatures(pdf)) : undefined;
  const fieldName = uniqueFieldName(pdf, options.fieldName);
  const reserved = options.reservedBytes ?? DEFAULT_RESERVED_BYTES;
  addSignaturePlaceholder(pdf, fieldName, reserved, {
    type: 'Sig',
    subFilter: 'ETSI.CAdES.detached',
    text: { M: pdfDate(new Date()), Reason: options.reason, Location: options.location, ContactInfo: options.contactInfo },
  });
  // Without a mark the update is a few dictionaries: written by us after the input, which is not copied. The
  // mark's content streams and font go through the library's save, which returns the whole file.
  const { parts, byteRange } = await writePlaceholderUpdate(pdf, input, reserved, !!mark);
  const documentDigest = digestByteRange(parts, byteRange);
  const attrs = buildSignedAttributes(documentDigest, signerCert);
  return {
    parts,
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
  // The prepared object travelled between the phases: digest its ByteRange again.
  return assemble(prepared, digestByteRange(prepared.parts, prepared.byteRange), signatureValue, options);
}

/** Puts the CMS into /Contents (see insertContents: no byte already written is changed). */
async function assemble(prepared: PreparedPadesSignature, contentDigest: Uint8Array, signatureValue: Uint8Array, options: AssembleOptions): Promise<PadesSignResult> {
  const { cms, certificate, timestampTime } = await finishCmsSignature(prepared, contentDigest, signatureValue, options);
  const parts = insertContents(prepared.parts, prepared.byteRange, cms);
  let joined: Uint8Array | undefined;
  return {
    parts,
    size: partsLength(parts),
    get pdf(): Uint8Array {
      return (joined ??= joinParts(parts));
    },
    fieldName: prepared.fieldName,
    level: prepared.level,
    certificate,
    ...(timestampTime ? { timestampTime } : {}),
    ...(prepared.mark ? { mark: prepared.mark } : {}),
  };
}

/**
 * One-step signing with a key source (PKCS#12, PKCS#11). The prepared PDF never leaves this function: its
 * ByteRange digest is the one just computed.
 */
export async function signPdf(input: Uint8Array, keySource: PadesKeySource, options: PadesSignOptions): Promise<PadesSignResult> {
  const level = resolveLevel(options);
  const chain = await keySource.getCertificateChain();
  const prepared = await prepare(input, chain, options, level === 'B-B' ? 'B-B' : 'B-T');
  const signatureValue = await keySource.sign({ data: prepared.signedAttributesDer, digest: prepared.signedAttributesDigest, digestAlgorithm: 'SHA-256' });
  const signed = await assemble(prepared, prepared.documentDigest, signatureValue, options.timestampClient ? { timestampClient: options.timestampClient } : {});
  return extendSignedPdf(signed, level, options);
}

/**
 * B-LT, B-LTA from a B-T signature just assembled (signPdf, or the two-phase path once the device answered):
 * the DSS update for this signature, then for B-LTA the document timestamp. B-B and B-T come back unchanged.
 */
export async function extendSignedPdf(signed: PadesSignResult, level: PadesLevel, options: Pick<PadesSignOptions, 'trustAnchors' | 'crlSource' | 'tsaUrl' | 'timestampClient'>): Promise<PadesSignResult> {
  if (level !== 'B-LT' && level !== 'B-LTA') return signed;
  if (signed.level !== 'B-T') throw new AppError('BAD_INPUT', `Le niveau ${level} se construit sur une signature B-T`, `${level} needs a B-T signature, got ${signed.level}`);
  // B-LT, B-LTA: further updates appended to the signed PDF, which @libpdf/core reads as one buffer
  // the validation data of this signature only: an earlier signer's certificate is not this signer's business
  const ltOptions = { trustAnchors: options.trustAnchors, fieldNames: [signed.fieldName], ...(options.crlSource ? { crlSource: options.crlSource } : {}) };
  let pdf = (await extendPadesToLt(signed.pdf, ltOptions)).pdf;
  let timestampTime = signed.timestampTime;
  if (level === 'B-LTA') {
    const stamped = await addDocumentTimestamp(pdf, { ...(options.tsaUrl ? { tsaUrl: options.tsaUrl } : {}), ...(options.timestampClient ? { timestampClient: options.timestampClient } : {}) });
    pdf = stamped.pdf;
    timestampTime ??= stamped.genTime;
  }
  return { ...signed, parts: [pdf], size: pdf.length, pdf, level, ...(timestampTime ? { timestampTime } : {}) };
}
