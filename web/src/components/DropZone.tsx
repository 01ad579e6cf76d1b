import { useId, useState, type DragEvent } from 'react';
import { formatSize } from '../format';

/**
 * Drag-and-drop area around a real file input: mouse users drop files, keyboard and screen reader users
 * use the input (it stays visible and labelled).
 */
export function DropZone({ label, hint, multiple, files, onFiles, accept }: { label: string; hint: string; multiple: boolean; files: File[]; onFiles: (f: File[]) => void; accept?: string }) {
  const id = useId();
  const [over, setOver] = useState(false);
  const add = (list: FileList | null) => {
    if (!list || list.length === 0) return;
    const incoming = [...list];
    onFiles(multiple ? [...files, ...incoming] : incoming.slice(0, 1));
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    add(e.dataTransfer.files);
  };
  return (
    <div
      className={`paraphe-dropzone fr-upload-group${over ? ' paraphe-dropzone--over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid={`dropzone-${multiple ? 'annexes' : 'principal'}`}
    >
      {/* The native input stays focusable (keyboard, screen readers) but is drawn as a DSFR button with French text. */}
      <label className="fr-label" htmlFor={id}>
        {label}
        <span className="fr-hint-text">{hint} Glissez-déposez {multiple ? 'les fichiers' : 'le fichier'} ici ou parcourez votre poste.</span>
        <span className="fr-btn fr-btn--secondary fr-btn--sm fr-mt-2w paraphe-browse">{multiple ? 'Choisir des fichiers' : 'Choisir un fichier'}</span>
      </label>
      <input
        className="paraphe-file-input"
        type="file"
        id={id}
        multiple={multiple}
        accept={accept}
        onChange={(e) => {
          add(e.target.files);
          e.target.value = '';
        }}
      />
      {files.length === 0 && <p className="fr-text--sm fr-mt-1w fr-mb-0">Aucun fichier choisi.</p>}
      {files.length > 0 && (
        <ul className="fr-mt-2w paraphe-filelist" aria-label={multiple ? 'Annexes choisies' : 'Document principal choisi'}>
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              <span className="fr-icon-file-line fr-icon--sm" aria-hidden="true" /> {f.name} ({formatSize(f.size)})
              <button type="button" className="fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-ml-1w" onClick={() => onFiles(files.filter((_, j) => j !== i))}>
                Retirer<span className="fr-sr-only"> {f.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
