import type { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { ParapheurCircuitRow } from '../../platform/db/schema.ts';
import { AppError } from '../../shared/errors.ts';
import type { circuitInput } from '../model.ts';
import { assertBureauxExist } from './shared.ts';

/** Creates a circuit: ordered steps, each naming who acts (fixed bureaux with all/any, émetteur, supérieur, variable). */
export async function createCircuit(deps: Deps, actor: Actor, collectiviteId: string, input: z.infer<typeof circuitInput>): Promise<ParapheurCircuitRow> {
  return deps.db.transaction().execute(async (trx) => {
    await assertBureauxExist(trx, collectiviteId, input.steps.flatMap((s) => (s.actors?.type === 'bureaux' ? s.actors.bureauIds : [])));
    const clash = await trx.selectFrom('parapheur_circuit').select('id').where('collectivite_id', '=', collectiviteId).where('name', '=', input.name).executeTakeFirst();
    if (clash) throw new AppError('CONFLICT', `Un circuit « ${input.name} » existe déjà.`, 'circuit name taken');
    const row = await trx.insertInto('parapheur_circuit').values({ collectivite_id: collectiviteId, name: input.name, steps: JSON.stringify(input.steps) }).returningAll().executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'parapheur.circuit.created', objectType: 'parapheur-circuit', objectId: row.id, details: { name: row.name, steps: input.steps } });
    return row;
  });
}
