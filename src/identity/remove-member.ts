import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import type { Actor } from './principal.ts';

export async function removeMember(deps: Deps, actor: Actor, collectiviteId: string, userId: string): Promise<void> {
  if (!isUuid(userId)) throw notFound('member', 'Membre');
  await deps.db.transaction().execute(async (trx) => {
    const res = await trx.deleteFrom('membership').where('collectivite_id', '=', collectiviteId).where('user_id', '=', userId).executeTakeFirst();
    if (res.numDeletedRows === 0n) throw notFound('member', 'Membre');
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'member.removed', objectType: 'user', objectId: userId });
  });
}
