/** Stand-alone entry of the Hélios simulator: `node --import tsx src/simulators/helios/run.ts helios --port 0 --root DIR`. */
import { Command } from 'commander';
import { registerHeliosSimCommand } from './command.ts';

const program = new Command('paraphe-sim');
registerHeliosSimCommand(program);
await program.parseAsync(process.argv);
