/**
 * Writes the changes made to a document loaded with @libpdf/core as one incremental update (ISO 32000-1
 * §7.5.6): the changed and new objects, serialized by the library's own object writers, then a
 * cross-reference section of the same kind as the document's last one (classic table, or cross-reference
 * stream) with /Prev pointing at the previous section, and the trailer.
 *
 * This is what PDF.save({ incremental: true }) writes, without its cost on large files: the library's writer
 * starts from a zero-filled buffer twice the size of the document into which it copies the document, then
 * walks every loaded object. Here only the update is built, to be appended after the original bytes by the
 * caller (see pdf-parts.ts): the document itself is neither copied nor walked.
 *
 * Used for updates made of dictionaries and arrays only (signature dictionary, field, form, catalog). Anything
 * needing more of the library's save (new streams to compress, fonts to embed, encryption, linearized or
 * repaired files) returns null: the caller then uses PDF.save.
 */
import { randomBytes } from 'node:crypto';
import { PdfArray, PdfDict, PdfName, PdfNumber, PdfRef, PdfStream, PdfString, type PDF, type PdfObject } from '@libpdf/core';

type LibWriter = Parameters<PdfDict['toBytes']>[0];

/**
 * Scratch space for the update, reused from one signature to the next (each part is copied out before
 * buildIncrementalUpdate returns, and nothing in between yields): no allocation per signature.
 */
let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * Bytes an object asks the update writer to reference instead of copying (the signature's /Contents
 * placeholder: 64 KiB of zero digits). The update is cut there: they become a part of their own, never
 * written to by anyone (whoever fills /Contents puts a new part in its place).
 */
export interface SharedBytesWriter {
  writeShared(data: Uint8Array): void;
}

export const acceptsSharedBytes = (writer: unknown): writer is SharedBytesWriter =>
  typeof (writer as Partial<SharedBytesWriter>).writeShared === 'function';

/**
 * The few ByteWriter methods the library's objects call to serialize themselves, plus writeShared;
 * positions count from `base`.
 */
class UpdateWriter implements SharedBytesWriter {
  private buffer = scratch;
  private length = 0;
  private readonly done: Uint8Array[] = [];
  private doneLength = 0;

  constructor(private readonly base: number) {}

  get position(): number {
    return this.base + this.doneLength + this.length;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
    if (next.length <= 4 * 1024 * 1024) scratch = next;
  }

  writeByte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  writeBytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  writeAscii(text: string): void {
    this.reserve(text.length);
    this.length += this.buffer.write(text, this.length, 'latin1');
  }

  writeUtf8(text: string): void {
    this.writeBytes(Buffer.from(text, 'utf8'));
  }

  writeShared(data: Uint8Array): void {
    this.cut();
    this.done.push(data);
    this.doneLength += data.length;
  }

  /** What was written since the last cut becomes a part of its own (copied out of the scratch space). */
  private cut(): void {
    if (this.length === 0) return;
    this.done.push(new Uint8Array(this.buffer.subarray(0, this.length)));
    this.doneLength += this.length;
    this.length = 0;
  }

  parts(): Uint8Array[] {
    this.cut();
    return this.done;
  }

  asLibraryWriter(): LibWriter {
    return this as unknown as LibWriter;
  }
}

/** The library's own rule: a loaded object is rewritten when it, or a direct object inside it, is dirty. */
function hasDirtyPart(obj: PdfObject): boolean {
  if (obj instanceof PdfDict) {
    if (obj.dirty) return true;
    for (const [, value] of obj) if (!(value instanceof PdfRef) && hasDirtyPart(value)) return true;
  } else if (obj instanceof PdfArray) {
    if (obj.dirty) return true;
    for (const item of obj) if (!(item instanceof PdfRef) && hasDirtyPart(item)) return true;
  }
  return false;
}

interface XRefEntry {
  objectNumber: number;
  generation: number;
  offset: number;
}

function subsections(entries: XRefEntry[]): XRefEntry[][] {
  const sorted = [...entries].sort((a, b) => a.objectNumber - b.objectNumber);
  const out: XRefEntry[][] = [];
  for (const e of sorted) {
    const last = out.at(-1);
    if (last && e.objectNumber === last.at(-1)!.objectNumber + 1) last.push(e);
    else out.push([e]);
  }
  return out;
}

const bytesFor = (n: number): number => Math.max(1, Math.ceil(Math.log2(n + 1) / 8));

/** Cross-reference stream data: type 1 entries, big-endian fields of widths [1, w2, w3]. */
function xrefStreamData(groups: XRefEntry[][], w2: number, w3: number): Uint8Array {
  const entries = groups.flat();
  const width = 1 + w2 + w3;
  const data = new Uint8Array(entries.length * width);
  entries.forEach((e, i) => {
    const at = i * width;
    data[at] = 1;
    for (let k = 0, v = e.offset; k < w2; k++, v = Math.floor(v / 256)) data[at + w2 - k] = v % 256;
    for (let k = 0, v = e.generation; k < w3; k++, v = Math.floor(v / 256)) data[at + w2 + w3 - k] = v % 256;
  });
  return data;
}

