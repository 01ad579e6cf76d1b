/**
 * Deposits a PES_Aller: the file (already written to a temporary path by the route, streamed) is validated
 * in one streaming pass (XSD of the configured version + business rules), its readable view gives the
 * summary; only a valid file, whose IdColl is a SIRET of this collectivité, becomes a `helios` dossier with
 * its principal document, its `helios_pes` row (and its bordereaux' keys, to link the PES_Retour) and the
 * journal entry, in one transaction. A refused file
 * leaves nothing (no blob, no row).
 */
import { createReadStream } from 'node:fs';
import type { Deps } from '../../app/deps.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { Actor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { pesConfig, readPesView, validatePesAller, type PesConfig } from '../pes/index.ts';
import { HELIOS_TYPE } from '../dossier-type.ts';
import { attachDocument } from './support.ts';

export interface PesUpload {
  /** Temporary file holding the upload. */
  path: string;
  filename: string;
}

export async function deposerPes(deps: Deps, actor: Actor, collectiviteId: string, upload: PesUpload, config: Partial<PesConfig>): Promise<DossierRow> {
  // Not signed yet is fine: the flow can be signed in the parapheur (soumettre_signature); the transmission needs every bordereau signed.
  const cfg = pesConfig({ ...config, unsignedToBeSigned: true });
  const report = await validatePesAller(upload.path, cfg);
  if (!report.valid) {
    const n = report.errorCount;
    throw new AppError('VALIDATION', `Le fichier PES n’est pas valide (${n} erreur${n > 1 ? 's' : ''}) : ${report.errors.slice(0, 3).map((e) => `${e.placeFr} : ${e.messageFr}`).join(' ; ')}`, `invalid PES_Aller (${n} errors)`, {
      schemaVersion: report.schemaVersion,
      erreurs: report.errors.map((e) => ({ source: e.source, code: e.code, ligne: e.line ?? null, emplacement: e.placeFr, message: e.messageFr })),
      erreursNonListees: report.errorsNotListed,
    });
  }
  const view = await readPesView(upload.path, cfg);
  const c = await deps.db.selectFrom('collectivite').select(['siren', 'sirets']).where('id', '=', collectiviteId).executeTakeFirstOrThrow();
  const idColl = view.collectivite.idColl ?? '';
  if (!idColl.startsWith(c.siren) && !(c.sirets as string[]).includes(idColl)) {
    throw new AppError('VALIDATION', `Le PES est émis pour le SIRET ${idColl}, qui n’appartient pas à cette collectivité (SIREN ${c.siren}).`, `IdColl ${idColl} is not a SIRET of ${c.siren}`);
  }
  const metadata = {
    nomFic: view.fichier.nomFic ?? '',
    typFic: view.fichier.typFic ?? '',
    idColl,
    codCol: view.collectivite.codCol ?? '',
    idPost: view.collectivite.idPost ?? '',
    codBud: view.collectivite.codBud ?? '',
    schemaVersion: report.schemaVersion,
    bordereaux: view.totaux.bordereaux,
    pieces: view.totaux.pieces,
    pjs: view.totaux.pjs,
    // Signed: one signature per bordereau, or one global signature of PES_Aller (xades/global.ts).
    signe: view.signatureGlobale || (view.bordereaux.length > 0 && view.bordereaux.every((b) => b.signe)),
  };
  const duplicate = (): AppError => new AppError('CONFLICT', `Un flux PES nommé « ${metadata.nomFic} » a déjà été déposé pour le SIRET ${idColl} : Hélios refuserait un second NomFic identique.`, `duplicate NomFic ${metadata.nomFic}`, { nomFic: metadata.nomFic });
  const earlier = await deps.db.selectFrom('helios_pes').select('dossier_id').where('id_coll', '=', idColl).where('nom_fic', '=', metadata.nomFic).executeTakeFirst();
  if (earlier) throw duplicate();
  const blob = await deps.blobs.put(createReadStream(upload.path), { maxBytes: cfg.maxFileBytes });
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const title = `PES ${metadata.nomFic}`;
      const row = await trx
        .insertInto('dossier')
        .values({ collectivite_id: collectiviteId, type: HELIOS_TYPE, title, metadata: JSON.stringify(metadata), state: 'poste', created_by: actor.userId, updated_at: deps.clock.now() })
        .returningAll()
        .executeTakeFirstOrThrow();
      await attachDocument(trx, collectiviteId, row.id, blob, 'principal', upload.filename, 'application/xml', actor.userId);
      await trx.insertInto('helios_pes').values({ dossier_id: row.id, collectivite_id: collectiviteId, id_coll: idColl, nom_fic: metadata.nomFic, schema_version: report.schemaVersion, pes_sha256: blob.sha256 }).execute();
      // The bordereaux' keys (in chunks: bound parameters are limited), by which a later PES_Retour is linked to this flux (poll-helios.ts).
      const keys = [...new Map(view.bordereaux.map((b) => [`${b.type}:${b.exercice ?? ''}:${b.numero ?? ''}`, b])).values()];
      for (let i = 0; i < keys.length; i += 1000) {
        await trx
          .insertInto('helios_pes_bordereau')
          .values(keys.slice(i, i + 1000).map((b) => ({ dossier_id: row.id, collectivite_id: collectiviteId, id_coll: idColl, cod_bud: metadata.codBud, domaine: b.type === 'mandat' ? ('depense' as const) : ('recette' as const), exercice: b.exercice ?? '', id_bord: b.numero ?? '' })))
          .execute();
      }
      await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'dossier.created', objectType: 'dossier', objectId: row.id, details: { type: HELIOS_TYPE, title, state: 'poste', ...metadata, encodage: report.file.encoding }, documentHashes: [blob.sha256] });
      return row;
    });
  } catch (e) {
    const referenced = await deps.db.selectFrom('blob').select('sha256').where('sha256', '=', blob.sha256).executeTakeFirst();
    if (!referenced) await deps.blobs.remove(blob.sha256);
    if (!(e instanceof AppError) && /helios_pes_nom_fic_idx|unique/i.test(String((e as Error).message))) throw duplicate();
    throw e;
  }
}
