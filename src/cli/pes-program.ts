/**
 * The `paraphe pes …` command group (validate, view, acquit, sign, verify). Registered by the full program
 * (main.ts) and by pes-main.ts, the small program bin/paraphe.mjs loads when the first argument is `pes`.
 */
import type { Command } from 'commander';
import { registerPesSignCommands } from '../parapheur/cli/pes-sign-commands.ts';
import { registerPesCommands } from '../helios/cli/pes-commands.ts';

export function addPesCommandGroup(program: Command): Command {
  const pes = program.command('pes').description('fichiers PES V2 (HELIOS)');
  registerPesCommands(pes);
  registerPesSignCommands(pes);
  return pes;
}
