/** Inputs and views of the webhook API (the same zod schemas validate requests and write the OpenAPI). */
import { z } from 'zod';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookSubscriptionRow } from '../platform/db/schema.ts';
import type { DossierTypeRegistry } from '../dossiers/registry.ts';
import { badInput, notFound } from '../shared/errors.ts';
import { PING, type StateChangedPayload } from './payload.ts';

const url = z.string().trim().min(1, 'Donnez l’adresse du webhook.').max(2000, 'Adresse trop longue (2 000 caractères au plus).');
const description = z.string().trim().max(200, 'Description trop longue (200 caractères au plus).');
/** null or absent: every dossier type. */
const dossierTypes = z.array(z.string().min(1)).min(1, 'Choisissez au moins un type de dossier, ou aucun filtre (null) pour tous.').max(50).nullable();

export const newWebhookInput = z.object({
  url,
  description: description.default(''),
  dossierTypes: dossierTypes.default(null),
  active: z.boolean().default(true),
});
export type NewWebhookInput = z.infer<typeof newWebhookInput>;

export const webhookPatch = z
  .object({ url: url.optional(), description: description.optional(), dossierTypes: dossierTypes.optional(), active: z.boolean().optional() })
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'Rien à modifier.');
export type WebhookPatch = z.infer<typeof webhookPatch>;

export const webhookView = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  dossierTypes: z.array(z.string()).nullable(),
  active: z.boolean(),
  /** The first characters of the secret, to recognise it. */
  secretPrefix: z.string(),
  secretRotatedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookView = z.infer<typeof webhookView>;

export function presentWebhook(r: WebhookSubscriptionRow): WebhookView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    dossierTypes: r.dossier_types ?? null,
    active: r.active,
    secretPrefix: `${r.secret_hint}…`,
    secretRotatedAt: r.secret_rotated_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

export const notFoundWebhook = () => notFound('webhook subscription', 'Webhook');

export function checkDossierTypes(types: string[] | null | undefined, registry: DossierTypeRegistry): void {
  const known = new Set(registry.all().map((t) => t.type));
  const unknown = (types ?? []).filter((t) => !known.has(t));
  if (unknown.length) throw badInput(`Type de dossier inconnu : ${unknown.map((t) => `« ${t} »`).join(', ')}.`, `unknown dossier types ${unknown.join(',')}`, { unknown });
}

export const DELIVERY_STATE_LABELS: Record<WebhookDeliveryRow['state'], string> = {
  pending: 'En cours d’envoi',
  waiting: 'En attente d’un envoi précédent',
  delivered: 'Remis',
  failed: 'Échec',
};

export const attemptView = z.object({
  attempt: z.number(),
  manual: z.boolean(),
  at: z.string(),
  statusCode: z.number().nullable(),
  durationMs: z.number(),
  error: z.string().nullable(),
  responseBody: z.string().nullable(),
});

export const deliveryView = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  /** null for a `ping`. */
  dossierId: z.string().nullable(),
  dossierVersion: z.number().nullable(),
  /** From the frozen body: the dossier's title and the change, as sent. */
  dossierTitle: z.string(),
  transition: z.string(),
  state: z.enum(['pending', 'waiting', 'delivered', 'failed']),
  stateLabel: z.string(),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
});
export const deliveryDetail = deliveryView.extend({ payload: z.unknown(), attemptLog: z.array(attemptView) });

export function presentDelivery(r: WebhookDeliveryRow): z.infer<typeof deliveryView> {
  const sent = JSON.parse(r.body) as Partial<StateChangedPayload>;
  return {
    id: r.id,
    eventId: r.event_id,
    eventType: r.event_type,
    dossierId: r.dossier_id,
    dossierVersion: r.dossier_version,
    dossierTitle: sent.dossier?.title ?? '',
    transition: sent.from && sent.to ? `${sent.from.label} → ${sent.to.label}` : r.event_type === PING ? 'Test de réception' : '',
    state: r.state,
    stateLabel: DELIVERY_STATE_LABELS[r.state],
    attempts: r.attempts,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
    deliveredAt: r.delivered_at?.toISOString() ?? null,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export function presentAttempt(a: WebhookAttemptRow): z.infer<typeof attemptView> {
  return { attempt: a.attempt, manual: a.manual, at: new Date(a.at).toISOString(), statusCode: a.status_code, durationMs: a.duration_ms, error: a.error, responseBody: a.response_body };
}
