import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { systemActor } from '../identity/principal.ts';
import type { JobHandler } from '../platform/jobs/job-queue.ts';
import type { Db } from '../platform/db/database.ts';
import type { JobRow } from '../platform/db/schema.ts';
import { loadDossier } from './load-dossier.ts';
import { snapshotOf } from './presenter.ts';
import { changeDossierState } from './change-state.ts';

interface Payload {
  collectiviteId: string;
  dossierId: string;
  job: string;
  version: number;
}

/**
 * Runs the external step a dossier action started (send, follow, result): the job's outcome moves the
 * dossier on, an exhausted job moves it to the type's explicit error state. A dossier that moved on in
 * the meantime (cancelled...) is left alone.
 */
export function dossierJobHandler(deps: () => Deps): JobHandler {
  const jobDefOf = (d: Deps, type: string, name: string) => {
    const def = d.dossierTypes.get(type).jobs?.[name];
    if (!def) throw new Error(`unknown job ${name} for ${type}`);
    return def;
  };
  async function transition(trx: Db, d: Deps, p: Payload, whileIn: string, to: string, event: string, details: Record<string, unknown>, hashes: string[]) {
    const { dossier } = await loadDossier(trx, p.collectiviteId, p.dossierId, { forUpdate: true });
    if (dossier.state !== whileIn) return;
    await changeDossierState(trx, d, dossier, to);
    await appendJournal(trx, d.clock, systemActor, { collectiviteId: p.collectiviteId, action: event, objectType: 'dossier', objectId: dossier.id, details: { from: dossier.state, to, job: p.job, ...details }, documentHashes: hashes });
  }
  return {
    backoffSeconds: 5,
    async run(job: JobRow) {
      const d = deps();
      const p = job.payload as unknown as Payload;
      const { dossier, documents } = await loadDossier(d.db, p.collectiviteId, p.dossierId);
      const jobDef = jobDefOf(d, dossier.type, p.job);
      if (dossier.state !== jobDef.whileIn) return {};
      const outcome = await jobDef.run({ deps: d, dossier: snapshotOf(dossier, documents), idempotencyKey: job.id, attempt: job.attempts });
      return {
        complete: (trx) => transition(trx, d, p, jobDef.whileIn, outcome.to, `dossier.job.${p.job}.done`, { attempt: job.attempts, ...outcome.details }, outcome.documentHashes ?? []),
      };
    },
    async exhausted(trx, job, error) {
      const d = deps();
      const p = job.payload as unknown as Payload;
      const { dossier } = await loadDossier(trx, p.collectiviteId, p.dossierId);
      const jobDef = jobDefOf(d, dossier.type, p.job);
      await transition(trx, d, p, jobDef.whileIn, jobDef.onExhausted, `dossier.job.${p.job}.failed`, { attempts: job.attempts, error }, []);
    },
  };
}
