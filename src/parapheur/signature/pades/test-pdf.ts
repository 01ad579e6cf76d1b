/**
 * Generated PDFs for tests and benchmarks (pdfkit), so no binary fixture is committed.
 */
import PDFDocument from 'pdfkit';

export interface TestPdfOptions {
  /** Lines of text on the first page; placement tags may be included. */
  lines?: string[];
  /** Approximate target size in bytes (filled with uncompressed text pages). */
  targetBytes?: number;
}

export async function makeTestPdf(options: TestPdfOptions = {}): Promise<Uint8Array> {
  const doc = new PDFDocument({ compress: false, info: { Title: 'Document de test Paraphe' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', () => resolve());
    doc.on('error', reject);
  });
  doc.fontSize(14).text('Délibération du conseil municipal n° 2026-042');
  doc.moveDown();
  for (const line of options.lines ?? ['Objet : approbation du budget primitif.']) doc.fontSize(11).text(line);
  let written = 2000;
  let n = 0;
  while (options.targetBytes && written < options.targetBytes) {
    doc.addPage();
    for (let i = 0; i < 45; i++) {
      const line = `Annexe ${n} ligne ${i} : crédits ouverts au chapitre ${1000 + ((n * 45 + i) % 9000)}, montant ${(n * 7919 + i * 104729) % 1000000} euros.`;
      doc.fontSize(9).text(line);
      written += line.length * 2.3 + 90; // rough size of the content stream operators per line
    }
    n += 1;
  }
  doc.end();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}
