import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { isUuid } from '../shared/ids.ts';
import { notFoundWebhook } from './subscriptions.ts';

/** Deletes the subscription and its delivery log (the journal keeps the deletion). */
export async function deleteWebhookSubscription(deps: Deps, actor: Actor, collectiviteId: string, id: string): Promise<void> {
  if (!isUuid(id)) throw notFoundWebhook();
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('webhook_subscription').where('id', '=', id).where('collectivite_id', '=', collectiviteId).returning(['url']).executeTakeFirst();
    if (!row) throw notFoundWebhook();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'webhook.deleted', objectType: 'webhook', objectId: id, details: { url: row.url } });
  });
}
