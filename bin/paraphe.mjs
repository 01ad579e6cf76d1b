#!/usr/bin/env node
// The `paraphe` command. No build step is needed between a clone and `npx paraphe`: see load-program.mjs.
// `paraphe pes …` (validate, view, sign… of files up to 128 MB) loads a program holding only those commands:
// the full one imports the whole platform first (src/cli/pes-main.ts says what that costs).
import { loadProgram } from './load-program.mjs';
if (process.argv[2] === 'pes') await loadProgram('paraphe-pes.mjs', 'src/cli/pes-main.ts');
else await loadProgram('paraphe.mjs', 'src/cli/main.ts');
