/**
 * One mail of the return mailbox, handled in one transaction: the raw mail kept as evidence, each ACTES
 * message dispatched to its acte by IDActe (AR → acquitté, anomalie → refusé, ARAnnulation → annulé,
 * préfecture letters recorded and notified, their ARs noted, classification stored), each transition
 * journaled. Idempotent on the mail's stable key: a mail handed twice changes nothing the second time.
 */
import { ACTES_TYPE } from '../dossier-type.ts';
import { changeDossierState } from '../../dossiers/change-state.ts';
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { systemActor } from '../../identity/principal.ts';
import type { ActesMail, ReceivedMessage } from '../transport/return-mailbox.ts';
import { queueNotification } from '../jobs/notification-job.ts';
import { attachEvidence, blobRow, putBlob } from './support.ts';
import { storeClassification } from './import-classification.ts';
import { requestClassificationIn } from './request-classification.ts';

const LETTER_LABELS: Record<string, string> = {
  CourrierSimple: 'un courrier simple',
  DemandePieceComplementaire: 'une demande de pièces complémentaires',
  LettreObservations: 'une lettre d’observations',
  DefereTA: 'un déféré au tribunal administratif',
};

interface Target {
  dossierId: string;
  collectiviteId: string;
  state: string;
  idActe: string;
  classificationDate: string;
}

function idActeOf(r: ReceivedMessage): string | undefined {
  const m = r.message as { idActe?: string };
  if (m.idActe) return m.idActe;
  return r.fileNameParts?.kind === 'message' ? r.fileNameParts.idActe : undefined;
}

/**
 * An "already transmitted" anomaly is about our own second post of the same stored archive when that
 * archive was posted more than once (send_count): the préfecture has the first copy. Sent once only, the
 * same anomaly means another transmission of this ID (e.g. by another TdT): a real refusal.
 */
async function isAnswerToIdenticalResend(trx: Db, t: Target, nature: string | undefined, detail: string): Promise<boolean> {
  if (!(nature === '001' || /d[ée]j[àa] (été )?transmis|doublon/i.test(detail))) return false;
  const a = await trx.selectFrom('actes_acte').select(['send_count', 'archive_sha256']).where('dossier_id', '=', t.dossierId).executeTakeFirst();
  return !!a?.archive_sha256 && a.send_count >= 2;
}

