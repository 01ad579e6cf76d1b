import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { AppError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { dispatchDelivery } from './jobs/delivery-job.ts';
import { PING, type PingPayload } from './payload.ts';
import { notFoundWebhook, presentDelivery } from './subscriptions.ts';

/**
 * Sends a `ping` event to the subscription's address, signed like every delivery and logged with its
 * attempts: what the software's developers use to check their receiver before real events flow.
 */
export async function pingWebhook(deps: Deps, actor: Actor, collectiviteId: string, webhookId: string): Promise<ReturnType<typeof presentDelivery>> {
  if (!isUuid(webhookId)) throw notFoundWebhook();
  return deps.db.transaction().execute(async (trx) => {
    const sub = await trx.selectFrom('webhook_subscription').select(['id', 'active']).where('id', '=', webhookId).where('collectivite_id', '=', collectiviteId).executeTakeFirst();
    if (!sub) throw notFoundWebhook();
    if (!sub.active) throw new AppError('INVALID_STATE', 'Réactivez le webhook avant de le tester.', `webhook ${webhookId} is disabled`);
    const now = deps.clock.now();
    const eventId = randomUUID();
    const payload: PingPayload = { id: eventId, type: PING, occurredAt: now.toISOString(), collectiviteId, webhookId, message: 'Test de réception envoyé par Paraphe.' };
    const row = await trx
      .insertInto('webhook_delivery')
      .values({ collectivite_id: collectiviteId, subscription_id: webhookId, event_id: eventId, event_type: PING, dossier_id: null, dossier_version: null, body: JSON.stringify(payload), state: 'pending', next_attempt_at: now, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await dispatchDelivery(trx, deps, row, { manual: true });
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'webhook.pinged', objectType: 'webhook', objectId: webhookId, details: { deliveryId: row.id } });
    return presentDelivery(row);
  });
}
