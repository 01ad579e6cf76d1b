/** Queue `actes-envoi`: sends one recorded outgoing message (7-1 or an answer to the préfecture). */
import type { Deps } from '../../app/deps.ts';
import type { JobHandler } from '../../platform/jobs/job-queue.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { systemActor } from '../../identity/principal.ts';
import { buildDemandeClassificationArchive, buildReplyArchive, type ReplyKind } from '../archive/build.ts';
import type { ActesPorts } from '../ports.ts';
import { readBlob, tdtConfig, transmissionContext } from '../use-cases/support.ts';
import { keepArchiveOnce, postArchive } from './send-stored-archive.ts';

export function outgoingMessageHandler(deps: () => Deps, ports: () => ActesPorts): JobHandler {
  return {
    backoffSeconds: 30,
    async run(job) {
      const d = deps();
      const { messageId } = job.payload as { messageId: string };
      const msg = await d.db.selectFrom('actes_message').selectAll().where('id', '=', messageId).executeTakeFirstOrThrow();
      if (msg.status !== 'a_envoyer' || !msg.collectivite_id) return {};
      const collectiviteId = msg.collectivite_id;
      const content = msg.content as { dateClassification?: string | null; documents?: { sha256: string; filename: string }[] };
      const archive = await keepArchiveOnce(d, messageId, async () => {
        const ctx = await transmissionContext(d, collectiviteId, await tdtConfig(d, collectiviteId));
        if (msg.kind === 'DemandeClassification') return buildDemandeClassificationArchive({ ...ctx, ...(content.dateClassification ? { dateClassification: content.dateClassification } : {}) });
        const documents = await Promise.all((content.documents ?? []).map(async (x) => ({ fileName: x.filename, data: await readBlob(d, x.sha256) })));
        return buildReplyArchive(msg.kind as ReplyKind, { ...ctx, idActe: msg.id_acte!, dateCourrierPref: msg.date_courrier_pref!, documents });
      });
      const r = await postArchive(d, ports(), collectiviteId, archive);
      return {
        complete: async (trx) => {
          await trx.updateTable('actes_message').set({ status: r.ok ? 'envoye' : 'refuse', updated_at: d.clock.now() }).where('id', '=', messageId).execute();
          await appendJournal(trx, d.clock, systemActor, { collectiviteId, action: `actes.message.${msg.kind}.${r.ok ? 'envoye' : 'refuse'}`, objectType: msg.dossier_id ? 'dossier' : 'collectivite', objectId: msg.dossier_id ?? collectiviteId, details: { messageId, code: msg.code, archive: archive.name, ...(r.ok ? {} : { erreur: r.messageFr }) }, documentHashes: [archive.sha256] });
        },
      };
    },
    async exhausted(trx, job, error) {
      const d = deps();
      const { messageId } = job.payload as { messageId: string };
      const msg = await trx.selectFrom('actes_message').select(['collectivite_id', 'dossier_id', 'kind']).where('id', '=', messageId).executeTakeFirstOrThrow();
      await trx.updateTable('actes_message').set({ status: 'erreur', updated_at: d.clock.now() }).where('id', '=', messageId).execute();
      await appendJournal(trx, d.clock, systemActor, { collectiviteId: msg.collectivite_id, action: `actes.message.${msg.kind}.erreur`, objectType: msg.dossier_id ? 'dossier' : 'collectivite', objectId: msg.dossier_id ?? msg.collectivite_id, details: { messageId, erreur: error } });
    },
  };
}
