import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { isUuid } from '../shared/ids.ts';
import { checkWebhookUrl } from './address-policy.ts';
import { checkDossierTypes, notFoundWebhook, presentWebhook, type WebhookPatch, type WebhookView } from './subscriptions.ts';

/** Changes the URL, the dossier types, the description or the active flag (disabling stops new deliveries). */
export async function updateWebhookSubscription(deps: Deps, actor: Actor, collectiviteId: string, id: string, patch: WebhookPatch): Promise<WebhookView> {
  if (!isUuid(id)) throw notFoundWebhook();
  const url = patch.url === undefined ? undefined : checkWebhookUrl(patch.url, deps.config.webhookAllowPrivate);
  if (patch.dossierTypes !== undefined) checkDossierTypes(patch.dossierTypes, deps.dossierTypes);
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('webhook_subscription')
      .set({
        ...(url !== undefined ? { url } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.dossierTypes !== undefined ? { dossier_types: JSON.stringify(patch.dossierTypes) } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
        updated_at: deps.clock.now(),
      })
      .where('id', '=', id)
      .where('collectivite_id', '=', collectiviteId)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFoundWebhook();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'webhook.updated', objectType: 'webhook', objectId: id, details: { ...patch, ...(url !== undefined ? { url } : {}) } });
    return presentWebhook(row);
  });
}
