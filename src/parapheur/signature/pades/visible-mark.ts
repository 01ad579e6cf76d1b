/**
 * Visible mark ("Signé par … le …") drawn on a page BEFORE signing, saved as an incremental update: the bytes
 * of earlier signatures are never rewritten. Position: a placement tag found in the page text (`#signature#`,
 * `#cachet#`; the tag is covered by the mark), or an explicit page/x/y, or by default the bottom-left corner
 * of the last page, stacked above the marks of earlier signers.
 */
import { rgb, Standard14Font, StandardFonts, type PDF } from '@libpdf/core';
import { AppError } from '../../../shared/errors.ts';

export interface VisibleMarkOptions {
  /** The text to show, e.g. "Signé par Alice Martin le 23/11/2026". */
  text: string;
  /** Placement tag to look for in the page text. */
  tag?: string;
  /** Which occurrence of the tag to use (0-based, all pages in order). */
  tagOccurrence?: number;
  /** 1-based page number; default: last page. */
  page?: number;
  x?: number;
  y?: number;
  fontSize?: number;
}

export interface MarkPlacement {
  page: number;
  x: number;
  y: number;
  from: 'tag' | 'explicit' | 'default';
}

export function drawVisibleMark(pdf: PDF, mark: VisibleMarkOptions, existingSignatures: number): MarkPlacement {
  const size = mark.fontSize ?? 9;
  const pageCount = pdf.getPageCount();
  const font = StandardFonts.Helvetica;
  let placement: MarkPlacement | null = null;
  if (mark.tag) {
    const matches = pdf.findText(mark.tag);
    const match = matches[mark.tagOccurrence ?? 0];
    if (match) {
      const page = pdf.getPage(match.pageIndex)!;
      // cover the tag itself, then write the mark at its baseline
      page.drawRectangle({ x: match.bbox.x - 1, y: match.bbox.y - 2, width: match.bbox.width + 2, height: match.bbox.height + 3, color: rgb(1, 1, 1) });
      placement = { page: match.pageIndex + 1, x: match.bbox.x, y: match.bbox.y, from: 'tag' };
    }
  }
  if (!placement) {
    const pageNumber = mark.page ?? pageCount;
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > pageCount) {
      throw new AppError('BAD_INPUT', `Page ${pageNumber} inexistante pour le visuel de signature`, `mark page ${pageNumber} out of range 1..${pageCount}`);
    }
    const explicit = mark.x !== undefined && mark.y !== undefined;
    placement = explicit
      ? { page: pageNumber, x: mark.x!, y: mark.y!, from: 'explicit' }
      : { page: pageNumber, x: 36, y: 36 + existingSignatures * (size * 2.4), from: 'default' };
  }
  const page = pdf.getPage(placement.page - 1)!;
  // opaque background so the mark stays legible over the page content
  const width = Standard14Font.of('Helvetica').widthOfTextAtSize(mark.text, size);
  page.drawRectangle({ x: placement.x - 2, y: placement.y - size * 0.3, width: width + 4, height: size * 1.3, color: rgb(1, 1, 1) });
  page.drawText(mark.text, { x: placement.x, y: placement.y, size, font, color: rgb(0.1, 0.1, 0.4) });
  return placement;
}
