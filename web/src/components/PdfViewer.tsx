import { useEffect, useRef, useState } from 'react';
import { Button } from '@codegouvfr/react-dsfr/Button';
import type { PDFDocumentProxy, RenderTask } from 'pdfjs-dist';

/** pdf.js, loaded on demand (a dossier page only), with its worker served from the app's own assets. */
async function loadPdfJs() {
  const [pdfjs, worker] = await Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]);
  pdfjs.GlobalWorkerOptions.workerSrc = worker.default;
  return pdfjs;
}

export function PdfViewer({ url, filename }: { url: string; filename: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [doc, setDoc] = useState<PDFDocumentProxy | null>(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    let loaded: PDFDocumentProxy | null = null;
    setDoc(null);
    setPage(1);
    (async () => {
      const pdfjs = await loadPdfJs();
      const res = await fetch(url, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(String(res.status));
      const data = new Uint8Array(await res.arrayBuffer());
      loaded = await pdfjs.getDocument({ data, isEvalSupported: false }).promise;
      if (live) setDoc(loaded);
    })().catch(() => {
      if (live) setError('Le document ne peut pas être affiché ici : téléchargez-le pour le consulter.');
    });
    return () => {
      live = false;
      void loaded?.destroy();
    };
  }, [url]);

  useEffect(() => {
    if (!doc || !canvas.current) return;
    let task: RenderTask | null = null;
    let live = true;
    void doc.getPage(page).then((p) => {
      if (!live || !canvas.current) return;
      const width = canvas.current.parentElement?.clientWidth ?? 800;
      const base = p.getViewport({ scale: 1 });
      const scale = Math.min(2, width / base.width);
      const ratio = window.devicePixelRatio || 1;
      const vp = p.getViewport({ scale: scale * ratio });
      const c = canvas.current;
      c.width = vp.width;
      c.height = vp.height;
      c.style.width = `${vp.width / ratio}px`;
      c.style.height = `${vp.height / ratio}px`;
      task = p.render({ canvasContext: c.getContext('2d')!, viewport: vp });
      task.promise.catch(() => undefined);
    });
    return () => {
      live = false;
      task?.cancel();
    };
  }, [doc, page]);

  if (error) return <p className="fr-error-text">{error}</p>;
  return (
    <figure className="paraphe-pdf fr-m-0" aria-busy={!doc}>
      <div className="paraphe-pdf__toolbar">
        <Button size="small" priority="tertiary" iconId="fr-icon-arrow-left-s-line" disabled={!doc || page <= 1} onClick={() => setPage(page - 1)}>
          Page précédente
        </Button>
        <span aria-live="polite" className="fr-text--sm fr-mb-0">
          {doc ? `Page ${page} sur ${doc.numPages}` : 'Chargement du document…'}
        </span>
        <Button size="small" priority="tertiary" iconId="fr-icon-arrow-right-s-line" iconPosition="right" disabled={!doc || page >= doc.numPages} onClick={() => setPage(page + 1)}>
          Page suivante
        </Button>
      </div>
      <div className="paraphe-pdf__page" tabIndex={0} role="region" aria-label={`Aperçu de ${filename}`}>
        <canvas ref={canvas} role="img" aria-label={`Aperçu de ${filename}, page ${page}`} data-testid="pdf-canvas" data-rendered-page={doc ? page : 0} />
      </div>
      <figcaption className="fr-sr-only">Aperçu du document {filename}</figcaption>
    </figure>
  );
}
