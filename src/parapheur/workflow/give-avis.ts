/** Donner un avis: a holder of the consulted bureau answers; the dossier's step does not move. */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { AppError, badInput, notFound } from '../../shared/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { heldBureaux } from './acting-bureau.ts';
import { runParapheurAction } from './run-parapheur-action.ts';

export async function giveAvis(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, avisId: string, input: { answer: string }): Promise<DossierRow> {
  const answer = input.answer.trim();
  return runParapheurAction(deps, principal, access, dossierId, 'donner_avis', { needsTurn: false }, async (ctx) => {
    if (!isUuid(avisId)) throw notFound('avis', 'Demande d’avis');
    const avis = await ctx.trx.selectFrom('parapheur_avis').selectAll().where('collectivite_id', '=', ctx.dossier.collectivite_id).where('dossier_id', '=', ctx.dossier.id).where('id', '=', avisId).executeTakeFirst();
    if (!avis) throw notFound('avis', 'Demande d’avis');
    if (avis.answered_at) throw new AppError('CONFLICT', 'Cet avis a déjà été donné.', 'avis already answered');
    if (!answer) throw badInput('L’avis est vide.', 'empty answer');
    if (principal.kind !== 'user' || !(await heldBureaux(ctx.trx, ctx.dossier.collectivite_id, principal.userId)).includes(avis.to_bureau_id)) {
      throw new AppError('FORBIDDEN', 'Seul le bureau consulté peut donner cet avis.', 'not a holder of the consulted bureau');
    }
    await ctx.trx.updateTable('parapheur_avis').set({ answer, answered_at: deps.clock.now(), answered_by_label: ctx.actor.label }).where('id', '=', avis.id).execute();
    return { state: ctx.dossier.state, details: { avisId: avis.id, bureauId: avis.to_bureau_id, answer } };
  });
}
