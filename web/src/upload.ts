import { errorMessage, uploadFile } from './api';

/** Upload progress of one file, as the creation forms show it. */
export interface Progress {
  name: string;
  fraction: number;
  error?: string;
}

/**
 * Uploads the principal document(s) then the annexes, in order, to `documentsPath?role=…`, reporting each
 * file's progress or error. Resolves to false when some file was refused (the others are kept).
 */
export async function uploadDocuments(documentsPath: string, principal: File[], annexes: File[], setProgress: (update: (p: Progress[]) => Progress[]) => void): Promise<boolean> {
  const files = [...principal.map((f) => ({ f, role: 'principal' })), ...annexes.map((f) => ({ f, role: 'annexe' }))];
  setProgress(() => files.map(({ f }) => ({ name: f.name, fraction: 0 })));
  let allOk = true;
  for (let i = 0; i < files.length; i++) {
    const { f, role } = files[i]!;
    try {
      await uploadFile(`${documentsPath}?role=${role}`, f, (fraction) => setProgress((p) => p.map((x, j) => (j === i ? { ...x, fraction } : x))));
    } catch (err) {
      allOk = false;
      const msg = errorMessage(err);
      setProgress((p) => p.map((x, j) => (j === i ? { ...x, error: msg } : x)));
    }
  }
  return allOk;
}
