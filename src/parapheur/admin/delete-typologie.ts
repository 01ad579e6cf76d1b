import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import { assertId } from './shared.ts';

/** Deletes a typologie no dossier was sent with. */
export async function deleteTypologie(deps: Deps, actor: Actor, collectiviteId: string, typologieId: string): Promise<void> {
  assertId(typologieId, 'typologie', 'Typologie');
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('parapheur_typologie').selectAll().where('collectivite_id', '=', collectiviteId).where('id', '=', typologieId).forUpdate().executeTakeFirst();
    if (!row) throw notFound('typologie', 'Typologie');
    const used = await trx.selectFrom('parapheur_dossier').select('dossier_id').where('typologie_id', '=', typologieId).limit(1).executeTakeFirst();
    if (used) throw new AppError('CONFLICT', 'Des dossiers utilisent cette typologie : elle ne peut pas être supprimée.', 'typologie in use');
    await trx.deleteFrom('parapheur_typologie').where('id', '=', typologieId).execute();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'parapheur.typologie.deleted', objectType: 'parapheur-typologie', objectId: typologieId, details: { type: row.type, sousType: row.sous_type } });
  });
}
