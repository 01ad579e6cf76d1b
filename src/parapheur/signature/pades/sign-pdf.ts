/**
 * PAdES baseline signing: B-B, and B-T when a TSA is configured.
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
import { PdfArray, PdfDict, PdfName, PdfNumber, PdfString, type PDF } from '@libpdf/core';
import { AppError } from '../../../shared/errors.ts';
import { assertCertificateAcceptable, defaultCertificateVerdictCache, type CertificateEvidence, type CertificateVerdictCache } from '../certificates/verify-certificate.ts';
import type { CrlSource } from '../certificates/crl-source.ts';
import { type TimestampClient } from '../tsa/tsa-client.ts';
import { buildSignedAttributes } from './cms.ts';
import { finishCmsSignature, sha256, type FinishCmsOptions } from './finish-cms.ts';
import type { PadesKeySource } from './key-source.ts';
import { acceptsSharedBytes, buildIncrementalUpdate } from './incremental-update.ts';
import { findFirstPage } from './lazy-page-tree.ts';
import { loadPdf } from './pdf-input.ts';
import { digestByteRange, joinParts, partHolding, partsLength, type PdfParts } from './pdf-parts.ts';
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
  level: PadesLevel;
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
  if (level !== 'B-B' && level !== 'B-T') {
    throw new AppError('BAD_INPUT', `Niveau de signature non pris en charge : ${String(level)}`, `unsupported PAdES level ${String(level)}`);
  }
  if (level === 'B-T' && !options.tsaUrl && !options.timestampClient) {
    throw new AppError('BAD_INPUT', 'Le niveau B-T exige un serveur d’horodatage', 'B-T requested without a TSA');
  }
  return level;
}

type PdfWriter = Parameters<PdfString['toBytes']>[0];

/**
 * The /Contents placeholder: a hex string of zero bytes, exactly what PdfString.fromBytes(new Uint8Array(size))
 * writes, but in one block (PdfString writes hex strings character by character: about 1 ms for 32 KiB).
 */
class ZeroHexString extends PdfString {
  private static readonly encodings = new Map<number, Uint8Array>();
  private static readonly zeros = new Map<number, Uint8Array>();
  private readonly encoded: Uint8Array;

  constructor(size: number) {
    // the same zero bytes for every placeholder of this size: a PdfString's bytes are never written to
    let zeros = ZeroHexString.zeros.get(size);
    if (!zeros) ZeroHexString.zeros.set(size, (zeros = new Uint8Array(size)));
    super(zeros, 'hex');
    this.encoded = ZeroHexString.encoding(size);
  }

  /** `<00…00>`: 2 × size hex digits. */
  static encoding(size: number): Uint8Array {
    let encoded = ZeroHexString.encodings.get(size);
    if (!encoded) {
      encoded = new Uint8Array(Buffer.from(`<${'0'.repeat(size * 2)}>`, 'latin1'));
      ZeroHexString.encodings.set(size, encoded);
    }
    return encoded;
  }

  /** Referenced, not copied, by our update writer: /Contents gets a part of its own once the CMS is known. */
  override toBytes(writer: PdfWriter): void {
    if (acceptsSharedBytes(writer)) writer.writeShared(this.encoded);
    else writer.writeBytes(this.encoded);
  }
}

/** ByteRange placeholder: wide numbers, replaced in place (same length, space padded) once the offsets are known. */
const BYTE_RANGE_PLACEHOLDER = 9_999_999_999;
const BYTE_RANGE_MARKER = Buffer.from(`/ByteRange [0 ${BYTE_RANGE_PLACEHOLDER} ${BYTE_RANGE_PLACEHOLDER} ${BYTE_RANGE_PLACEHOLDER}]`, 'latin1');
const CONTENTS_KEY = Buffer.from('/Contents ', 'latin1');

function pdfDate(at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `D:${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}Z`;
}

const placeholderFailure = (en: string): AppError => new AppError('INTERNAL', 'Échec de la préparation de la signature', en);

/**
 * Finds our placeholders in the incremental update just written (never in the earlier revisions: the update
 * starts at `updateStart` of the whole), fills in the ByteRange and returns it. The signature dictionary is the
 * only object holding the ByteRange marker; /Contents follows it.
 */
function fillByteRange(parts: PdfParts, updateStart: number, reserved: number): [number, number, number, number] {
  let found: { buf: Buffer; base: number; at: number } | undefined;
  let base = 0;
  for (const part of parts) {
    if (base + part.length > updateStart) {
      const buf = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
      const at = buf.indexOf(BYTE_RANGE_MARKER, Math.max(0, updateStart - base));
      if (at >= 0) {
        if (found || buf.lastIndexOf(BYTE_RANGE_MARKER) !== at) throw placeholderFailure('ByteRange placeholder found more than once in the incremental update');
        found = { buf, base, at };
      }
    }
    base += part.length;
  }
  if (!found) throw placeholderFailure('ByteRange placeholder not found in the incremental update');
  const { buf, at } = found;
  const key = buf.indexOf(CONTENTS_KEY, at + BYTE_RANGE_MARKER.length);
  const b = found.base + key + CONTENTS_KEY.length;
  const c = b + reserved * 2 + 2;
  const hole = key < 0 ? null : partHolding(parts, b, c - b);
  const holeBytes = hole ? parts[hole.index]!.subarray(hole.at, hole.at + c - b) : null;
  if (!holeBytes || Buffer.compare(holeBytes, ZeroHexString.encoding(reserved)) !== 0) {
    throw placeholderFailure('Contents placeholder not found after the ByteRange');
  }
  const byteRange: [number, number, number, number] = [0, b, c, base - c];
  const arrayStart = at + BYTE_RANGE_MARKER.indexOf('[');
  const text = `[${byteRange.join(' ')}]`;
  const width = at + BYTE_RANGE_MARKER.length - arrayStart;
  if (text.length > width) throw placeholderFailure(`ByteRange ${text} longer than its placeholder`);
  buf.write(`${text.slice(0, -1)}${' '.repeat(width - text.length)}]`, arrayStart, 'latin1');
  return byteRange;
}

