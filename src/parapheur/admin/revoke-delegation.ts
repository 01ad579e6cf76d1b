import type { Deps } from '../../app/deps.ts';
import type { Actor, Principal } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { forbidden, notFound } from '../../shared/errors.ts';
import { heldBureaux } from '../workflow/acting-bureau.ts';
import { assertId } from './shared.ts';

/** Ends a délégation now (kept for the record). */
export async function revokeDelegation(deps: Deps, actor: Actor, principal: Principal, isAdmin: boolean, collectiviteId: string, delegationId: string): Promise<void> {
  assertId(delegationId, 'delegation', 'Délégation');
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('parapheur_delegation').selectAll().where('collectivite_id', '=', collectiviteId).where('id', '=', delegationId).where('revoked_at', 'is', null).forUpdate().executeTakeFirst();
    if (!row) throw notFound('delegation', 'Délégation');
    if (!isAdmin && (principal.kind !== 'user' || !(await heldBureaux(trx, collectiviteId, principal.userId)).includes(row.from_bureau_id))) {
      throw forbidden('Seul un titulaire du bureau (ou l’administrateur) peut révoquer cette délégation.', 'not a holder of the delegating bureau');
    }
    await trx.updateTable('parapheur_delegation').set({ revoked_at: deps.clock.now() }).where('id', '=', delegationId).execute();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'parapheur.delegation.revoked', objectType: 'parapheur-delegation', objectId: delegationId, details: {} });
  });
}
