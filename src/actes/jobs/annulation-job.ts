/** Job `annuler`: sends the 6-1 Annulation of a transmitted acte; the préfecture's ARAnnulation ends it. */
import type { DossierJobDef } from '../../dossiers/dossier-type.ts';
import { buildAnnulationArchive } from '../archive/build.ts';
import type { ActesPorts } from '../ports.ts';
import { tdtConfig, transmissionContext } from '../use-cases/support.ts';
import { keepArchiveOnce, postArchive } from './send-stored-archive.ts';

export function annulationJob(ports: () => ActesPorts): DossierJobDef {
  return {
    label: 'Envoi de l’annulation',
    maxAttempts: 5,
    backoffSeconds: 30,
    whileIn: 'annulation_en_cours',
    onExhausted: 'erreur_annulation',
    async run({ deps, dossier }) {
      const acte = await deps.db.selectFrom('actes_acte').select('id_acte').where('dossier_id', '=', dossier.id).executeTakeFirstOrThrow();
      // One outgoing Annulation row per attempt cycle: reuse the one not yet sent.
      let msg = await deps.db.selectFrom('actes_message').select('id').where('dossier_id', '=', dossier.id).where('kind', '=', 'Annulation').where('status', '=', 'a_envoyer').executeTakeFirst();
      if (!msg) {
        msg = await deps.db.insertInto('actes_message').values({ collectivite_id: dossier.collectiviteId, dossier_id: dossier.id, direction: 'sortant', kind: 'Annulation', code: '6-1', id_acte: acte.id_acte, status: 'a_envoyer', content: '{}', updated_at: deps.clock.now() }).returning('id').executeTakeFirstOrThrow();
      }
      const archive = await keepArchiveOnce(deps, msg.id, async () => {
        const config = await tdtConfig(deps, dossier.collectiviteId);
        return buildAnnulationArchive({ ...(await transmissionContext(deps, dossier.collectiviteId, config)), idActe: acte.id_acte });
      });
      const r = await postArchive(deps, ports(), dossier.collectiviteId, archive);
      await deps.db.updateTable('actes_message').set({ status: r.ok ? 'envoye' : 'refuse', updated_at: deps.clock.now() }).where('id', '=', msg.id).execute();
      if (!r.ok) return { to: 'erreur_annulation', details: { erreur: r.messageFr }, documentHashes: [archive.sha256] };
      return { to: 'annulation_transmise', details: { archive: archive.name }, documentHashes: [archive.sha256] };
    },
  };
}
