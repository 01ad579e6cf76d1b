import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor, TenantAccess } from '../identity/principal.ts';
import { AppError } from '../shared/errors.ts';
import { enqueueJob } from '../platform/jobs/job-queue.ts';
import type { DossierRow } from '../platform/db/schema.ts';
import type { Db } from '../platform/db/database.ts';
import { checkAction, type ActingAs } from './dossier-type.ts';
import { loadDossier } from './load-dossier.ts';
import { snapshotOf } from './presenter.ts';
import { changeDossierState } from './change-state.ts';

export const DOSSIER_JOB_QUEUE = 'dossier-job';

export function actingAs(access: TenantAccess, kind: 'user' | 'token'): ActingAs {
  return { kind, role: access.role, permissions: access.permissions };
}

/** The platform acting on its own (a subscriber following up an event): state and guards still apply. */
export const systemActingAs: ActingAs = { kind: 'system', role: null, permissions: new Set() };

/**
 * Runs one action: the rule check, the state change, the journal entry (with the documents' SHA-256)
 * and, for actions with a background step, the job — all in one transaction.
 */
export async function runDossierAction(deps: Deps, actor: Actor, who: ActingAs, collectiviteId: string, dossierId: string, actionName: string, comment?: string): Promise<DossierRow> {
  return deps.db.transaction().execute((trx) => runDossierActionIn(trx, deps, actor, who, collectiviteId, dossierId, actionName, comment));
}

/** The same, inside the caller's transaction (e.g. a dossier event subscriber). */
export async function runDossierActionIn(trx: Db, deps: Deps, actor: Actor, who: ActingAs, collectiviteId: string, dossierId: string, actionName: string, comment?: string): Promise<DossierRow> {
  const { dossier, documents } = await loadDossier(trx, collectiviteId, dossierId, { forUpdate: true });
  const def = deps.dossierTypes.get(dossier.type);
  const check = checkAction(def, actionName, snapshotOf(dossier, documents), who);
  if (!check.ok) throw new AppError(check.status === 403 ? 'FORBIDDEN' : 'INVALID_STATE', check.reasonFr, `action ${actionName} refused in state ${dossier.state}`);
  const action = def.actions[actionName]!;
  await changeDossierState(trx, deps, dossier, action.to);
  const updated = await trx.selectFrom('dossier').selectAll().where('id', '=', dossier.id).executeTakeFirstOrThrow();
  await appendJournal(trx, deps.clock, actor, {
    collectiviteId,
    action: `dossier.action.${actionName}`,
    objectType: 'dossier',
    objectId: dossier.id,
    details: { from: dossier.state, to: action.to, label: action.label, ...(comment ? { comment } : {}) },
    documentHashes: documents.map((d) => d.sha256),
  });
  if (action.job) {
    await enqueueJob(trx, deps.clock, {
      queue: DOSSIER_JOB_QUEUE,
      payload: { collectiviteId, dossierId: dossier.id, job: action.job, version: updated.version },
      // One job per transition: the same transition can never start its side effect twice.
      singletonKey: `${dossier.id}:${action.job}:${updated.version}`,
      maxAttempts: def.jobs![action.job]!.maxAttempts,
    });
  }
  return updated;
}
