import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor } from './principal.ts';

export async function logout(deps: Deps, actor: Actor, sessionId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('session').where('id_hash', '=', sessionId).execute();
    await appendJournal(trx, deps.clock, actor, { collectiviteId: null, action: 'logout', objectType: 'user', objectId: actor.userId });
  });
}
