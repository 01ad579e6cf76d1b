/**
 * Tampon ACTES (PROTOCOLS A.11): four lines on the first page of the acte — "Envoyé en préfecture le …",
 * "Reçu en préfecture le …", "Publié le …", "ID : …" — written as an incremental update, so the bytes of
 * the signed revisions (PAdES) are untouched and their signatures stay valid. The stamp is always applied
 * to the acte as signed (never on top of an earlier stamp), so recording the publication date re-stamps it.
 */
import { PDF, rgb, StandardFonts } from '@libpdf/core';
import { AppError } from '../../shared/errors.ts';

export interface StampInfo {
  idActe: string;
  /** AAAA-MM-JJ dates; absent ones are left blank. */
  envoye?: string | null;
  recu?: string | null;
  publie?: string | null;
}

export function frenchDate(iso: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso ?? '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

export function stampLines(s: StampInfo): string[] {
  return [`Envoyé en préfecture le ${frenchDate(s.envoye)}`, `Reçu en préfecture le ${frenchDate(s.recu)}`, `Publié le ${frenchDate(s.publie)}`, `ID : ${s.idActe}`];
}

export async function stampActePdf(bytes: Uint8Array, s: StampInfo): Promise<Uint8Array> {
  let pdf: PDF;
  try {
    pdf = await PDF.load(bytes);
  } catch (e) {
    throw new AppError('UNPROCESSABLE', 'Le PDF de l’acte est illisible : impossible d’y apposer le tampon.', `cannot load pdf: ${(e as Error).message}`);
  }
  const page = pdf.getPage(0);
  if (!page) throw new AppError('UNPROCESSABLE', 'Le PDF de l’acte n’a aucune page.', 'no page');
  const size = 8;
  const lines = stampLines(s);
  const width = 210;
  const height = lines.length * (size + 3) + 8;
  const x = page.width - width - 20;
  const y = page.height - height - 20;
  page.drawRectangle({ x, y, width, height, color: rgb(1, 1, 1), borderColor: rgb(0.1, 0.2, 0.5), borderWidth: 1 });
  lines.forEach((line, i) => {
    page.drawText(line, { x: x + 6, y: y + height - 6 - (i + 1) * (size + 3) + 3, size, font: StandardFonts.Helvetica, color: rgb(0.1, 0.2, 0.5) });
  });
  return pdf.save({ incremental: true });
}
