import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { AppError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { actorOf, type Principal } from './principal.ts';
import { requireOperator } from './resolve-tenant-access.ts';

/** Operator staff enter a collectivité only this way: explicit, with a reason, journaled in its chain. */
export async function startImpersonation(deps: Deps, principal: Principal, collectiviteId: string, reason: string): Promise<void> {
  requireOperator(principal, false);
  if (principal.kind !== 'user') return;
  if (!isUuid(collectiviteId)) throw notFound('collectivite', 'Collectivité');
  if (reason.trim().length < 5) throw new AppError('VALIDATION', 'Indiquez le motif de l’intervention (5 caractères au moins).', 'impersonation reason required');
  await deps.db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('collectivite').select('id').where('id', '=', collectiviteId).executeTakeFirst();
    if (!c) throw notFound('collectivite', 'Collectivité');
    await trx.updateTable('session').set({ impersonated_collectivite_id: collectiviteId, impersonation_reason: reason.trim() }).where('id_hash', '=', principal.sessionId).execute();
    await appendJournal(trx, deps.clock, actorOf(principal), { collectiviteId, action: 'impersonation.started', objectType: 'collectivite', objectId: collectiviteId, details: { reason: reason.trim(), operatorRole: principal.operatorRole } });
  });
}

export async function stopImpersonation(deps: Deps, principal: Principal): Promise<void> {
  if (principal.kind !== 'user' || !principal.impersonation) return;
  const { collectiviteId } = principal.impersonation;
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('session').set({ impersonated_collectivite_id: null, impersonation_reason: null }).where('id_hash', '=', principal.sessionId).execute();
    await appendJournal(trx, deps.clock, actorOf(principal), { collectiviteId, action: 'impersonation.ended', objectType: 'collectivite', objectId: collectiviteId });
  });
}
