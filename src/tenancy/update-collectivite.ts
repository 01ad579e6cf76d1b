import type { z } from 'zod';
import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor } from '../identity/principal.ts';
import { notFound } from '../shared/errors.ts';
import { presentCollectivite, type collectivitePatch, type CollectiviteView } from './collectivite.ts';

export async function updateCollectivite(deps: Deps, actor: Actor, id: string, patch: z.infer<typeof collectivitePatch>): Promise<CollectiviteView> {
  return deps.db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('collectivite').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw notFound('collectivite', 'Collectivité');
    const row = await trx
      .updateTable('collectivite')
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.type !== undefined && { type: patch.type }),
        ...(patch.sirets !== undefined && { sirets: JSON.stringify(patch.sirets) }),
        ...(patch.insee !== undefined && { insee: patch.insee }),
        ...(patch.population !== undefined && { population: patch.population }),
        ...(patch.departement !== undefined && { departement: patch.departement }),
        ...(patch.arrondissement !== undefined && { arrondissement: patch.arrondissement }),
        ...(patch.services !== undefined && { services: JSON.stringify(patch.services) }),
        ...(patch.groupId !== undefined && { group_id: patch.groupId }),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId: id, action: 'collectivite.updated', objectType: 'collectivite', objectId: id, details: { changes: patch } });
    return presentCollectivite(row);
  });
}
