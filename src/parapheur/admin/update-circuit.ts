import type { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { ParapheurCircuitRow } from '../../platform/db/schema.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import type { circuitUpdateInput } from '../model.ts';
import { assertBureauxExist, assertId, staleEdit } from './shared.ts';

/**
 * Edits a circuit in place (name, ordered steps) with the rules of creation. Dossiers already sent keep the
 * steps they started with (their instance is a copy, `parapheur_step`); the next envoi uses the new steps.
 * Optimistic concurrency: the edit names the version it started from; a stale one is refused (409).
 */
export async function updateCircuit(deps: Deps, actor: Actor, collectiviteId: string, circuitId: string, input: z.infer<typeof circuitUpdateInput>): Promise<ParapheurCircuitRow> {
  assertId(circuitId, 'circuit', 'Circuit');
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('parapheur_circuit').selectAll().where('collectivite_id', '=', collectiviteId).where('id', '=', circuitId).forUpdate().executeTakeFirst();
    if (!row) throw notFound('circuit', 'Circuit');
    if (row.version !== input.version) throw staleEdit(`le circuit « ${row.name} »`, 'circuit', row.version, input.version);
    await assertBureauxExist(trx, collectiviteId, input.steps.flatMap((s) => (s.actors?.type === 'bureaux' ? s.actors.bureauIds : [])));
    const clash = await trx.selectFrom('parapheur_circuit').select('id').where('collectivite_id', '=', collectiviteId).where('name', '=', input.name).where('id', '<>', circuitId).executeTakeFirst();
    if (clash) throw new AppError('CONFLICT', `Un circuit « ${input.name} » existe déjà.`, 'circuit name taken');
    const updated = await trx
      .updateTable('parapheur_circuit')
      .set((eb) => ({ name: input.name, steps: JSON.stringify(input.steps), version: eb('version', '+', 1), updated_at: deps.clock.now() }))
      .where('id', '=', circuitId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, {
      collectiviteId,
      action: 'parapheur.circuit.updated',
      objectType: 'parapheur-circuit',
      objectId: circuitId,
      details: { version: updated.version, before: { name: row.name, steps: row.steps }, after: { name: updated.name, steps: input.steps } },
    });
    return updated;
  });
}
