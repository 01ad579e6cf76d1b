#!/usr/bin/env node
// Simulators of outside parties (@CTES préfecture, DGFiP Hélios), as separate programs.
import { loadProgram } from './load-program.mjs';
await loadProgram('paraphe-sim.mjs', 'src/simulators/main.ts');
