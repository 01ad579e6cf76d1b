import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { checkWebhookUrl } from './address-policy.ts';
import { newWebhookSecret, WEBHOOK_SECRET_PURPOSE } from './signature.ts';
import { checkDossierTypes, presentWebhook, type NewWebhookInput, type WebhookView } from './subscriptions.ts';

/** Registers a subscription; its signing secret is returned in clear this once. */
export async function createWebhookSubscription(deps: Deps, actor: Actor, collectiviteId: string, input: NewWebhookInput): Promise<{ secret: string; view: WebhookView }> {
  const url = checkWebhookUrl(input.url, deps.config.webhookAllowPrivate);
  checkDossierTypes(input.dossierTypes, deps.dossierTypes);
  const secret = newWebhookSecret();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('webhook_subscription')
      .values({ collectivite_id: collectiviteId, url, description: input.description, dossier_types: JSON.stringify(input.dossierTypes), active: input.active, secret: deps.secrets.seal(secret, WEBHOOK_SECRET_PURPOSE), secret_hint: secret.slice(0, 10), created_by: actor.userId, updated_at: deps.clock.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'webhook.created', objectType: 'webhook', objectId: row.id, details: { url, dossierTypes: input.dossierTypes, active: input.active } });
    return { secret, view: presentWebhook(row) };
  });
}