/**
 * The incremental update holding every change made to `pdf`, as parts to append after `original` (it starts
 * with a line break when the original does not end with one; shared bytes are parts of their own, see
 * SharedBytesWriter), or null when the update needs the library's full save machinery (see the module comment).
 */
export function buildIncrementalUpdate(pdf: PDF, original: Uint8Array): Uint8Array[] | null {
  const prev = (pdf as unknown as { originalXRefOffset?: unknown }).originalXRefOffset;
  if (typeof prev !== 'number' || !Number.isInteger(prev) || prev <= 0 || prev >= original.length) return null;
  if (pdf.canSaveIncrementally() !== null || pdf.isEncrypted) return null;
  const registry = pdf.context.registry;
  const changed: [PdfRef, PdfObject][] = [];
  for (const [ref, obj] of registry.getLoadedObjects()) if (hasDirtyPart(obj)) changed.push([ref, obj]);
  for (const entry of registry.getNewObjects()) changed.push(entry);
  if (changed.length === 0 || changed.some(([, obj]) => obj instanceof PdfStream)) return null;
  const trailer = pdf.context.info.trailer;
  const root = trailer.getRef('Root');
  if (!root) return null;
  const info = trailer.getRef('Info');
  const id = trailer.getArray('ID');
  const ids = id && id.length >= 2 && id.at(0) instanceof PdfString && id.at(1) instanceof PdfString ? [id.at(0)!, id.at(1)!] : null;
  const fresh = ids ? null : randomBytes(16);

  const newline = original[original.length - 1] === 0x0a || original[original.length - 1] === 0x0d ? 0 : 1;
  const w = new UpdateWriter(original.length);
  if (newline) w.writeByte(0x0a);
  const writer = w.asLibraryWriter();
  const entries: XRefEntry[] = [];
  for (const [ref, obj] of changed) {
    entries.push({ objectNumber: ref.objectNumber, generation: ref.generation, offset: w.position });
    w.writeAscii(`${ref.objectNumber} ${ref.generation} obj\n`);
    obj.toBytes(writer);
    w.writeAscii('\nendobj\n');
  }
  const xrefOffset = w.position;
  // /Size: one more than the highest object number of the whole file, never below the previous trailer's
  const previousSize = trailer.getNumber('Size')?.value ?? 0;
  const maxObject = Math.max(...entries.map((e) => e.objectNumber), previousSize - 1);
  const trailerEntries = (size: number): [string, PdfObject][] => [
    ['Size', PdfNumber.of(size)],
    ['Root', root],
    ['Prev', PdfNumber.of(prev)],
    ...(info ? [['Info', info] as [string, PdfObject]] : []),
    ['ID', ids ? new PdfArray(ids) : PdfArray.of(new PdfString(fresh!, 'hex'), new PdfString(fresh!, 'hex'))],
  ];
  if (pdf.usesXRefStreams) {
    const streamNumber = Math.max(registry.nextObjectNumber, maxObject + 1);
    entries.push({ objectNumber: streamNumber, generation: 0, offset: xrefOffset });
    const groups = subsections(entries);
    const w2 = bytesFor(Math.max(...entries.map((e) => e.offset)));
    const w3 = bytesFor(Math.max(...entries.map((e) => e.generation)));
    const index = groups.flatMap((g) => [PdfNumber.of(g[0]!.objectNumber), PdfNumber.of(g.length)]);
    const stream = new PdfStream([
      ['Type', PdfName.of('XRef')],
      ['W', PdfArray.of(PdfNumber.of(1), PdfNumber.of(w2), PdfNumber.of(w3))],
      ['Index', new PdfArray(index)],
      ...trailerEntries(streamNumber + 1),
    ], xrefStreamData(groups, w2, w3));
    w.writeAscii(`${streamNumber} 0 obj\n`);
    stream.toBytes(writer);
    w.writeAscii('\nendobj\n');
  } else {
    w.writeAscii('xref\n');
    for (const group of subsections(entries)) {
      w.writeAscii(`${group[0]!.objectNumber} ${group.length}\n`);
      for (const e of group) w.writeAscii(`${String(e.offset).padStart(10, '0')} ${String(e.generation).padStart(5, '0')} n\r\n`);
    }
    w.writeAscii('trailer\n');
    new PdfDict(trailerEntries(Math.max(registry.nextObjectNumber, maxObject + 1))).toBytes(writer);
    w.writeAscii('\n');
  }
  w.writeAscii(`startxref\n${xrefOffset}\n%%EOF\n`);

  return w.parts();
}
