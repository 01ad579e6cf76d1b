import type { Db } from '../platform/db/database.ts';
import type { DocumentRow, DossierRow } from '../platform/db/schema.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';

/** Reads a dossier only through its collectivité: another collectivité's id is simply not found. */
export async function loadDossier(db: Db, collectiviteId: string, dossierId: string, opts: { forUpdate?: boolean } = {}): Promise<{ dossier: DossierRow; documents: DocumentRow[] }> {
  if (!isUuid(dossierId)) throw notFound('dossier', 'Dossier');
  let q = db.selectFrom('dossier').selectAll().where('id', '=', dossierId).where('collectivite_id', '=', collectiviteId);
  if (opts.forUpdate) q = q.forUpdate();
  const dossier = await q.executeTakeFirst();
  if (!dossier) throw notFound('dossier', 'Dossier');
  const documents = await db.selectFrom('document').selectAll().where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', dossierId).orderBy('created_at').orderBy('id').execute();
  return { dossier, documents };
}
