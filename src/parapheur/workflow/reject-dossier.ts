/** Rejeter: the motif is required; the dossier goes back to its author as rejected, the circuit stops. */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { badInput } from '../../shared/errors.ts';
import { insertAct, runParapheurAction } from './run-parapheur-action.ts';

export async function rejectDossier(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, input: { motif?: string; bureauId?: string }): Promise<DossierRow> {
  const motif = input.motif?.trim();
  return runParapheurAction(deps, principal, access, dossierId, 'rejeter', { needsTurn: true, bureauId: input.bureauId }, async (ctx) => {
    if (!motif) throw badInput('Le motif du rejet est obligatoire.', 'rejection without motif');
    await insertAct(ctx, 'rejeter', { comment: motif });
    await ctx.trx.updateTable('parapheur_step').set({ state: 'done', pending_bureau_ids: JSON.stringify([]) }).where('dossier_id', '=', ctx.dossier.id).where('state', '=', 'active').execute();
    await ctx.trx.updateTable('parapheur_dossier').set({ current_position: null, finished_at: deps.clock.now() }).where('dossier_id', '=', ctx.dossier.id).execute();
    return { details: { step: ctx.step!.position, motif } };
  });
}
