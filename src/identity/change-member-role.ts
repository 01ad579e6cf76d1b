import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import type { Actor } from './principal.ts';
import type { CollectiviteRole } from './roles.ts';
import { presentMember, type MemberView } from './user.ts';

export async function changeMemberRole(deps: Deps, actor: Actor, collectiviteId: string, userId: string, role: CollectiviteRole): Promise<MemberView> {
  if (!isUuid(userId)) throw notFound('member', 'Membre');
  return deps.db.transaction().execute(async (trx) => {
    const updated = await trx.updateTable('membership').set({ role }).where('collectivite_id', '=', collectiviteId).where('user_id', '=', userId).executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw notFound('member', 'Membre');
    const user = await trx.selectFrom('app_user').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'member.role-changed', objectType: 'user', objectId: userId, details: { role } });
    return presentMember({ ...user, role });
  });
}
