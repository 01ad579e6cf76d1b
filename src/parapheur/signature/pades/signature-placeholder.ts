/**
 * The placeholders every signature dictionary starts with (a CMS signature or a document timestamp): a wide
 * ByteRange filled in once the update is written, and a zero-filled /Contents that later gets its own part
 * (the CMS or the timestamp token, in hex) without any written byte being changed. Shared by PAdES signing
 * (sign-pdf.ts) and the document timestamp of B-LTA (long-term.ts).
 */
import { PdfArray, PdfDict, PdfName, PdfNumber, PdfString, type PDF } from '@libpdf/core';
import { AppError } from '../../../shared/errors.ts';
import { acceptsSharedBytes, buildIncrementalUpdate } from './incremental-update.ts';
import { findFirstPage } from './lazy-page-tree.ts';
import { partHolding, type PdfParts } from './pdf-parts.ts';

type PdfWriter = Parameters<PdfString['toBytes']>[0];

/**
 * The /Contents placeholder: a hex string of zero bytes, exactly what PdfString.fromBytes(new Uint8Array(size))
 * writes, but in one block (PdfString writes hex strings character by character: about 1 ms for 32 KiB).
 */
export class ZeroHexString extends PdfString {
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

export function pdfDate(at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `D:${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}Z`;
}

export const placeholderFailure = (en: string): AppError => new AppError('INTERNAL', 'Échec de la préparation de la signature', en);

/**
 * Finds our placeholders in the incremental update just written (never in the earlier revisions: the update
 * starts at `updateStart` of the whole), fills in the ByteRange and returns it. The signature dictionary is the
 * only object holding the ByteRange marker; /Contents follows it.
 */
export function fillByteRange(parts: PdfParts, updateStart: number, reserved: number): [number, number, number, number] {
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

/** What goes into a signature dictionary besides the placeholders. */
export interface SignatureDictionaryEntries {
  /** /Type: Sig for a signature, DocTimeStamp for a document timestamp (ISO 32000-2 §12.8.5). */
  type: 'Sig' | 'DocTimeStamp';
  subFilter: 'ETSI.CAdES.detached' | 'ETSI.RFC3161';
  /** Text entries (/M, /Reason, /Location, /ContactInfo), written when set. */
  text?: Partial<Record<'M' | 'Reason' | 'Location' | 'ContactInfo', string | undefined>>;
}

/**
 * Signature dictionary with the ByteRange and /Contents placeholders, and its field (an invisible widget on the
 * first page, as @libpdf/core's own sign() makes it).
 */
export function addSignaturePlaceholder(pdf: PDF, fieldName: string, reserved: number, entries: SignatureDictionaryEntries): void {
  const firstPage = findFirstPage(pdf);
  if (!firstPage) throw new AppError('BAD_INPUT', 'Le fichier PDF ne contient aucune page', 'PDF has no pages');
  const sig = PdfDict.of({
    Type: PdfName.of(entries.type),
    Filter: PdfName.of('Adobe.PPKLite'),
    SubFilter: PdfName.of(entries.subFilter),
    ByteRange: new PdfArray([0, BYTE_RANGE_PLACEHOLDER, BYTE_RANGE_PLACEHOLDER, BYTE_RANGE_PLACEHOLDER].map((n) => PdfNumber.of(n))),
    Contents: new ZeroHexString(reserved),
  });
  for (const [key, value] of Object.entries(entries.text ?? {})) if (value) sig.set(key, PdfString.fromString(value));
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

export function uniqueFieldName(pdf: PDF, wanted?: string, prefix = 'Signature'): string {
  const names = new Set(pdf.getForm()?.getFieldNames() ?? []);
  if (wanted) {
    if (names.has(wanted)) throw new AppError('CONFLICT', `Le champ de signature « ${wanted} » existe déjà`, `field ${wanted} exists`);
    return wanted;
  }
  for (let i = 1; ; i++) if (!names.has(`${prefix}${i}`)) return `${prefix}${i}`;
}

/**
 * Writes the changes made to `pdf` (loaded from `input`, a signature placeholder among them) as one
 * incremental update and fills in the ByteRange. `viaSave`: the update holds streams (visible mark), written
 * by the library's save, which returns the whole file.
 */
export async function writePlaceholderUpdate(pdf: PDF, input: Uint8Array, reserved: number, viaSave: boolean): Promise<{ parts: PdfParts; byteRange: [number, number, number, number] }> {
  const update = viaSave ? null : buildIncrementalUpdate(pdf, input);
  const parts = update ? [input, ...update] : [await pdf.save({ incremental: true })];
  const saved = parts[0]!;
  if (!update && (saved.length <= input.length || Buffer.compare(saved.subarray(0, input.length), input) !== 0)) {
    throw placeholderFailure('the save was not an incremental update of the input');
  }
  return { parts, byteRange: fillByteRange(parts, input.length, reserved) };
}

/**
 * Puts `der` (a CMS or a timestamp token) into /Contents without writing to any existing bytes (the parts stay
 * as they are, the shared placeholder too): the part holding the placeholder is split around a new part, the
 * DER in hex; the zero digits after it are the placeholder's own.
 */
export function insertContents(parts: PdfParts, byteRange: readonly number[], der: Uint8Array): Uint8Array[] {
  const [, b, c] = byteRange as [number, number, number, number];
  const capacity = c - b - 2;
  if (der.length * 2 > capacity) {
    throw new AppError('INTERNAL', 'La signature dépasse l’espace réservé dans le PDF', `${der.length} bytes exceed the ${capacity / 2} reserved`);
  }
  const hole = partHolding(parts, b, c - b);
  if (!hole) throw placeholderFailure('the Contents placeholder is not within one part');
  const holder = parts[hole.index]!;
  const hex = Buffer.from(Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('hex').toUpperCase(), 'latin1');
  const split = [holder.subarray(0, hole.at + 1), hex, holder.subarray(hole.at + 1 + hex.length)].filter((p) => p.length > 0);
  return [...parts.slice(0, hole.index), ...split, ...parts.slice(hole.index + 1)];
}
