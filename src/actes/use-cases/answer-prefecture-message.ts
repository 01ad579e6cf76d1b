/**
 * The collectivité answers a letter of the préfecture: 2-2 to a courrier simple; 3-2 (AR), 3-3 (refus) or
 * 3-4 (pièces) to a demande de pièces complémentaires; 4-2 (AR), 4-3 (rejet) or 4-4 (réponse) to a lettre
 * d'observations. The answer is recorded and its sending job started in one transaction.
 */
import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { REPLY_KINDS, type ReplyKind } from '../archive/build.ts';
import type { ActesPorts } from '../ports.ts';
import { attachEvidence, putBlob } from './support.ts';
import { queueOutgoingMessage } from './queue-outgoing-message.ts';
import { sniffMediaType } from '../../documents/sniff.ts';

export const ANSWERS: Record<string, ReplyKind[]> = {
  CourrierSimple: ['ReponseCourrierSimple'],
  DemandePieceComplementaire: ['ARDemandePieceComplementaire', 'RefusPieceComplementaire', 'PieceComplementaire'],
  LettreObservations: ['ARLettreObservations', 'RejetLettreObservations', 'ReponseLettreObservations'],
};

export const ANSWER_KINDS = Object.keys(REPLY_KINDS) as ReplyKind[];

export async function answerPrefectureMessage(
  deps: Deps,
  ports: ActesPorts,
  actor: Actor,
  collectiviteId: string,
  dossierId: string,
  messageId: string,
  answer: { kind: ReplyKind; document?: { filename: string; bytes: Buffer } },
): Promise<string> {
  const msg = await deps.db.selectFrom('actes_message').selectAll().where('id', '=', messageId).where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', dossierId).executeTakeFirst();
  if (!msg || msg.direction !== 'entrant') throw new AppError('NOT_FOUND', 'Message de la préfecture introuvable.', 'message not found');
  const allowed = ANSWERS[msg.kind] ?? [];
  if (!allowed.includes(answer.kind)) {
    throw new AppError('INVALID_STATE', allowed.length ? `Réponse « ${answer.kind} » impossible à un message ${msg.kind} (possibles : ${allowed.join(', ')}).` : `Le message ${msg.kind} n’appelle pas de réponse.`, `answer ${answer.kind} not allowed for ${msg.kind}`);
  }
  const spec = REPLY_KINDS[answer.kind];
  if (spec.documents === 'none' && answer.document) throw new AppError('VALIDATION', `La réponse ${answer.kind} ne porte pas de document.`, 'no document expected');
  if (spec.documents !== 'none' && !answer.document) throw new AppError('VALIDATION', `La réponse ${answer.kind} doit porter un document (PDF).`, 'document expected');
  let stored: { sha256: string; size: number } | undefined;
  if (answer.document) {
    const media = await sniffMediaType(answer.document.bytes.subarray(0, 4096));
    if (!['application/pdf', 'application/xml', 'image/png', 'image/jpeg'].includes(media)) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Le document de réponse doit être un PDF, XML, JPG ou PNG (reçu ${media}).`, `reply media ${media}`);
    }
    if (media === 'application/pdf' && ports.isEncryptedPdf(answer.document.bytes)) {
      throw new AppError('VALIDATION', `Le PDF « ${answer.document.filename} » est chiffré ou verrouillé : la préfecture le refuserait.`, 'encrypted pdf');
    }
    stored = await putBlob(deps, answer.document.bytes);
  }
  return deps.db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('actes_message').select('status').where('id', '=', messageId).forUpdate().executeTakeFirstOrThrow();
    const earlier = await trx.selectFrom('actes_message').select('id').where('reply_to', '=', messageId).where('kind', '=', answer.kind).where('status', '!=', 'refuse').executeTakeFirst();
    if (earlier) throw new AppError('CONFLICT', `La réponse ${answer.kind} a déjà été envoyée pour ce message.`, 'answer already sent');
    if (stored && answer.document) await attachEvidence(trx, collectiviteId, dossierId, stored, answer.document.filename, 'application/pdf');
    const id = await queueOutgoingMessage(trx, deps, actor, {
      collectiviteId,
      dossierId,
      kind: answer.kind,
      code: spec.code,
      idActe: msg.id_acte,
      dateCourrierPref: msg.date_courrier_pref,
      replyTo: messageId,
      content: { documents: stored && answer.document ? [{ sha256: stored.sha256, filename: answer.document.filename }] : [] },
      documentHashes: stored ? [stored.sha256] : [],
    });
    if (locked.status === 'recu') await trx.updateTable('actes_message').set({ status: 'repondu', updated_at: deps.clock.now() }).where('id', '=', messageId).execute();
    return id;
  });
}

