/**
 * `paraphe pes validate|view|acquit`: thin commands over src/helios/pes. Refusals print the French
 * message and exit 2; an invalid PES prints its errors and exits 1.
 */
import type { Command } from 'commander';
import { AppError } from '../../shared/errors.ts';
import { assertSchemaVersion } from '../pes/config.ts';
import { acquitToText, parsePesAcquit, readPesView, validatePesAller, viewToText } from '../pes/index.ts';

const mb = (s: string) => {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new AppError('BAD_INPUT', `Taille maximale invalide : ${s}.`, `invalid --max-mb ${s}`);
  return Math.round(n * 1024 * 1024);
};

async function guarded(f: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await f();
  } catch (e) {
    if (e instanceof AppError) {
      console.error(`Refusé : ${e.messageFr}`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

export function registerPesCommands(pes: Command): void {
  pes
    .command('validate')
    .description('Valide un PES_Aller : schéma XSD (5.17 par défaut) et règles métier')
    .argument('<file>', 'fichier PES_Aller')
    .option('--schema <version>', 'version du schéma PES (5.17 ou 5.12)', '5.17')
    .option('--max-mb <n>', 'taille maximale du fichier en Mo', '128')
    .option('--json', 'rapport complet en JSON')
    .action((file: string, o: { schema: string; maxMb: string; json?: boolean }) =>
      guarded(async () => {
        assertSchemaVersion(o.schema);
        const r = await validatePesAller(file, { schemaVersion: o.schema, maxFileBytes: mb(o.maxMb) });
        if (o.json) console.log(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
        else {
          console.log(
            r.valid
              ? `Fichier valide (schéma PES ${r.schemaVersion}, ${r.stats.bordereaux} bordereau(x), ${r.stats.pieces} pièce(s), ${r.stats.pjs} PJ).`
              : `Fichier NON valide (schéma PES ${r.schemaVersion}) : ${r.errorCount} erreur(s).`,
          );
          for (const e of r.errors) console.log(`- ${e.line ? `ligne ${e.line}, ` : ''}${e.placeFr} : ${e.messageFr}`);
          if (r.errorsNotListed > 0) console.log(`… et ${r.errorsNotListed} autre(s) erreur(s) non listée(s).`);
        }
        return r.valid ? 0 : 1;
      }),
    );
  pes
    .command('view')
    .description('Affiche un résumé lisible d’un PES_Aller (bordereaux, pièces, tiers, montants, PJ)')
    .argument('<file>', 'fichier PES_Aller')
    .option('--json', 'vue complète en JSON')
    .option('--max-mb <n>', 'taille maximale du fichier en Mo', '128')
    .action((file: string, o: { json?: boolean; maxMb: string }) =>
      guarded(async () => {
        const v = await readPesView(file, { maxFileBytes: mb(o.maxMb) });
        console.log(o.json ? JSON.stringify(v, null, 2) : viewToText(v));
        return 0;
      }),
    );
  pes
    .command('acquit')
    .description('Lit un PES_ACQUIT et l’affiche en JSON (statut OK/KO, erreurs par bordereau, pièce, ligne)')
    .argument('<file>', 'fichier PES_ACQUIT')
    .option('--text', 'affichage lisible en français au lieu du JSON')
    .action((file: string, o: { text?: boolean }) =>
      guarded(async () => {
        const a = await parsePesAcquit(file);
        console.log(o.text ? acquitToText(a) : JSON.stringify(a, null, 2));
        return 0;
      }),
    );
}