async function findActe(trx: Db, idActe: string): Promise<Target | undefined> {
  const row = await trx
    .selectFrom('actes_acte')
    .innerJoin('dossier', 'dossier.id', 'actes_acte.dossier_id')
    .select(['actes_acte.dossier_id', 'actes_acte.collectivite_id', 'dossier.state', 'actes_acte.id_acte', 'actes_acte.classification_date'])
    .where('actes_acte.id_acte', '=', idActe)
    .orderBy('actes_acte.live', 'desc')
    .orderBy('actes_acte.created_at', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  return row ? { dossierId: row.dossier_id, collectiviteId: row.collectivite_id, state: row.state, idActe: row.id_acte, classificationDate: row.classification_date } : undefined;
}

async function moveDossier(trx: Db, deps: Deps, t: Target, from: string[], to: string, event: string, details: Record<string, unknown>, hashes: string[]): Promise<boolean> {
  if (!from.includes(t.state)) return false;
  await changeDossierState(trx, deps, { id: t.dossierId, collectivite_id: t.collectiviteId, type: ACTES_TYPE, state: t.state }, to);
  await appendJournal(trx, deps.clock, systemActor, { collectiviteId: t.collectiviteId, action: event, objectType: 'dossier', objectId: t.dossierId, details: { from: t.state, to, ...details }, documentHashes: hashes });
  t.state = to;
  return true;
}

export async function receiveActesMail(deps: Deps, mail: ActesMail): Promise<{ already: boolean }> {
  const seen = await deps.db.selectFrom('actes_mail').select('key').where('key', '=', mail.key).executeTakeFirst();
  if (seen) return { already: true };
  // Blobs first (content-addressed, harmless if the transaction below does not commit).
  const raw = await putBlob(deps, mail.raw);
  const xmls = await Promise.all(mail.messages.map(async (m) => ({ r: m, blob: await putBlob(deps, m.data) })));
  const docs = await Promise.all(mail.documents.map(async (d) => ({ d, blob: await putBlob(deps, d.data) })));
  const mediaOf = (name: string): string => (/\.pdf$/i.test(name) ? 'application/pdf' : /\.xml$/i.test(name) ? 'application/xml' : /\.png$/i.test(name) ? 'image/png' : /\.jpe?g$/i.test(name) ? 'image/jpeg' : 'application/octet-stream');

  return deps.db.transaction().execute(async (trx) => {
    const inserted = await trx.insertInto('actes_mail').values({ key: mail.key, status: 'traite', raw_sha256: null }).onConflict((oc) => oc.column('key').doNothing()).returning('key').executeTakeFirst();
    if (!inserted) return { already: true };
    await blobRow(trx, raw, 'message/rfc822');
    await trx.updateTable('actes_mail').set({ raw_sha256: raw.sha256 }).where('key', '=', mail.key).execute();
    const attachedTo = new Set<string>();
    const attachMail = async (t: Target): Promise<void> => {
      if (attachedTo.has(t.dossierId)) return;
      attachedTo.add(t.dossierId);
      await attachEvidence(trx, t.collectiviteId, t.dossierId, raw, `courriel-prefecture-${mail.uid}.eml`, 'message/rfc822');
      for (const { d, blob } of docs) await attachEvidence(trx, t.collectiviteId, t.dossierId, blob, d.fileName, mediaOf(d.fileName));
    };
    const docList = docs.map(({ d, blob }) => ({ filename: d.fileName, sha256: blob.sha256 }));

    for (const { r, blob } of xmls) {
      const m = r.message;
      const idActe = idActeOf(r);
      const record = async (t: Target | undefined, status: string, extra: Record<string, unknown> = {}, collectiviteId: string | null = t?.collectiviteId ?? null): Promise<string> => {
        if (t) {
          await attachMail(t);
          await attachEvidence(trx, t.collectiviteId, t.dossierId, blob, r.fileName, 'application/xml');
        } else await blobRow(trx, blob, 'application/xml');
        const row = await trx
          .insertInto('actes_message')
          .values({
            collectivite_id: collectiviteId,
            dossier_id: t?.dossierId ?? null,
            direction: 'entrant',
            kind: m.kind,
            code: m.code,
            id_acte: idActe ?? null,
            date_courrier_pref: (m as { dateCourrierPref?: string }).dateCourrierPref ?? null,
            status,
            content: JSON.stringify({ fichier: r.fileName, xmlSha256: blob.sha256, documents: docList, mail: mail.key, ...extra }),
            mail_key: mail.key,
            updated_at: deps.clock.now(),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return row.id;
      };
      const unattached = async (why: string): Promise<void> => {
        await record(undefined, 'non_rattache', { raison: why });
        await appendJournal(trx, deps.clock, systemActor, { collectiviteId: null, action: 'actes.message.non_rattache', objectType: 'actes_mail', objectId: mail.key, details: { kind: m.kind, idActe: idActe ?? null, raison: why }, documentHashes: [raw.sha256, blob.sha256] });
      };
      const refreshClassification = async (t: Target, dateEnCours: string | undefined): Promise<void> => {
        if (!dateEnCours) return;
        const held = await trx.selectFrom('actes_classification').select('date_classification').where('collectivite_id', '=', t.collectiviteId).executeTakeFirst();
        if (!held || held.date_classification < dateEnCours) {
          await requestClassificationIn(trx, deps, systemActor, t.collectiviteId, `la préfecture signale la classification du ${dateEnCours}`);
        }
      };

      if (m.kind === 'RetourClassification' || m.kind === 'ReponseClassificationSansChangement') {
        const siren = r.fileNameParts?.kind === 'message' ? r.fileNameParts.siren : mail.enveloppes.map((e) => (e.message.kind === 'EnveloppeMISILLCL' ? e.message.destinataireSiren : undefined)).find(Boolean);
        const c = siren ? await trx.selectFrom('collectivite').select('id').where('siren', '=', siren).executeTakeFirst() : undefined;
        if (!c) {
          await unattached(`SIREN ${siren ?? 'absent'} inconnu`);
          continue;
        }
        await record(undefined, 'traite', {}, c.id);
        if (m.kind === 'RetourClassification') await storeClassification(trx, deps, systemActor, c.id, m.classification, 'prefecture', blob);
        else await appendJournal(trx, deps.clock, systemActor, { collectiviteId: c.id, action: 'actes.classification.inchangee', objectType: 'collectivite', objectId: c.id, details: { dateClassification: m.dateClassification ?? null }, documentHashes: [blob.sha256] });
        continue;
      }

      let t = idActe ? await findActe(trx, idActe) : undefined;
      if (!t && m.kind === 'AnomalieEnveloppe' && r.fileNameParts?.kind === 'anomalie-enveloppe') {
        const env = r.fileNameParts.enveloppe;
        const a = await trx.selectFrom('actes_acte').select('id_acte').where('enveloppe_name', '=', env).executeTakeFirst();
        if (a) t = await findActe(trx, a.id_acte);
      }
      if (!t) {
        await unattached(idActe ? `acte ${idActe} inconnu` : 'aucun identifiant d’acte');
        continue;
      }
      const hashes = [raw.sha256, blob.sha256];
      switch (m.kind) {
        case 'ARActe': {
          await record(t, 'traite', { dateReception: m.dateReception ?? null });
          await trx.updateTable('actes_acte').set({ date_reception: m.dateReception ?? null }).where('dossier_id', '=', t.dossierId).execute();
          await moveDossier(trx, deps, t, ['transmission_en_cours', 'transmis'], 'acquitte', 'actes.ar.recu', { idActe: t.idActe, dateReception: m.dateReception ?? null }, hashes);
          await refreshClassification(t, m.classificationDateVersionEnCours);
          break;
        }
        case 'AnomalieActe':
        case 'AnomalieEnveloppe': {
          const detail = m.detail ?? '';
          if (m.kind === 'AnomalieActe' && (await isAnswerToIdenticalResend(trx, t, m.nature, detail))) {
            // The copy of an archive posted again after a crash: the first copy stands (its AR moves the
            // acte); nobody is alerted, the message is kept and journaled.
            await record(t, 'traite', { nature: m.nature ?? null, detail, renvoiIdentique: true });
            await appendJournal(trx, deps.clock, systemActor, { collectiviteId: t.collectiviteId, action: 'actes.anomalie.renvoi_identique', objectType: 'dossier', objectId: t.dossierId, details: { idActe: t.idActe, nature: m.nature ?? null, detail }, documentHashes: hashes });
            break;
          }
          await record(t, 'traite', { nature: m.nature ?? null, detail });
          const moved = await moveDossier(trx, deps, t, ['transmission_en_cours', 'transmis'], 'refuse', 'actes.anomalie.recue', { idActe: t.idActe, nature: m.nature ?? null, detail }, hashes);
          if (moved) await trx.updateTable('actes_acte').set({ live: false }).where('dossier_id', '=', t.dossierId).execute();
          if (m.kind === 'AnomalieActe') await refreshClassification(t, m.classificationDateVersionEnCours);
          await queueNotification(trx, deps.clock, { collectiviteId: t.collectiviteId, key: `${mail.key}:${r.fileName}`, subject: `Anomalie sur l’acte ${t.idActe}`, text: `La préfecture a refusé l’acte ${t.idActe} (anomalie ${m.nature ?? ''}) :\n${detail}\n\nCorrigez l’acte puis transmettez-le à nouveau.` });
          break;
        }
        case 'ARAnnulation': {
          await record(t, 'traite', { dateReception: m.dateReception ?? null });
          const moved = await moveDossier(trx, deps, t, ['annulation_en_cours', 'annulation_transmise'], 'annule', 'actes.annulation.acquittee', { idActe: t.idActe, dateReception: m.dateReception ?? null }, hashes);
          if (moved) await trx.updateTable('actes_acte').set({ live: false }).where('dossier_id', '=', t.dossierId).execute();
          break;
        }
        case 'CourrierSimple':
        case 'DemandePieceComplementaire':
        case 'LettreObservations':
        case 'DefereTA': {
          const extra = m.kind === 'DemandePieceComplementaire' ? { descriptionPieces: m.descriptionPieces ?? null } : m.kind === 'LettreObservations' ? { motif: m.motif ?? null } : m.kind === 'DefereTA' ? { dateDepot: m.dateDepot ?? null, natureIllegalite: m.natureIllegalite ?? null } : {};
          const id = await record(t, m.kind === 'DefereTA' ? 'traite' : 'recu', extra);
          await appendJournal(trx, deps.clock, systemActor, { collectiviteId: t.collectiviteId, action: `actes.${m.kind}.recu`, objectType: 'dossier', objectId: t.dossierId, details: { messageId: id, idActe: t.idActe, code: m.code, ...extra }, documentHashes: [...hashes, ...docList.map((x) => x.sha256)] });
          await queueNotification(trx, deps.clock, { collectiviteId: t.collectiviteId, key: `${mail.key}:${r.fileName}`, subject: `Préfecture : ${LETTER_LABELS[m.kind]} pour l’acte ${t.idActe}`, text: `La préfecture a adressé ${LETTER_LABELS[m.kind]} au sujet de l’acte ${t.idActe}.\n${Object.values(extra).filter(Boolean).join('\n')}\n\nConsultez le dossier dans Paraphe pour y répondre.` });
          break;
        }
        case 'ARPieceComplementaire':
        case 'ARReponseRejetLettreObservations': {
          await record(t, 'traite', { dateReception: m.dateReception ?? null });
          const answered = m.kind === 'ARPieceComplementaire' ? ['PieceComplementaire'] : ['RejetLettreObservations', 'ReponseLettreObservations'];
          await trx.updateTable('actes_message').set({ status: 'acquitte', updated_at: deps.clock.now() }).where('dossier_id', '=', t.dossierId).where('kind', 'in', answered).where('status', '=', 'envoye').execute();
          await appendJournal(trx, deps.clock, systemActor, { collectiviteId: t.collectiviteId, action: `actes.${m.kind}.recu`, objectType: 'dossier', objectId: t.dossierId, details: { idActe: t.idActe, dateReception: m.dateReception ?? null }, documentHashes: hashes });
          break;
        }
        default: {
          await record(t, 'traite');
          await appendJournal(trx, deps.clock, systemActor, { collectiviteId: t.collectiviteId, action: `actes.${m.kind}.recu`, objectType: 'dossier', objectId: t.dossierId, details: { idActe: t.idActe }, documentHashes: hashes });
        }
      }
    }
    return { already: false };
  });
}

