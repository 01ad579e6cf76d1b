#!/usr/bin/env node
// Simulators of outside parties (@CTES préfecture, DGFiP Hélios), as separate programs.
import { register } from 'tsx/esm/api';
register();
await import('../src/simulators/main.ts');
