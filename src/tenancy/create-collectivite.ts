import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor } from '../identity/principal.ts';
import { AppError } from '../shared/errors.ts';
import { ensureOperator } from './ensure-operator.ts';
import { presentCollectivite, type CollectiviteInput, type CollectiviteView } from './collectivite.ts';

export async function createCollectivite(deps: Deps, actor: Actor, input: CollectiviteInput): Promise<CollectiviteView> {
  const operatorId = await ensureOperator(deps);
  return deps.db.transaction().execute(async (trx) => {
    const dup = await trx.selectFrom('collectivite').select('id').where('siren', '=', input.siren).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `Une collectivité avec le SIREN ${input.siren} existe déjà.`, 'duplicate SIREN');
    if (input.groupId) {
      const g = await trx.selectFrom('collectivite_group').select('id').where('id', '=', input.groupId).executeTakeFirst();
      if (!g) throw new AppError('BAD_INPUT', 'Groupe de collectivités inconnu.', 'unknown group');
    }
    const row = await trx
      .insertInto('collectivite')
      .values({
        operator_id: operatorId,
        group_id: input.groupId,
        name: input.name,
        type: input.type,
        siren: input.siren,
        sirets: JSON.stringify(input.sirets),
        insee: input.insee,
        population: input.population,
        departement: input.departement,
        arrondissement: input.arrondissement,
        services: JSON.stringify(input.services),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = presentCollectivite(row);
    await appendJournal(trx, deps.clock, actor, { collectiviteId: null, action: 'collectivite.created', objectType: 'collectivite', objectId: row.id, details: { ...view } });
    await appendJournal(trx, deps.clock, actor, { collectiviteId: row.id, action: 'collectivite.created', objectType: 'collectivite', objectId: row.id, details: { name: row.name, siren: row.siren } });
    return view;
  });
}
