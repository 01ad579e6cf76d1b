import type { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { ParapheurTypologieRow } from '../../platform/db/schema.ts';
import { AppError } from '../../shared/errors.ts';
import type { typologieInput } from '../model.ts';
import { padesLevelSetting } from './shared.ts';

/**
 * Creates a typologie (type × sous-type) choosing the circuit, the signature format (`pades` for a PDF,
 * `xades` for a PES, `cades`: detached signatures of other files), the visible mark and the PAdES level (PAdES only).
 */
export async function createTypologie(deps: Deps, actor: Actor, collectiviteId: string, input: z.infer<typeof typologieInput>): Promise<ParapheurTypologieRow> {
  return deps.db.transaction().execute(async (trx) => {
    const circuit = await trx.selectFrom('parapheur_circuit').select('id').where('collectivite_id', '=', collectiviteId).where('id', '=', input.circuitId).executeTakeFirst();
    if (!circuit) throw new AppError('UNPROCESSABLE', 'Le circuit indiqué n’existe pas dans cette collectivité.', 'unknown circuit');
    const clash = await trx.selectFrom('parapheur_typologie').select('id').where('collectivite_id', '=', collectiviteId).where('type', '=', input.type).where('sous_type', '=', input.sousType).executeTakeFirst();
    if (clash) throw new AppError('CONFLICT', `La typologie « ${input.type} / ${input.sousType} » existe déjà.`, 'typologie taken');
    const row = await trx.insertInto('parapheur_typologie').values({ collectivite_id: collectiviteId, type: input.type, sous_type: input.sousType, circuit_id: input.circuitId, format: input.format, mark: input.mark ? JSON.stringify(input.mark) : null, niveau_pades: padesLevelSetting(input) }).returningAll().executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'parapheur.typologie.created', objectType: 'parapheur-typologie', objectId: row.id, details: { type: input.type, sousType: input.sousType, circuitId: input.circuitId, format: input.format, mark: input.mark, niveauPades: row.niveau_pades } });
    return row;
  });
}
