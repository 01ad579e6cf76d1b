/** Demander un avis: the bureau whose turn it is asks another bureau; the dossier's step does not move. */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { AppError, badInput } from '../../shared/errors.ts';
import { runParapheurAction } from './run-parapheur-action.ts';

export async function requestAvis(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, input: { toBureauId: string; question: string; bureauId?: string }): Promise<DossierRow> {
  const question = input.question.trim();
  return runParapheurAction(deps, principal, access, dossierId, 'demander_avis', { needsTurn: true, bureauId: input.bureauId }, async (ctx) => {
    if (!question) throw badInput('Posez votre question au bureau consulté.', 'empty question');
    const target = await ctx.trx.selectFrom('parapheur_bureau').select('id').where('collectivite_id', '=', ctx.dossier.collectivite_id).where('id', '=', input.toBureauId).executeTakeFirst();
    if (!target) throw new AppError('UNPROCESSABLE', 'Le bureau consulté n’existe pas dans cette collectivité.', 'unknown avis bureau');
    if (target.id === ctx.acting!.bureauId) throw badInput('Demandez l’avis d’un autre bureau que le vôtre.', 'avis to self');
    const row = await ctx.trx
      .insertInto('parapheur_avis')
      .values({ collectivite_id: ctx.dossier.collectivite_id, dossier_id: ctx.dossier.id, from_bureau_id: ctx.acting!.bureauId, to_bureau_id: target.id, question, requested_at: deps.clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { state: ctx.dossier.state, details: { avisId: row.id, toBureauId: target.id, question, step: ctx.step!.position } };
  });
}
