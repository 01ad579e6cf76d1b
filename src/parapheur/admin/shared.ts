import type { Db } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import { isUuid } from '../../shared/ids.ts';

export async function assertBureauxExist(db: Db, collectiviteId: string, ids: string[]): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  const rows = await db.selectFrom('parapheur_bureau').select('id').where('collectivite_id', '=', collectiviteId).where('id', 'in', unique).execute();
  if (rows.length !== unique.length) throw new AppError('UNPROCESSABLE', 'Un des bureaux indiqués n’existe pas dans cette collectivité.', 'unknown bureau');
}

export function assertId(id: string, what: string, whatFr: string): void {
  if (!isUuid(id)) throw notFound(what, whatFr);
}

/** An edit that started from an older version than the one stored: someone else saved in between. */
export function staleEdit(whatFr: string, what: string, current: number, given: number): AppError {
  return new AppError('CONFLICT', `${whatFr.charAt(0).toUpperCase()}${whatFr.slice(1)} a été modifié${what === 'typologie' ? 'e' : ''} par quelqu’un d’autre depuis que vous l’avez ouvert${what === 'typologie' ? 'e' : ''} : rechargez la page pour voir la version actuelle, puis refaites votre modification.`, `stale ${what} edit: version ${given}, current ${current}`, { currentVersion: current });
}

/** The PAdES level kept for a typologie: only a PAdES typologie has one (for XAdES and CAdES it is ignored). */
export const padesLevelSetting = (input: { format: string; niveauPades: string | null }): string | null => (input.format === 'pades' ? input.niveauPades : null);
