/**
 * Records an outgoing message to the préfecture (7-1 classification request, or an answer 2-2, 3-2/3-3/3-4,
 * 4-2/4-3/4-4 to one of its letters) and starts the job that sends it, with its journal entry, in one
 * transaction.
 */
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { Actor } from '../../identity/principal.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';

export const ACTES_SEND_QUEUE = 'actes-envoi';

export interface OutgoingMessage {
  collectiviteId: string;
  dossierId: string | null;
  kind: string;
  code: string;
  idActe: string | null;
  dateCourrierPref?: string | null;
  replyTo?: string | null;
  content?: Record<string, unknown>;
  documentHashes?: string[];
}

export async function queueOutgoingMessage(trx: Db, deps: Deps, actor: Actor, m: OutgoingMessage): Promise<string> {
  const row = await trx
    .insertInto('actes_message')
    .values({ collectivite_id: m.collectiviteId, dossier_id: m.dossierId, direction: 'sortant', kind: m.kind, code: m.code, id_acte: m.idActe, date_courrier_pref: m.dateCourrierPref ?? null, status: 'a_envoyer', reply_to: m.replyTo ?? null, content: JSON.stringify(m.content ?? {}), updated_at: deps.clock.now() })
    .returning('id')
    .executeTakeFirstOrThrow();
  await enqueueJob(trx, deps.clock, { queue: ACTES_SEND_QUEUE, payload: { messageId: row.id }, singletonKey: `actes-envoi:${row.id}`, maxAttempts: 5 });
  await appendJournal(trx, deps.clock, actor, { collectiviteId: m.collectiviteId, action: `actes.message.${m.kind}.demande`, objectType: m.dossierId ? 'dossier' : 'collectivite', objectId: m.dossierId ?? m.collectiviteId, details: { messageId: row.id, code: m.code, idActe: m.idActe, ...(m.replyTo ? { enReponseA: m.replyTo } : {}) }, documentHashes: m.documentHashes ?? [] });
  return row.id;
}
