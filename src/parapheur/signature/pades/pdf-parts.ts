/**
 * A PDF held as consecutive byte parts: the document as it was, then the incremental update a signature
 * appends to it. Signing never copies the document: the ByteRange is digested across the parts, the CMS is
 * written into the part holding /Contents, and the parts go to storage or to a file one after the other.
 * Only a caller that wants one buffer pays for joining them.
 */
import { createHash } from 'node:crypto';

export type PdfParts = readonly Uint8Array[];

export const partsLength = (parts: PdfParts): number => parts.reduce((n, p) => n + p.length, 0);

export function joinParts(parts: PdfParts): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = Buffer.allocUnsafe(partsLength(parts));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The parts as Buffers over the same memory (for streams and file writes). */
export const partsAsBuffers = (parts: PdfParts): Buffer[] => parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength));

/** SHA-256 over [from, to) of the whole, read in place. */
function updateRange(hash: ReturnType<typeof createHash>, parts: PdfParts, from: number, to: number): void {
  let base = 0;
  for (const p of parts) {
    const start = Math.max(from, base);
    const end = Math.min(to, base + p.length);
    if (start < end) hash.update(p.subarray(start - base, end - base));
    base += p.length;
  }
}

/** SHA-256 over the two segments of a ByteRange [a, b, c, d]. */
export function digestByteRange(parts: PdfParts, br: readonly number[]): Uint8Array {
  const [a, b, c, d] = br as [number, number, number, number];
  const hash = createHash('sha256');
  updateRange(hash, parts, a, a + b);
  updateRange(hash, parts, c, c + d);
  return new Uint8Array(hash.digest());
}

/** The part holding [offset, offset + length) whole, and the offset within it; null when it spans parts. */
export function partHolding(parts: PdfParts, offset: number, length: number): { index: number; at: number } | null {
  let base = 0;
  for (let index = 0; index < parts.length; index++) {
    const p = parts[index]!;
    if (offset >= base && offset + length <= base + p.length) return { index, at: offset - base };
    base += p.length;
  }
  return null;
}
