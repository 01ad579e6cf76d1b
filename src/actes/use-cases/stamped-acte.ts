/** The acte's PDF as signed (the parapheur's signed version if any), with the ACTES stamp (sent, received, published dates, ID). */
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../shared/errors.ts';
import { parisDate } from '../archive/build.ts';
import { stampActePdf } from '../stamp/stamp-acte.ts';
import { acteDocument, readBlob } from './support.ts';

export async function stampedActe(deps: Deps, db: Db, collectiviteId: string, dossierId: string): Promise<{ filename: string; pdf: Uint8Array }> {
  const acte = await db.selectFrom('actes_acte').selectAll().where('dossier_id', '=', dossierId).where('collectivite_id', '=', collectiviteId).executeTakeFirst();
  if (!acte) throw new AppError('NOT_FOUND', 'Acte introuvable.', 'acte not found');
  // The signed version when the acte went through the parapheur: the stamp is an incremental update over it.
  const doc = await acteDocument(db, collectiviteId, dossierId);
  if (!doc) throw new AppError('NOT_FOUND', 'L’acte n’a pas encore de document.', 'no principal');
  if (doc.media_type !== 'application/pdf') throw new AppError('INVALID_STATE', 'Le tampon ne s’applique qu’à un acte PDF.', 'not a pdf');
  const pdf = await stampActePdf(await readBlob(deps, doc.sha256), {
    idActe: acte.id_acte,
    envoye: acte.sent_at ? parisDate(acte.sent_at) : null,
    recu: acte.date_reception,
    publie: acte.date_publication,
  });
  return { filename: `${acte.id_acte}-tamponne.pdf`, pdf };
}
