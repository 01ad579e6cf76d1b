/**
 * Moves a dossier along its circuit instance once a bureau has acted: `any` steps end with the first act,
 * `all` steps when every bureau acted. The next step becomes active; a cachet step starts the seal job;
 * after the last step the dossier is signed. Runs inside the caller's transaction.
 */
import { sql } from 'kysely';
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import type { ParapheurStepRow } from '../../platform/db/schema.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';

export const CACHET_QUEUE = 'parapheur-cachet';

export interface Progress {
  state: 'en_cours' | 'cachet_en_cours' | 'signe';
  stepDone: boolean;
  nextPosition: number | null;
}

export async function activateStep(trx: Db, deps: Deps, collectiviteId: string, dossierId: string, position: number): Promise<Progress> {
  const next = await trx
    .updateTable('parapheur_step')
    .set({ state: 'active', pending_bureau_ids: sql<string>`bureau_ids` })
    .where('collectivite_id', '=', collectiviteId)
    .where('dossier_id', '=', dossierId)
    .where('position', '=', position)
    .returningAll()
    .executeTakeFirst();
  if (!next) {
    await trx.updateTable('parapheur_dossier').set({ current_position: null, finished_at: deps.clock.now() }).where('dossier_id', '=', dossierId).execute();
    return { state: 'signe', stepDone: true, nextPosition: null };
  }
  await trx.updateTable('parapheur_dossier').set({ current_position: position }).where('dossier_id', '=', dossierId).execute();
  if (next.kind === 'cachet') {
    await enqueueJob(trx, deps.clock, { queue: CACHET_QUEUE, payload: { collectiviteId, dossierId, stepId: next.id }, singletonKey: `cachet:${next.id}:${deps.clock.now().getTime()}`, maxAttempts: 3 });
    return { state: 'cachet_en_cours', stepDone: true, nextPosition: position };
  }
  return { state: 'en_cours', stepDone: true, nextPosition: position };
}

export async function recordStepAct(trx: Db, deps: Deps, step: ParapheurStepRow, bureauId: string): Promise<Progress> {
  const pending = step.pending_bureau_ids.filter((b) => b !== bureauId);
  const done = step.mode === 'any' || pending.length === 0 || step.kind === 'cachet';
  await trx
    .updateTable('parapheur_step')
    .set({ pending_bureau_ids: JSON.stringify(done ? [] : pending), state: done ? 'done' : 'active' })
    .where('id', '=', step.id)
    .execute();
  if (!done) return { state: 'en_cours', stepDone: false, nextPosition: step.position };
  return activateStep(trx, deps, step.collectivite_id, step.dossier_id, step.position + 1);
}
