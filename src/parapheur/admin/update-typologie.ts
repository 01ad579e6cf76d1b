import type { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { ParapheurTypologieRow } from '../../platform/db/schema.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import type { typologieUpdateInput } from '../model.ts';
import { assertId, padesLevelSetting, staleEdit } from './shared.ts';

const described = (t: { type: string; sous_type: string; circuit_id: string; format: string; mark: unknown; niveau_pades: string | null }) => ({ type: t.type, sousType: t.sous_type, circuitId: t.circuit_id, format: t.format, mark: t.mark ?? null, niveauPades: t.niveau_pades });

/**
 * Edits a typologie in place (type, sous-type, circuit, format, visible mark, PAdES level) with the rules of creation.
 * Dossiers already sent keep the circuit, format and mark they started with (copied at envoi); drafts and
 * the next dossiers use the new settings. A stale edit (another one saved since it was read) is refused (409).
 */
export async function updateTypologie(deps: Deps, actor: Actor, collectiviteId: string, typologieId: string, input: z.infer<typeof typologieUpdateInput>): Promise<ParapheurTypologieRow> {
  assertId(typologieId, 'typologie', 'Typologie');
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('parapheur_typologie').selectAll().where('collectivite_id', '=', collectiviteId).where('id', '=', typologieId).forUpdate().executeTakeFirst();
    if (!row) throw notFound('typologie', 'Typologie');
    if (row.version !== input.version) throw staleEdit(`la typologie « ${row.type} / ${row.sous_type} »`, 'typologie', row.version, input.version);
    const circuit = await trx.selectFrom('parapheur_circuit').select('id').where('collectivite_id', '=', collectiviteId).where('id', '=', input.circuitId).executeTakeFirst();
    if (!circuit) throw new AppError('UNPROCESSABLE', 'Le circuit indiqué n’existe pas dans cette collectivité.', 'unknown circuit');
    const clash = await trx.selectFrom('parapheur_typologie').select('id').where('collectivite_id', '=', collectiviteId).where('type', '=', input.type).where('sous_type', '=', input.sousType).where('id', '<>', typologieId).executeTakeFirst();
    if (clash) throw new AppError('CONFLICT', `La typologie « ${input.type} / ${input.sousType} » existe déjà.`, 'typologie taken');
    const updated = await trx
      .updateTable('parapheur_typologie')
      .set((eb) => ({ type: input.type, sous_type: input.sousType, circuit_id: input.circuitId, format: input.format, mark: input.mark ? JSON.stringify(input.mark) : null, niveau_pades: padesLevelSetting(input), version: eb('version', '+', 1), updated_at: deps.clock.now() }))
      .where('id', '=', typologieId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, {
      collectiviteId,
      action: 'parapheur.typologie.updated',
      objectType: 'parapheur-typologie',
      objectId: typologieId,
      details: { version: updated.version, before: described(row), after: { ...described(updated), mark: input.mark } },
    });
    return updated;
  });
}
