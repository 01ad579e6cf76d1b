/** Viser: the bureau whose turn it is approves without signing; the circuit moves on. */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { AppError } from '../../shared/errors.ts';
import { recordStepAct } from './circuit-progress.ts';
import { insertAct, runParapheurAction } from './run-parapheur-action.ts';

export async function visaDossier(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, input: { comment?: string; bureauId?: string }): Promise<DossierRow> {
  return runParapheurAction(deps, principal, access, dossierId, 'viser', { needsTurn: true, bureauId: input.bureauId }, async (ctx) => {
    if (ctx.step!.kind !== 'visa') throw new AppError('INVALID_STATE', `L’étape en cours demande une ${ctx.step!.kind === 'signature' ? 'signature' : 'action du serveur'}, pas un visa.`, `step kind ${ctx.step!.kind}`);
    await insertAct(ctx, 'viser', { comment: input.comment ?? null });
    const progress = await recordStepAct(ctx.trx, deps, ctx.step!, ctx.acting!.bureauId);
    return { state: progress.state, details: { step: ctx.step!.position, stepDone: progress.stepDone, ...(input.comment ? { comment: input.comment } : {}) } };
  });
}
