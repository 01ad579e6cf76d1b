import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import { assertId } from './shared.ts';

/** Deletes a bureau no circuit, dossier, délégation or other bureau refers to. */
export async function deleteBureau(deps: Deps, actor: Actor, collectiviteId: string, bureauId: string): Promise<void> {
  assertId(bureauId, 'bureau', 'Bureau');
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('parapheur_bureau').selectAll().where('collectivite_id', '=', collectiviteId).where('id', '=', bureauId).forUpdate().executeTakeFirst();
    if (!row) throw notFound('bureau', 'Bureau');
    const circuits = await trx.selectFrom('parapheur_circuit').select(['name', 'steps']).where('collectivite_id', '=', collectiviteId).execute();
    const usedBy = circuits.filter((c) => JSON.stringify(c.steps).includes(bureauId)).map((c) => c.name);
    const refs = await Promise.all([
      trx.selectFrom('parapheur_bureau').select('id').where('superior_id', '=', bureauId).limit(1).executeTakeFirst(),
      trx.selectFrom('parapheur_dossier').select('dossier_id').where('emetteur_bureau_id', '=', bureauId).limit(1).executeTakeFirst(),
      trx.selectFrom('parapheur_delegation').select('id').where((eb) => eb.or([eb('from_bureau_id', '=', bureauId), eb('to_bureau_id', '=', bureauId)])).limit(1).executeTakeFirst(),
      trx.selectFrom('parapheur_act').select('id').where((eb) => eb.or([eb('bureau_id', '=', bureauId), eb('via_bureau_id', '=', bureauId)])).limit(1).executeTakeFirst(),
    ]);
    if (usedBy.length || refs.some(Boolean)) throw new AppError('CONFLICT', `Le bureau « ${row.name} » est utilisé${usedBy.length ? ` (circuits : ${usedBy.join(', ')})` : ''} : il ne peut pas être supprimé.`, 'bureau in use');
    await trx.deleteFrom('parapheur_bureau').where('id', '=', bureauId).execute();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'parapheur.bureau.deleted', objectType: 'parapheur-bureau', objectId: bureauId, details: { name: row.name } });
  });
}
