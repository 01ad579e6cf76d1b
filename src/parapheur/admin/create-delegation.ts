/**
 * A bureau delegates to another for a date range and chosen typologies (none: all). Refused when it
 * overlaps another délégation of the same bureau (same period, a shared typologie), or when it would close
 * a cycle (A → B while B → … → A over an overlapping period).
 */
import type { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { Actor, Principal } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { ParapheurDelegationRow } from '../../platform/db/schema.ts';
import { AppError, badInput, forbidden } from '../../shared/errors.ts';
import type { delegationInput } from '../model.ts';
import { heldBureaux } from '../workflow/acting-bureau.ts';
import { assertBureauxExist } from './shared.ts';

const shareTypologies = (a: string[], b: string[]) => a.length === 0 || b.length === 0 || a.some((x) => b.includes(x));

export async function createDelegation(deps: Deps, actor: Actor, principal: Principal, isAdmin: boolean, collectiviteId: string, input: z.infer<typeof delegationInput>): Promise<ParapheurDelegationRow> {
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  if (!(startsAt < endsAt)) throw badInput('La fin de la délégation doit suivre son début.', 'empty date range');
  if (input.fromBureauId === input.toBureauId) throw badInput('Un bureau ne peut pas se déléguer à lui-même.', 'self delegation');
  return deps.db.transaction().execute(async (trx) => {
    await assertBureauxExist(trx, collectiviteId, [input.fromBureauId, input.toBureauId]);
    if (!isAdmin && (principal.kind !== 'user' || !(await heldBureaux(trx, collectiviteId, principal.userId)).includes(input.fromBureauId))) {
      throw forbidden('Seul un titulaire du bureau (ou l’administrateur) peut déléguer ce bureau.', 'not a holder of the delegating bureau');
    }
    if (input.typologieIds.length) {
      const t = await trx.selectFrom('parapheur_typologie').select('id').where('collectivite_id', '=', collectiviteId).where('id', 'in', input.typologieIds).execute();
      if (t.length !== new Set(input.typologieIds).size) throw new AppError('UNPROCESSABLE', 'Une typologie indiquée n’existe pas dans cette collectivité.', 'unknown typologie');
    }
    // Serialise délégation changes of this collectivité so two concurrent requests cannot both pass the checks.
    await trx.selectFrom('collectivite').select('id').where('id', '=', collectiviteId).forUpdate().execute();
    const overlapping = await trx
      .selectFrom('parapheur_delegation')
      .selectAll()
      .where('collectivite_id', '=', collectiviteId)
      .where('revoked_at', 'is', null)
      .where('starts_at', '<', endsAt)
      .where('ends_at', '>', startsAt)
      .execute();
    const relevant = overlapping.filter((d) => shareTypologies(d.typologie_ids, input.typologieIds));
    if (relevant.some((d) => d.from_bureau_id === input.fromBureauId)) {
      throw new AppError('CONFLICT', 'Ce bureau a déjà une délégation sur cette période : elles ne peuvent pas se chevaucher.', 'overlapping delegation');
    }
    const seen = new Set<string>();
    const stack = [input.toBureauId];
    while (stack.length) {
      const b = stack.pop()!;
      if (b === input.fromBureauId) throw new AppError('CONFLICT', 'Cette délégation formerait une boucle de délégations (circulaire) : refusée.', 'circular delegation');
      if (seen.has(b)) continue;
      seen.add(b);
      for (const d of relevant) if (d.from_bureau_id === b) stack.push(d.to_bureau_id);
    }
    const row = await trx
      .insertInto('parapheur_delegation')
      .values({ collectivite_id: collectiviteId, from_bureau_id: input.fromBureauId, to_bureau_id: input.toBureauId, starts_at: startsAt, ends_at: endsAt, typologie_ids: JSON.stringify([...new Set(input.typologieIds)]) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'parapheur.delegation.created', objectType: 'parapheur-delegation', objectId: row.id, details: { ...input } });
    return row;
  });
}
