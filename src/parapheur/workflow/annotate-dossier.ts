/**
 * Annoter: a public annotation (everyone who sees the dossier) or a private one (only the holders of the
 * author's bureau). The author writes for a bureau they hold; the dossier's step does not move.
 */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { AppError, badInput } from '../../shared/errors.ts';
import { heldBureaux } from './acting-bureau.ts';
import { runParapheurAction } from './run-parapheur-action.ts';

export async function annotateDossier(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, input: { text: string; visibility: 'public' | 'private'; bureauId?: string }): Promise<DossierRow> {
  const text = input.text.trim();
  return runParapheurAction(deps, principal, access, dossierId, 'annoter', { needsTurn: false }, async (ctx) => {
    if (!text) throw badInput('L’annotation est vide.', 'empty annotation');
    if (principal.kind !== 'user') throw new AppError('FORBIDDEN', 'Les annotations sont écrites par une personne titulaire d’un bureau.', 'token cannot annotate');
    const held = await heldBureaux(ctx.trx, ctx.dossier.collectivite_id, principal.userId);
    const bureauId = input.bureauId ?? held[0];
    if (!bureauId || !held.includes(bureauId)) throw new AppError('FORBIDDEN', 'Annotez au nom d’un bureau que vous tenez.', 'annotation bureau not held');
    const row = await ctx.trx
      .insertInto('parapheur_annotation')
      .values({ collectivite_id: ctx.dossier.collectivite_id, dossier_id: ctx.dossier.id, bureau_id: bureauId, user_id: principal.userId, author_label: ctx.actor.label, visibility: input.visibility, text, at: deps.clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    // A private annotation's text stays out of the journal (the journal is readable by the collectivité's admins).
    return { state: ctx.dossier.state, details: { annotationId: row.id, visibility: input.visibility, bureauId, ...(input.visibility === 'public' ? { text } : {}) } };
  });
}
