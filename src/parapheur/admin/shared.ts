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
