/**
 * Job `transmettre`: deposits the PES_Aller on the DGFiP gateway (FTP, SITE P_DEST / P_APPLI / P_MSG, then
 * STOR in /entree/). The upload name `PESALR2_<SIRET>_<yyMMdd>_<nnn>.xml` is reserved once, in its own
 * journaled transaction, before the first attempt: a retry sends the same bytes under the same name.
 * P_MSG and the correlation key (NomFic) are read from the file itself.
 */
import type { DossierJobDef } from '../../dossiers/dossier-type.ts';
import type { Deps } from '../../app/deps.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { systemActor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { pesTransportMeta, pesUploadName } from '../transport/index.ts';
import type { HeliosPorts } from '../ports.ts';
import { heliosConfig, readBlob } from '../use-cases/support.ts';
import { ensureHeliosPolling } from './poll-job.ts';

const yymmdd = (d: Date): string => d.toISOString().slice(2, 10).replaceAll('-', '');

async function reserveUploadName(deps: Deps, collectiviteId: string, dossierId: string): Promise<{ name: string; sha256: string }> {
  return deps.db.transaction().execute(async (trx) => {
    const pes = await trx.selectFrom('helios_pes').selectAll().where('dossier_id', '=', dossierId).forUpdate().executeTakeFirst();
    if (!pes) throw new AppError('UNPROCESSABLE', 'Ce flux PES n’a pas été déposé par le module Hélios.', 'no helios_pes row');
    // The PES signed in the parapheur when there is one, else the file as deposited (signed outside).
    const sha256 = pes.signed_sha256 ?? pes.pes_sha256;
    if (pes.upload_name) return { name: pes.upload_name, sha256 };
    const now = deps.clock.now();
    const row = await trx
      .insertInto('helios_counter')
      .values({ siret: pes.id_coll, day: yymmdd(now), n: 1 })
      .onConflict((oc) => oc.columns(['siret', 'day']).doUpdateSet((eb) => ({ n: eb('helios_counter.n', '+', 1) })))
      .returning('n')
      .executeTakeFirstOrThrow();
    const name = pesUploadName(pes.id_coll, now, row.n);
    await trx.updateTable('helios_pes').set({ upload_name: name }).where('dossier_id', '=', dossierId).execute();
    await appendJournal(trx, deps.clock, systemActor, { collectiviteId, action: 'helios.fichier.nomme', objectType: 'dossier', objectId: dossierId, details: { fichier: name, nomFic: pes.nom_fic }, documentHashes: [sha256] });
    return { name, sha256 };
  });
}

export function transmitPesJob(ports: () => HeliosPorts): DossierJobDef {
  return {
    label: 'Transmission à la trésorerie (Hélios)',
    maxAttempts: 5,
    backoffSeconds: 30,
    whileIn: 'transmission_en_cours',
    onExhausted: 'erreur_transmission',
    async run({ deps, dossier }) {
      let config, file, meta, bytes;
      try {
        config = await heliosConfig(deps, dossier.collectiviteId);
        file = await reserveUploadName(deps, dossier.collectiviteId, dossier.id);
        bytes = await readBlob(deps, file.sha256);
        meta = pesTransportMeta(bytes);
      } catch (e) {
        // A missing setting or an unreadable header will not get better by retrying: the error state says why.
        if (e instanceof AppError && (e.code === 'UNPROCESSABLE' || e.code === 'BAD_INPUT')) return { to: 'erreur_transmission', details: { erreur: e.messageFr } };
        throw e;
      }
      const receipt = await ports().transport(config).send({ name: file.name, bytes }, meta);
      await deps.db.updateTable('helios_pes').set({ sent_at: deps.clock.now() }).where('dossier_id', '=', dossier.id).execute();
      // Hélios answers later, in /sortie/: make sure the polling cycle runs.
      await ensureHeliosPolling(deps);
      return { to: 'transmis', details: { fichier: file.name, nomFic: meta.nomFic, commandes: receipt.siteCommands, octets: receipt.bytes }, documentHashes: [file.sha256] };
    },
  };
}
