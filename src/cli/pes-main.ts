/**
 * `paraphe pes …` on its own: bin/paraphe.mjs loads this program (its own bundle, .cache/bundle/paraphe-pes.mjs)
 * when the first argument is `pes`. The full program (main.ts) imports every module of the platform (web
 * server, database, PDF and PKCS#11 libraries…), which costs about 3 s of CPU and 120 MB of memory at
 * start-up; a user validating, viewing or signing a 50 MB PES pays for none of it here. Same commands,
 * same options, same messages and exit codes as through main.ts.
 */
import { Command } from 'commander';
import { AppError } from '../shared/errors.ts';
import { addPesCommandGroup } from './pes-program.ts';

const program = new Command('paraphe').description('Paraphe — parapheur, télétransmission ACTES et HELIOS pour les collectivités').showHelpAfterError();
addPesCommandGroup(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof AppError) {
    console.error(`Erreur : ${e.messageFr}`);
    process.exit(2);
  }
  throw e;
}
