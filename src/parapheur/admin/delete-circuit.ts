import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import { assertId } from './shared.ts';

/** Deletes a circuit no typologie uses (running dossiers keep their own instance of it). */
export async function deleteCircuit(deps: Deps, actor: Actor, collectiviteId: string, circuitId: string): Promise<void> {
  assertId(circuitId, 'circuit', 'Circuit');
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('parapheur_circuit').selectAll().where('collectivite_id', '=', collectiviteId).where('id', '=', circuitId).forUpdate().executeTakeFirst();
    if (!row) throw notFound('circuit', 'Circuit');
    const used = await trx.selectFrom('parapheur_typologie').select(['type', 'sous_type']).where('circuit_id', '=', circuitId).execute();
    if (used.length) throw new AppError('CONFLICT', `Le circuit est utilisé par les typologies : ${used.map((t) => `${t.type} / ${t.sous_type}`).join(', ')}.`, 'circuit in use');
    await trx.deleteFrom('parapheur_circuit').where('id', '=', circuitId).execute();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'parapheur.circuit.deleted', objectType: 'parapheur-circuit', objectId: circuitId, details: { name: row.name } });
  });
}
