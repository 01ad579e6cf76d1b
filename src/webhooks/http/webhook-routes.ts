import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { principalOf } from '../../http/auth.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { actorOf } from '../../identity/principal.ts';
import { isUuid } from '../../shared/ids.ts';
import { notFound } from '../../shared/errors.ts';
import { createWebhookSubscription } from '../create-subscription.ts';
import { updateWebhookSubscription } from '../update-subscription.ts';
import { deleteWebhookSubscription } from '../delete-subscription.ts';
import { rotateWebhookSecret } from '../rotate-secret.ts';
import { pingWebhook } from '../ping-subscription.ts';
import { retryWebhookDelivery } from '../retry-delivery.ts';
import { deliveryDetail, deliveryView, newWebhookInput, notFoundWebhook, presentAttempt, presentDelivery, presentWebhook, webhookPatch, webhookView } from '../subscriptions.ts';

const webhookParams = collectiviteParams.extend({ webhookId: z.string() });
const deliveryParams = webhookParams.extend({ deliveryId: z.string() });
const SIGNATURE_DOC = 'Chaque appel est un POST JSON signé : `X-Paraphe-Signature: sha256=<hex HMAC-SHA256(secret, X-Paraphe-Timestamp + "." + corps)>` (voir src/webhooks/README.md).';

export function webhookRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Webhooks'];
  const permission = 'webhooks:manage' as const;

  async function ownWebhook(collectiviteId: string, webhookId: string) {
    const row = isUuid(webhookId) ? await deps.db.selectFrom('webhook_subscription').selectAll().where('id', '=', webhookId).where('collectivite_id', '=', collectiviteId).executeTakeFirst() : undefined;
    if (!row) throw notFoundWebhook();
    return row;
  }

  r.get('/api/collectivites/:collectiviteId/webhooks', { config: { permission }, schema: { tags, summary: 'Lister les webhooks', params: collectiviteParams, response: { 200: z.object({ items: z.array(webhookView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const rows = await deps.db.selectFrom('webhook_subscription').selectAll().where('collectivite_id', '=', access.collectiviteId).orderBy('created_at').orderBy('id').execute();
    return { items: rows.map(presentWebhook) };
  });

  r.post('/api/collectivites/:collectiviteId/webhooks', { config: { permission }, schema: { tags, summary: 'Créer un webhook (le secret de signature est affiché une seule fois)', description: SIGNATURE_DOC, params: collectiviteParams, body: newWebhookInput, response: { 201: webhookView.extend({ secret: z.string() }), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const { secret, view } = await createWebhookSubscription(deps, actorOf(principalOf(request)), access.collectiviteId, request.body);
    return reply.status(201).send({ ...view, secret });
  });

  r.get('/api/collectivites/:collectiviteId/webhooks/:webhookId', { config: { permission }, schema: { tags, summary: 'Un webhook', params: webhookParams, response: { 200: webhookView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    return presentWebhook(await ownWebhook(access.collectiviteId, request.params.webhookId));
  });

  r.patch('/api/collectivites/:collectiviteId/webhooks/:webhookId', { config: { permission }, schema: { tags, summary: 'Modifier, désactiver ou réactiver un webhook', params: webhookParams, body: webhookPatch, response: { 200: webhookView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    return updateWebhookSubscription(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.webhookId, request.body);
  });

  r.delete('/api/collectivites/:collectiviteId/webhooks/:webhookId', { config: { permission }, schema: { tags, summary: 'Supprimer un webhook et son historique de livraisons', params: webhookParams, response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await deleteWebhookSubscription(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.webhookId);
    return reply.status(204).send(null);
  });

  r.post('/api/collectivites/:collectiviteId/webhooks/:webhookId/secret', { config: { permission }, schema: { tags, summary: 'Renouveler le secret de signature (affiché une seule fois)', params: webhookParams, response: { 200: webhookView.extend({ secret: z.string() }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const { secret, view } = await rotateWebhookSecret(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.webhookId);
    return { ...view, secret };
  });

  r.post('/api/collectivites/:collectiviteId/webhooks/:webhookId/ping', { config: { permission }, schema: { tags, summary: 'Envoyer un événement « ping » de test, signé comme les autres et visible dans le journal des livraisons', params: webhookParams, body: z.object({}).optional(), response: { 202: deliveryView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    return reply.status(202).send(await pingWebhook(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.webhookId));
  });

  r.get('/api/collectivites/:collectiviteId/webhooks/:webhookId/deliveries', { config: { permission }, schema: { tags, summary: 'Journal des livraisons (les plus récentes d’abord)', params: webhookParams, querystring: z.object({ state: z.enum(['pending', 'waiting', 'delivered', 'failed']).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }), response: { 200: z.object({ items: z.array(deliveryView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const hook = await ownWebhook(access.collectiviteId, request.params.webhookId);
    let q = deps.db.selectFrom('webhook_delivery').selectAll().where('collectivite_id', '=', access.collectiviteId).where('subscription_id', '=', hook.id);
    if (request.query.state) q = q.where('state', '=', request.query.state);
    const rows = await q.orderBy('created_at', 'desc').orderBy('dossier_version', 'desc').orderBy('id', 'desc').limit(request.query.limit).execute();
    return { items: rows.map(presentDelivery) };
  });

  r.get('/api/collectivites/:collectiviteId/webhooks/:webhookId/deliveries/:deliveryId', { config: { permission }, schema: { tags, summary: 'Une livraison : le corps envoyé et chaque tentative', params: deliveryParams, response: { 200: deliveryDetail, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const { webhookId, deliveryId } = request.params;
    const row = isUuid(webhookId) && isUuid(deliveryId) ? await deps.db.selectFrom('webhook_delivery').selectAll().where('id', '=', deliveryId).where('subscription_id', '=', webhookId).where('collectivite_id', '=', access.collectiviteId).executeTakeFirst() : undefined;
    if (!row) throw notFound('webhook delivery', 'Livraison');
    const attempts = await deps.db.selectFrom('webhook_attempt').selectAll().where('delivery_id', '=', row.id).where('collectivite_id', '=', access.collectiviteId).orderBy('attempt').execute();
    return { ...presentDelivery(row), payload: JSON.parse(row.body) as unknown, attemptLog: attempts.map(presentAttempt) };
  });

  r.post('/api/collectivites/:collectiviteId/webhooks/:webhookId/deliveries/:deliveryId/retry', { config: { permission }, schema: { tags, summary: 'Relancer une livraison échouée (ou la renvoyer)', params: deliveryParams, body: z.object({}).optional(), response: { 202: deliveryView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const view = await retryWebhookDelivery(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.webhookId, request.params.deliveryId);
    return reply.status(202).send(view);
  });
}
