#!/usr/bin/env node
// The `paraphe` command. No build step is needed between a clone and `npx paraphe`: see load-program.mjs.
import { loadProgram } from './load-program.mjs';
await loadProgram('paraphe.mjs', 'src/cli/main.ts');
