/**
 * Queue `webhook-delivery`: one job per delivery (per dispatch round). The job POSTs the frozen body with
 * its signature; 2xx = delivered, anything else = the queue retries with exponential back-off, and every
 * attempt is logged. When the attempts are exhausted the delivery is `failed` and can be retried by hand.
 *
 * Order: deliveries of one dossier to one subscription go out in the dossier's version order — a delivery
 * whose predecessor (same subscription, same dossier, lower version) is still being sent waits (`waiting`)
 * and is released when the predecessor is delivered or has failed. Across dossiers there is no order.
 * A crash between the call and its record repeats the call: receivers deduplicate on X-Paraphe-Delivery.
 */
import { performance } from 'node:perf_hooks';
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import type { WebhookDeliveryRow } from '../../platform/db/schema.ts';
import { enqueueJob, type JobHandler } from '../../platform/jobs/job-queue.ts';
import type { WebhookPorts } from '../ports.ts';
import { signWebhook, WEBHOOK_SECRET_PURPOSE } from '../signature.ts';

export const WEBHOOK_QUEUE = 'webhook-delivery';
export const WEBHOOK_MAX_ATTEMPTS = 8;
/** 30 s, 1 min, 2 min … 32 min: eight attempts over about an hour. */
export const WEBHOOK_BACKOFF_SECONDS = 30;
const MAX_RESPONSE_BYTES = 2048;
const USER_AGENT = 'Paraphe-Webhooks/1';

/** Enqueues the job of one dispatch round of a delivery (in the caller's transaction). */
export async function dispatchDelivery(trx: Db, deps: Deps, delivery: { id: string; round: number }, opts: { manual: boolean }): Promise<void> {
  await enqueueJob(trx, deps.clock, {
    queue: WEBHOOK_QUEUE,
    payload: { deliveryId: delivery.id, manual: opts.manual },
    singletonKey: `${WEBHOOK_QUEUE}:${delivery.id}:${delivery.round}`,
    maxAttempts: WEBHOOK_MAX_ATTEMPTS,
  });
}

/** The next delivery of the same dossier to the same subscription, if it waited for this one. */
async function releaseNext(trx: Db, deps: Deps, d: Pick<WebhookDeliveryRow, 'subscription_id' | 'dossier_id'>): Promise<void> {
  if (d.dossier_id === null) return; // a ping: ordered with nothing
  const next = await trx
    .selectFrom('webhook_delivery')
    .select('id')
    .where('subscription_id', '=', d.subscription_id)
    .where('dossier_id', '=', d.dossier_id)
    .where('state', '=', 'waiting')
    .orderBy('dossier_version')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  if (!next) return;
  const row = await trx
    .updateTable('webhook_delivery')
    .set((eb) => ({ state: 'pending', round: eb('round', '+', 1), next_attempt_at: deps.clock.now(), updated_at: deps.clock.now() }))
    .where('id', '=', next.id)
    .returning(['id', 'round'])
    .executeTakeFirstOrThrow();
  await dispatchDelivery(trx, deps, row, { manual: false });
}

/** Marks the delivery failed and lets the next one of its dossier go. */
async function fail(trx: Db, deps: Deps, d: WebhookDeliveryRow, error: string | null): Promise<void> {
  await trx
    .updateTable('webhook_delivery')
    .set({ state: 'failed', next_attempt_at: null, updated_at: deps.clock.now(), ...(error !== null ? { last_error: error } : {}) })
    .where('id', '=', d.id)
    .execute();
  await releaseNext(trx, deps, d);
}

type Ready = { delivery: WebhookDeliveryRow; url: string; secret: string };

