/**
 * Creates an acte dossier: metadata checked against the collectivité's current classification (matière,
 * typologies valid for the nature), unique ID computed, and a second live acte with the same ID refused
 * (an earlier one that was cancelled, refused by the préfecture or abandoned no longer counts).
 */
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { Actor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { buildIdActe } from '../domain/id-acte.ts';
import { metadataError, validateActeMetadata } from '../domain/metadata.ts';
import { ACTES_TYPE } from '../dossier-type.ts';
import { currentClassification } from './support.ts';

export const newActeInput = z.object({
  titre: z.string().trim().min(1).max(500).optional().describe('Titre du dossier (l’objet par défaut)'),
  metadata: z.record(z.string(), z.unknown()).describe('Métadonnées ACTES : nature, classification, numeroInterne, dateDecision, objet, documentPapier, typologieActe, typologieAnnexes, precedentIdActe'),
});

/** States after which the same IDActe may be transmitted again. */
export const RELEASED_STATES = ['refuse', 'annule', 'abandonne'];

export async function createActe(deps: Deps, actor: Actor, collectiviteId: string, input: z.infer<typeof newActeInput>): Promise<DossierRow> {
  const classification = await currentClassification(deps.db, collectiviteId);
  if (!classification) {
    throw new AppError('INVALID_STATE', 'La classification de la préfecture n’est pas encore connue pour cette collectivité : demandez-la ou importez-la d’abord.', 'no classification');
  }
  const v = validateActeMetadata(input.metadata, { classification });
  if (!v.ok) throw metadataError(v.errors);
  const m = v.value;
  const c = await deps.db.selectFrom('collectivite').select(['siren', 'departement']).where('id', '=', collectiviteId).executeTakeFirstOrThrow();
  const idActe = buildIdActe({ departement: c.departement, siren: c.siren, dateDecision: m.dateDecision, numeroInterne: m.numeroInterne, nature: m.nature });
  const metadata = { ...m, idActe, classificationDate: classification.dateClassification };
  const duplicate = (): AppError => new AppError('CONFLICT', `L’acte ${idActe} a déjà été créé ou transmis : un même identifiant ne peut être transmis à nouveau que si le premier envoi a été annulé ou refusé.`, `duplicate IDActe ${idActe}`, { idActe });
  try {
    return await deps.db.transaction().execute(async (trx) => {
      // Earlier actes with this ID that ended (refused, cancelled, abandoned) release it.
      const earlier = await trx.selectFrom('actes_acte').innerJoin('dossier', 'dossier.id', 'actes_acte.dossier_id').select(['actes_acte.dossier_id', 'dossier.state']).where('actes_acte.id_acte', '=', idActe).where('actes_acte.live', '=', true).forUpdate().execute();
      for (const e of earlier) {
        if (!RELEASED_STATES.includes(e.state)) throw duplicate();
        await trx.updateTable('actes_acte').set({ live: false }).where('dossier_id', '=', e.dossier_id).execute();
      }
      const title = input.titre ?? m.objet;
      const row = await trx
        .insertInto('dossier')
        .values({ collectivite_id: collectiviteId, type: ACTES_TYPE, title, metadata: JSON.stringify(metadata), state: 'brouillon', created_by: actor.userId, updated_at: deps.clock.now() })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx.insertInto('actes_acte').values({ dossier_id: row.id, collectivite_id: collectiviteId, id_acte: idActe, classification_date: classification.dateClassification }).execute();
      await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'dossier.created', objectType: 'dossier', objectId: row.id, details: { type: ACTES_TYPE, title, state: 'brouillon', idActe, metadata } });
      return row;
    });
  } catch (e) {
    // Two creations racing for the same ID: the partial unique index decides.
    if (!(e instanceof AppError) && /actes_acte_live_idx|unique/i.test(String((e as Error).message))) throw duplicate();
    throw e;
  }
}
