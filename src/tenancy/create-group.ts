import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor } from '../identity/principal.ts';
import { AppError } from '../shared/errors.ts';
import { ensureOperator } from './ensure-operator.ts';

export async function createGroup(deps: Deps, actor: Actor, name: string): Promise<{ id: string; name: string }> {
  const operatorId = await ensureOperator(deps);
  return deps.db.transaction().execute(async (trx) => {
    const dup = await trx.selectFrom('collectivite_group').select('id').where('name', '=', name).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `Le groupe « ${name} » existe déjà.`, 'duplicate group');
    const row = await trx.insertInto('collectivite_group').values({ operator_id: operatorId, name }).returning(['id', 'name']).executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId: null, action: 'group.created', objectType: 'group', objectId: row.id, details: { name } });
    return row;
  });
}
