/** Asks the préfecture for its classification (7-1), giving the date held so it answers 7-2 or 7-3. */
import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import type { Db } from '../../platform/db/database.ts';
import { queueOutgoingMessage } from './queue-outgoing-message.ts';

export async function requestClassificationIn(trx: Db, deps: Deps, actor: Actor, collectiviteId: string, reason: string): Promise<string> {
  const held = await trx.selectFrom('actes_classification').select('date_classification').where('collectivite_id', '=', collectiviteId).executeTakeFirst();
  return queueOutgoingMessage(trx, deps, actor, { collectiviteId, dossierId: null, kind: 'DemandeClassification', code: '7-1', idActe: null, content: { dateClassification: held?.date_classification ?? null, raison: reason } });
}

export function requestClassification(deps: Deps, actor: Actor, collectiviteId: string): Promise<string> {
  return deps.db.transaction().execute((trx) => requestClassificationIn(trx, deps, actor, collectiviteId, 'demande manuelle'));
}
