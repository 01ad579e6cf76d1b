import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { AppError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { dispatchDelivery } from './jobs/delivery-job.ts';
import { presentDelivery } from './subscriptions.ts';

/**
 * Sends a failed (or already delivered) delivery again, by hand: the same body and delivery id, a new round
 * of attempts. A delivery still being sent cannot be retried.
 */
export async function retryWebhookDelivery(deps: Deps, actor: Actor, collectiviteId: string, webhookId: string, deliveryId: string): Promise<ReturnType<typeof presentDelivery>> {
  if (!isUuid(webhookId) || !isUuid(deliveryId)) throw notFound('webhook delivery', 'Livraison');
  return deps.db.transaction().execute(async (trx) => {
    const delivery = await trx
      .selectFrom('webhook_delivery')
      .selectAll()
      .where('id', '=', deliveryId)
      .where('subscription_id', '=', webhookId)
      .where('collectivite_id', '=', collectiviteId)
      .forUpdate()
      .executeTakeFirst();
    if (!delivery) throw notFound('webhook delivery', 'Livraison');
    if (delivery.state === 'pending' || delivery.state === 'waiting') {
      throw new AppError('INVALID_STATE', 'Cette livraison est déjà en cours d’envoi.', `delivery ${deliveryId} is ${delivery.state}`);
    }
    const sub = await trx.selectFrom('webhook_subscription').select('active').where('id', '=', webhookId).executeTakeFirstOrThrow();
    if (!sub.active) throw new AppError('INVALID_STATE', 'Réactivez le webhook avant de relancer une livraison.', `webhook ${webhookId} is disabled`);
    const now = deps.clock.now();
    const row = await trx
      .updateTable('webhook_delivery')
      .set((eb) => ({ state: 'pending', round: eb('round', '+', 1), next_attempt_at: now, updated_at: now }))
      .where('id', '=', deliveryId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await dispatchDelivery(trx, deps, row, { manual: true });
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'webhook.delivery-retried', objectType: 'webhook', objectId: webhookId, details: { deliveryId, previousState: delivery.state } });
    return presentDelivery(row);
  });
}