/** Signature dictionary and field (an invisible widget on the first page, as @libpdf/core's own sign() makes it). */
function addSignaturePlaceholder(pdf: PDF, fieldName: string, reserved: number, options: PadesSignOptions): void {
  const firstPage = findFirstPage(pdf);
  if (!firstPage) throw new AppError('BAD_INPUT', 'Le fichier PDF ne contient aucune page', 'PDF has no pages');
  const sig = PdfDict.of({
    Type: PdfName.of('Sig'),
    Filter: PdfName.of('Adobe.PPKLite'),
    SubFilter: PdfName.of('ETSI.CAdES.detached'),
    ByteRange: new PdfArray([0, BYTE_RANGE_PLACEHOLDER, BYTE_RANGE_PLACEHOLDER, BYTE_RANGE_PLACEHOLDER].map((n) => PdfNumber.of(n))),
    Contents: new ZeroHexString(reserved),
  });
  sig.set('M', PdfString.fromString(pdfDate(new Date())));
  if (options.reason) sig.set('Reason', PdfString.fromString(options.reason));
  if (options.location) sig.set('Location', PdfString.fromString(options.location));
  if (options.contactInfo) sig.set('ContactInfo', PdfString.fromString(options.contactInfo));
  const sigRef = pdf.context.registry.register(sig);
  const field = pdf.getOrCreateForm().createSignatureField(fieldName).getDict();
  field.set('V', sigRef);
  field.delete('Kids');
  field.set('Type', PdfName.of('Annot'));
  field.set('Subtype', PdfName.of('Widget'));
  field.set('F', PdfNumber.of(132));
  field.set('P', firstPage);
  field.set('Rect', new PdfArray([0, 0, 0, 0].map((n) => PdfNumber.of(n))));
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
  addSignaturePlaceholder(pdf, fieldName, reserved, options);
  // Without a mark the update is a few dictionaries: written by us after the input, which is not copied. The
  // mark's content streams and font go through the library's save, which returns the whole file.
  const update = mark ? null : buildIncrementalUpdate(pdf, input);
  const parts = update ? [input, ...update] : [await pdf.save({ incremental: true })];
  const saved = parts[0]!;
  if (!update && (saved.length <= input.length || Buffer.compare(saved.subarray(0, input.length), input) !== 0)) {
    throw placeholderFailure('the save was not an incremental update of the input');
  }
  const byteRange = fillByteRange(parts, input.length, reserved);
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

/**
 * Puts the CMS into /Contents without writing to any existing bytes (the prepared parts stay as they are, the
 * shared placeholder too): the part holding the placeholder is split around a new part, the CMS in hex; the
 * zero digits after it are the placeholder's own.
 */
async function assemble(prepared: PreparedPadesSignature, contentDigest: Uint8Array, signatureValue: Uint8Array, options: AssembleOptions): Promise<PadesSignResult> {
  const { cms, certificate, timestampTime } = await finishCmsSignature(prepared, contentDigest, signatureValue, options);
  const [, b, c] = prepared.byteRange;
  const capacity = c - b - 2;
  if (cms.length * 2 > capacity) {
    throw new AppError('INTERNAL', 'La signature dépasse l’espace réservé dans le PDF', `CMS of ${cms.length} bytes exceeds the ${capacity / 2} reserved`);
  }
  const hole = partHolding(prepared.parts, b, c - b);
  if (!hole) throw placeholderFailure('the Contents placeholder is not within one part');
  const holder = prepared.parts[hole.index]!;
  const hex = Buffer.from(Buffer.from(cms.buffer, cms.byteOffset, cms.byteLength).toString('hex').toUpperCase(), 'latin1');
  const split = [holder.subarray(0, hole.at + 1), hex, holder.subarray(hole.at + 1 + hex.length)].filter((p) => p.length > 0);
  const parts = [...prepared.parts.slice(0, hole.index), ...split, ...prepared.parts.slice(hole.index + 1)];
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
  const chain = await keySource.getCertificateChain();
  const prepared = await preparePadesSignature(input, chain, options);
  const signatureValue = await keySource.sign({ data: prepared.signedAttributesDer, digest: prepared.signedAttributesDigest, digestAlgorithm: 'SHA-256' });
  return assemble(prepared, prepared.documentDigest, signatureValue, options.timestampClient ? { timestampClient: options.timestampClient } : {});
}
