/** What the signature commands (`paraphe pdf …`, `paraphe cades …`) share: input files, trust, errors. */
import { readFile } from 'node:fs/promises';
import { AppError } from '../../shared/errors.ts';

/** Prints the French message (and the English one for the log) and sets exit code 2: input refused. */
export function fail(err: unknown): void {
  if (err instanceof AppError) {
    console.error(`Erreur : ${err.messageFr}`);
    console.error(`(${err.code}: ${err.message})`);
  } else {
    console.error(`Erreur inattendue : ${(err as Error).message ?? String(err)}`);
  }
  process.exitCode = 2;
}

/** The first trust option given, else PARAPHE_TRUST. */
export function trustPath(...flags: (string | undefined)[]): string {
  const path = flags.find((f) => f) ?? process.env.PARAPHE_TRUST;
  if (!path) throw new AppError('BAD_INPUT', 'Autorités de confiance non configurées (option de la commande ou PARAPHE_TRUST)', 'no trust anchors given');
  return path;
}

export async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new AppError('NOT_FOUND', `Fichier introuvable : ${path}`, `cannot read ${path}: ${(err as Error).message}`);
  }
}
