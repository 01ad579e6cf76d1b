/** Transférer: the bureau whose turn it is hands its place at the same step to another bureau. */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { AppError, badInput } from '../../shared/errors.ts';
import { insertAct, runParapheurAction } from './run-parapheur-action.ts';

export async function transferDossier(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, input: { toBureauId: string; comment?: string; bureauId?: string }): Promise<DossierRow> {
  return runParapheurAction(deps, principal, access, dossierId, 'transferer', { needsTurn: true, bureauId: input.bureauId }, async (ctx) => {
    const step = ctx.step!;
    const from = ctx.acting!.bureauId;
    const target = await ctx.trx.selectFrom('parapheur_bureau').select(['id', 'name']).where('collectivite_id', '=', ctx.dossier.collectivite_id).where('id', '=', input.toBureauId).executeTakeFirst();
    if (!target) throw new AppError('UNPROCESSABLE', 'Le bureau destinataire n’existe pas dans cette collectivité.', 'unknown transfer bureau');
    if (step.bureau_ids.includes(target.id)) throw badInput('Ce bureau participe déjà à cette étape.', 'transfer to a bureau of the step');
    const swap = (ids: string[]) => ids.map((b) => (b === from ? target.id : b));
    await ctx.trx.updateTable('parapheur_step').set({ bureau_ids: JSON.stringify(swap(step.bureau_ids)), pending_bureau_ids: JSON.stringify(swap(step.pending_bureau_ids)) }).where('id', '=', step.id).execute();
    await insertAct(ctx, 'transferer', { comment: input.comment ?? `Transféré au bureau « ${target.name} »` });
    return { state: ctx.dossier.state, details: { step: step.position, fromBureauId: from, toBureauId: target.id } };
  });
}
