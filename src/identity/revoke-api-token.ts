import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import type { Actor } from './principal.ts';

export async function revokeApiToken(deps: Deps, actor: Actor, collectiviteId: string, tokenId: string): Promise<void> {
  if (!isUuid(tokenId)) throw notFound('api token', 'Jeton');
  await deps.db.transaction().execute(async (trx) => {
    const res = await trx.updateTable('api_token').set({ revoked_at: deps.clock.now() }).where('id', '=', tokenId).where('collectivite_id', '=', collectiviteId).where('revoked_at', 'is', null).executeTakeFirst();
    if (res.numUpdatedRows === 0n) throw notFound('api token', 'Jeton');
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'api-token.revoked', objectType: 'api-token', objectId: tokenId });
  });
}
