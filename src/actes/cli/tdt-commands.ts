/**
 * Operator commands of the ACTES transmission: read the return mailboxes now (and start the periodic poll
 * run by the server's job worker), import a classification file for a collectivité.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Deps } from '../../app/deps.ts';
import { AppError } from '../../shared/errors.ts';
import { runDueJobs } from '../../platform/jobs/job-queue.ts';
import { actesPorts } from '../install.ts';
import { ensureActesPolling } from '../jobs/poll-job.ts';
import { pollActesMailboxes } from '../use-cases/poll-actes-mailboxes.ts';
import { importClassification } from '../use-cases/import-classification.ts';

const cliActor = { userId: null, tokenId: null, label: 'ligne de commande (opérateur)' };

export function registerActesTdtCommands(program: Command, openPlatform: () => Promise<Deps>): void {
  const cmd = program.command('actes-tdt').description('télétransmission ACTES : boîte de retour, classification');
  const withDeps = async (fn: (d: Deps) => Promise<void>): Promise<void> => {
    const deps = await openPlatform();
    try {
      await fn(deps);
    } finally {
      await deps.db.destroy();
    }
  };
  cmd
    .command('releve')
    .description('lit maintenant les boîtes de retour, traite les messages de la préfecture, et programme la relève périodique (PARAPHE_ACTES_POLL_SECONDS)')
    .action(() =>
      withDeps(async (deps) => {
        const s = await pollActesMailboxes(deps, actesPorts(deps));
        await runDueJobs(deps.db, deps.clock, deps.jobHandlers, { max: 100 });
        await ensureActesPolling(deps);
        console.log(`${s.mailboxes} boîte(s) lue(s) : ${s.processed} courriel(s) traité(s), ${s.rejected.length} rejeté(s) (gardés dans « inconnus »), ${s.failed.length} en échec.`);
        for (const r of s.rejected) console.log(`  rejeté ${r.key} : ${r.reasonFr}`);
        for (const f of s.failed) console.log(`  échec ${f.key} : ${f.error}`);
      }),
    );
  cmd
    .command('classification')
    .description('importe un fichier RetourClassification pour une collectivité')
    .requiredOption('--siren <siren>', 'SIREN de la collectivité')
    .requiredOption('--file <file>', 'fichier XML RetourClassification')
    .action((o: { siren: string; file: string }) =>
      withDeps(async (deps) => {
        const c = await deps.db.selectFrom('collectivite').select('id').where('siren', '=', o.siren).executeTakeFirst();
        if (!c) throw new AppError('NOT_FOUND', `Aucune collectivité avec le SIREN ${o.siren}.`, 'unknown SIREN');
        const cls = await importClassification(deps, cliActor, c.id, readFileSync(o.file));
        console.log(`Classification du ${cls.dateClassification} importée.`);
      }),
    );
}
