import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import { assertId } from './shared.ts';

/** Replaces a bureau's holders (members of the collectivité). */
export async function setBureauHolders(deps: Deps, actor: Actor, collectiviteId: string, bureauId: string, userIds: string[]): Promise<void> {
  assertId(bureauId, 'bureau', 'Bureau');
  const holders = [...new Set(userIds)];
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('parapheur_bureau').select('id').where('collectivite_id', '=', collectiviteId).where('id', '=', bureauId).forUpdate().executeTakeFirst();
    if (!row) throw notFound('bureau', 'Bureau');
    if (holders.length) {
      const members = await trx.selectFrom('membership').select('user_id').where('collectivite_id', '=', collectiviteId).where('user_id', 'in', holders).execute();
      if (members.length !== holders.length) throw new AppError('UNPROCESSABLE', 'Un titulaire indiqué n’est pas membre de cette collectivité.', 'holder not a member');
    }
    await trx.deleteFrom('parapheur_bureau_holder').where('bureau_id', '=', bureauId).execute();
    if (holders.length) await trx.insertInto('parapheur_bureau_holder').values(holders.map((u) => ({ bureau_id: bureauId, user_id: u, collectivite_id: collectiviteId }))).execute();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'parapheur.bureau.holders', objectType: 'parapheur-bureau', objectId: bureauId, details: { holderUserIds: holders } });
  });
}
