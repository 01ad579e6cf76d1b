/**
 * Guards on the PDF handed to signing or verification: a real PDF header, parseable by @libpdf/core without
 * brute-force recovery, not encrypted, with at least one page. Each refusal is an AppError with a French
 * message for the user.
 */
import { PDF } from '@libpdf/core';
import { AppError } from '../../../shared/errors.ts';

const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');

export function assertLooksLikePdf(bytes: Uint8Array): void {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024));
  if (bytes.byteLength < 16 || head.indexOf(PDF_MAGIC) < 0) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Le fichier n’est pas un PDF', 'input has no %PDF- header');
  }
}

export async function loadPdf(bytes: Uint8Array, purpose: 'sign' | 'verify'): Promise<PDF> {
  assertLooksLikePdf(bytes);
  let pdf: PDF;
  try {
    pdf = await PDF.load(bytes);
  } catch (err) {
    throw new AppError('BAD_INPUT', 'Le fichier PDF est corrompu ou illisible', `PDF parse failed: ${(err as Error).message}`);
  }
  if (pdf.recoveredViaBruteForce) {
    throw new AppError('BAD_INPUT', 'Le fichier PDF est corrompu ou illisible', 'PDF cross-reference table is broken (brute-force recovery needed)');
  }
  if (purpose === 'sign' && pdf.isEncrypted) {
    throw new AppError('BAD_INPUT', 'Le PDF est chiffré ou protégé par mot de passe : il ne peut pas être signé', 'encrypted PDF refused for signing');
  }
  let pages = 0;
  try {
    pages = pdf.getPageCount();
  } catch (err) {
    throw new AppError('BAD_INPUT', 'Le fichier PDF est corrompu ou illisible', `page tree unreadable: ${(err as Error).message}`);
  }
  if (pages === 0) throw new AppError('BAD_INPUT', 'Le fichier PDF ne contient aucune page', 'PDF has no pages');
  return pdf;
}