/** Under row locks: is this delivery to be sent now, skipped, or to wait for its predecessor? */
async function prepare(deps: Deps, deliveryId: string): Promise<Ready | null> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('webhook_delivery')
      .innerJoin('webhook_subscription as s', 's.id', 'webhook_delivery.subscription_id')
      .selectAll('webhook_delivery')
      .select(['s.url', 's.secret', 's.active'])
      .where('webhook_delivery.id', '=', deliveryId)
      .forUpdate('webhook_delivery')
      .executeTakeFirst();
    // Deleted with its subscription, or already settled (a repeated job): nothing to do.
    if (!row || row.state !== 'pending') return null;
    const { url, secret, active, ...delivery } = row;
    if (!active) {
      await fail(trx, deps, delivery, 'Webhook désactivé : rien n’a été envoyé.');
      return null;
    }
    const earlier = await trx
      .selectFrom('webhook_delivery')
      .select('id')
      .where('subscription_id', '=', delivery.subscription_id)
      .where('dossier_id', '=', delivery.dossier_id)
      .where('dossier_version', '<', delivery.dossier_version)
      .where('state', 'in', ['pending', 'waiting'])
      .forUpdate()
      .execute();
    if (earlier.length > 0) {
      await trx.updateTable('webhook_delivery').set({ state: 'waiting', next_attempt_at: null, updated_at: deps.clock.now() }).where('id', '=', delivery.id).execute();
      return null;
    }
    return { delivery, url, secret: deps.secrets.open(secret, WEBHOOK_SECRET_PURPOSE) };
  });
}

export function deliveryHandler(deps: () => Deps, ports: () => WebhookPorts): JobHandler {
  return {
    backoffSeconds: WEBHOOK_BACKOFF_SECONDS,
    async run(job) {
      const d = deps();
      const payload = job.payload as { deliveryId: string; manual?: boolean };
      const ready = await prepare(d, payload.deliveryId);
      if (!ready) return {};
      const { delivery } = ready;
      const timestamp = String(Math.floor(d.clock.now().getTime() / 1000));
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'x-paraphe-event': delivery.event_type,
        'x-paraphe-delivery': delivery.id,
        'x-paraphe-timestamp': timestamp,
        'x-paraphe-signature': signWebhook(ready.secret, timestamp, delivery.body),
      };
      const started = performance.now();
      let status: number | null = null;
      let responseBody: string | null = null;
      let error: string | null = null;
      try {
        const res = await ports().http.post({ url: ready.url, headers, body: delivery.body, timeoutMs: ports().timeoutMs, allowPrivate: d.config.webhookAllowPrivate, maxResponseBytes: MAX_RESPONSE_BYTES });
        status = res.status;
        responseBody = res.body;
        if (status < 200 || status > 299) error = `réponse HTTP ${status}`;
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      const durationMs = Math.round(performance.now() - started);
      const ok = error === null;
      const now = d.clock.now();
      const lastAttempt = job.attempts >= job.max_attempts;
      const nextAt = ok || lastAttempt ? null : new Date(now.getTime() + WEBHOOK_BACKOFF_SECONDS * 2 ** (job.attempts - 1) * 1000);
      const record = async (trx: Db): Promise<void> => {
        const row = await trx
          .updateTable('webhook_delivery')
          .set((eb) => ({
            attempts: eb('attempts', '+', 1),
            last_status_code: status,
            last_error: error,
            next_attempt_at: nextAt,
            updated_at: now,
            ...(ok ? { state: 'delivered' as const, delivered_at: now } : {}),
          }))
          .where('id', '=', delivery.id)
          .returning('attempts')
          .executeTakeFirst();
        if (!row) return; // deleted meanwhile
        await trx
          .insertInto('webhook_attempt')
          .values({ collectivite_id: delivery.collectivite_id, delivery_id: delivery.id, attempt: row.attempts, manual: Boolean(payload.manual) && job.attempts === 1, at: now, status_code: status, duration_ms: durationMs, error, response_body: responseBody })
          .execute();
        if (ok) await releaseNext(trx, d, delivery);
      };
      if (ok) return { complete: record };
      await d.db.transaction().execute(record);
      throw new Error(error!);
    },
    async exhausted(trx, job) {
      const deliveryId = (job.payload as { deliveryId: string }).deliveryId;
      const delivery = await trx.selectFrom('webhook_delivery').selectAll().where('id', '=', deliveryId).where('state', '=', 'pending').forUpdate().executeTakeFirst();
      if (delivery) await fail(trx, deps(), delivery, null);
    },
  };
}
