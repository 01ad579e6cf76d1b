/**
 * Subscriber `webhooks` of the dossier events: in the transaction of the change, one delivery row per
 * matching active subscription of the collectivité (its body frozen now) and one job per delivery.
 * Nothing is sent here; the job does it once the change is committed.
 */
import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import type { DossierEventSubscriber } from '../dossiers/change-state.ts';
import { stateChangedPayload, STATE_CHANGED } from './payload.ts';
import { dispatchDelivery } from './jobs/delivery-job.ts';

export function onDossierStateChanged(deps: () => Deps): DossierEventSubscriber {
  return async (trx, event) => {
    const d = deps();
    const subs = (await trx.selectFrom('webhook_subscription').select(['id', 'dossier_types']).where('collectivite_id', '=', event.collectiviteId).where('active', '=', true).execute()).filter(
      (s) => s.dossier_types === null || s.dossier_types.includes(event.type),
    );
    if (subs.length === 0) return;
    const dossier = await trx.selectFrom('dossier').select('title').where('id', '=', event.dossierId).executeTakeFirstOrThrow();
    const def = d.dossierTypes.all().find((t) => t.type === event.type);
    const eventId = randomUUID();
    const body = JSON.stringify(stateChangedPayload(eventId, event, dossier.title, def, d.config.publicUrl));
    const now = d.clock.now();
    for (const s of subs) {
      const delivery = await trx
        .insertInto('webhook_delivery')
        .values({ collectivite_id: event.collectiviteId, subscription_id: s.id, event_id: eventId, event_type: STATE_CHANGED, dossier_id: event.dossierId, dossier_version: event.version, body, state: 'pending', next_attempt_at: now, created_at: now, updated_at: now })
        .returning(['id', 'round'])
        .executeTakeFirstOrThrow();
      await dispatchDelivery(trx, d, delivery, { manual: false });
    }
  };
}
