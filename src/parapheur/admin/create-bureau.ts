import type { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { ParapheurBureauRow } from '../../platform/db/schema.ts';
import { AppError } from '../../shared/errors.ts';
import type { bureauInput } from '../model.ts';
import { assertBureauxExist } from './shared.ts';

/** Creates a bureau with its holders (members of the collectivité) and its optional superior. */
export async function createBureau(deps: Deps, actor: Actor, collectiviteId: string, input: z.infer<typeof bureauInput>): Promise<ParapheurBureauRow> {
  return deps.db.transaction().execute(async (trx) => {
    if (input.superiorId) await assertBureauxExist(trx, collectiviteId, [input.superiorId]);
    const holders = [...new Set(input.holderUserIds)];
    if (holders.length) {
      const members = await trx.selectFrom('membership').select('user_id').where('collectivite_id', '=', collectiviteId).where('user_id', 'in', holders).execute();
      if (members.length !== holders.length) throw new AppError('UNPROCESSABLE', 'Un titulaire indiqué n’est pas membre de cette collectivité.', 'holder not a member');
    }
    const clash = await trx.selectFrom('parapheur_bureau').select('id').where('collectivite_id', '=', collectiviteId).where('name', '=', input.name).executeTakeFirst();
    if (clash) throw new AppError('CONFLICT', `Un bureau « ${input.name} » existe déjà.`, 'bureau name taken');
    const row = await trx.insertInto('parapheur_bureau').values({ collectivite_id: collectiviteId, name: input.name, superior_id: input.superiorId }).returningAll().executeTakeFirstOrThrow();
    if (holders.length) await trx.insertInto('parapheur_bureau_holder').values(holders.map((u) => ({ bureau_id: row.id, user_id: u, collectivite_id: collectiviteId }))).execute();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'parapheur.bureau.created', objectType: 'parapheur-bureau', objectId: row.id, details: { name: row.name, superiorId: row.superior_id, holderUserIds: holders } });
    return row;
  });
}
