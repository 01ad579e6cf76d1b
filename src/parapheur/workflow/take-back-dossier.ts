/**
 * Reprendre: the émetteur takes back a dossier sent by mistake, as long as nobody acted on any step; the
 * circuit instance is removed and the dossier is a draft again.
 */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { AppError } from '../../shared/errors.ts';
import { heldBureaux } from './acting-bureau.ts';
import { insertAct, runParapheurAction } from './run-parapheur-action.ts';

export async function takeBackDossier(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string): Promise<DossierRow> {
  return runParapheurAction(deps, principal, access, dossierId, 'reprendre', { needsTurn: false }, async (ctx) => {
    const pd = ctx.pd!;
    if (principal.kind === 'user' && pd.emetteur_user_id !== principal.userId && !(await heldBureaux(ctx.trx, ctx.dossier.collectivite_id, principal.userId)).includes(pd.emetteur_bureau_id)) {
      throw new AppError('FORBIDDEN', 'Seul l’émetteur du dossier peut le reprendre.', 'not the emitter');
    }
    const acted = await ctx.trx.selectFrom('parapheur_act').select('id').where('dossier_id', '=', ctx.dossier.id).where('step_id', 'is not', null).limit(1).executeTakeFirst();
    const touched = await ctx.trx.selectFrom('parapheur_step').select('id').where('dossier_id', '=', ctx.dossier.id).where('state', '=', 'done').limit(1).executeTakeFirst();
    if (acted || touched) throw new AppError('INVALID_STATE', 'Le dossier ne peut plus être repris : un bureau a déjà agi.', 'someone already acted');
    await ctx.trx.deleteFrom('parapheur_signature_session').where('dossier_id', '=', ctx.dossier.id).execute();
    await ctx.trx.deleteFrom('parapheur_step').where('dossier_id', '=', ctx.dossier.id).execute();
    await ctx.trx.updateTable('parapheur_dossier').set({ current_position: null, sent_at: null }).where('dossier_id', '=', ctx.dossier.id).execute();
    await insertAct({ ...ctx, step: undefined }, 'reprendre', { bureauId: pd.emetteur_bureau_id, viaBureauId: null });
    return {};
  });
}
