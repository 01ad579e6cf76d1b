/** Relancer le cachet: after the seal job gave up (missing configuration, TSA down...), an admin starts it again. */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { CACHET_QUEUE } from './circuit-progress.ts';
import { runParapheurAction } from './run-parapheur-action.ts';

export async function relaunchSeal(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string): Promise<DossierRow> {
  return runParapheurAction(deps, principal, access, dossierId, 'relancer_cachet', { needsTurn: false }, async (ctx) => {
    await enqueueJob(ctx.trx, deps.clock, { queue: CACHET_QUEUE, payload: { collectiviteId: ctx.dossier.collectivite_id, dossierId: ctx.dossier.id, stepId: ctx.step!.id }, singletonKey: `cachet:${ctx.step!.id}:${deps.clock.now().getTime()}`, maxAttempts: 3 });
    return { details: { step: ctx.step!.position } };
  });
}
