import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { isUuid } from '../shared/ids.ts';
import { newWebhookSecret, WEBHOOK_SECRET_PURPOSE } from './signature.ts';
import { notFoundWebhook, presentWebhook, type WebhookView } from './subscriptions.ts';

/** A new signing secret, returned in clear once; deliveries sent from now on are signed with it. */
export async function rotateWebhookSecret(deps: Deps, actor: Actor, collectiviteId: string, id: string): Promise<{ secret: string; view: WebhookView }> {
  if (!isUuid(id)) throw notFoundWebhook();
  const secret = newWebhookSecret();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('webhook_subscription')
      .set({ secret: deps.secrets.seal(secret, WEBHOOK_SECRET_PURPOSE), secret_hint: secret.slice(0, 10), secret_rotated_at: deps.clock.now(), updated_at: deps.clock.now() })
      .where('id', '=', id)
      .where('collectivite_id', '=', collectiviteId)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFoundWebhook();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'webhook.secret-rotated', objectType: 'webhook', objectId: id });
    return { secret, view: presentWebhook(row) };
  });
}
