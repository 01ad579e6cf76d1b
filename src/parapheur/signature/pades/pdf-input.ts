/**
 * Guards on the PDF handed to signing or verification: a real PDF header, parseable by @libpdf/core without
 * brute-force recovery, not encrypted, with at least one page. Each refusal is an AppError with a French
 * message for the user.
 *
 * Signing loads the document with a lazy page tree (see lazy-page-tree.ts): @libpdf/core reads objects
 * through the cross-reference section on demand, but its PDF.load walks the whole page tree and parses every
 * page dictionary up front, the largest part of a load. Appending a signature needs the trailer, the catalog,
 * the form and the first page only; the complete page tree is still read, by the library, the first time
 * anything asks for it (the visible mark, page counts).
 */
import { PDF } from '@libpdf/core';
import { AppError } from '../../../shared/errors.ts';
import { findFirstPage, loadWithLazyPageTree } from './lazy-page-tree.ts';

const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');

export function assertLooksLikePdf(bytes: Uint8Array): void {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024));
  if (bytes.byteLength < 16 || head.indexOf(PDF_MAGIC) < 0) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Le fichier n’est pas un PDF', 'input has no %PDF- header');
  }
}

const corrupt = (en: string): AppError => new AppError('BAD_INPUT', 'Le fichier PDF est corrompu ou illisible', en);
const noPages = (): AppError => new AppError('BAD_INPUT', 'Le fichier PDF ne contient aucune page', 'PDF has no pages');

export async function loadPdf(bytes: Uint8Array, purpose: 'sign' | 'verify'): Promise<PDF> {
  assertLooksLikePdf(bytes);
  let pdf: PDF;
  try {
    pdf = purpose === 'sign' ? await loadWithLazyPageTree(bytes) : await PDF.load(bytes);
  } catch (err) {
    throw corrupt(`PDF parse failed: ${(err as Error).message}`);
  }
  if (pdf.recoveredViaBruteForce) throw corrupt('PDF cross-reference table is broken (brute-force recovery needed)');
  if (purpose === 'sign' && pdf.isEncrypted) {
    throw new AppError('BAD_INPUT', 'Le PDF est chiffré ou protégé par mot de passe : il ne peut pas être signé', 'encrypted PDF refused for signing');
  }
  if (purpose === 'sign') {
    // the first page is where the signature widget goes: found by descending the tree, no full walk
    try {
      if (!findFirstPage(pdf)) throw noPages();
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw corrupt(`page tree unreadable: ${(err as Error).message}`);
    }
    return pdf;
  }
  let pages = 0;
  try {
    pages = pdf.getPageCount();
  } catch (err) {
    throw corrupt(`page tree unreadable: ${(err as Error).message}`);
  }
  if (pages === 0) throw noPages();
  return pdf;
}
