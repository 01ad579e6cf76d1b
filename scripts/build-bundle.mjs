#!/usr/bin/env node
// Bundles the two programs (src/cli/main.ts, src/simulators/main.ts) with esbuild into .cache/bundle/, npm
// packages left external. bin/paraphe.mjs and bin/paraphe-sim.mjs load the bundle when it is newer than every
// source file, and otherwise run the sources through tsx: the bundle only saves start-up time (the tsx loader
// resolves and transforms some 400 modules on every start), it never runs stale code.
// Run by `npm ci` (prepare) and `npm run build:bundle`. The bundle sits two levels below the repository root, as
// the sources do, so that paths computed from import.meta.url stay right.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let esbuild;
try {
  esbuild = await import('esbuild'); // installed with tsx
} catch {
  console.warn('build:bundle — esbuild absent : les programmes tourneront depuis les sources (tsx).');
  process.exit(0);
}
const out = join(root, '.cache', 'bundle');
mkdirSync(out, { recursive: true });
const started = Date.now();
for (const [entry, name] of [['src/cli/main.ts', 'paraphe.mjs'], ['src/simulators/main.ts', 'paraphe-sim.mjs']]) {
  await esbuild.build({
    entryPoints: [join(root, entry)],
    outfile: join(out, name),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked', // read only with node --enable-source-maps
    logLevel: 'warning',
  });
}
// `paraphe pes …` alone (see bin/paraphe.mjs), split so that what a command imports with import() (the
// signature modules for `pes sign|verify`) is loaded only when that command runs.
for (const f of readdirSync(out)) if (f.startsWith('paraphe-pes')) rmSync(join(out, f));
await esbuild.build({
  entryPoints: { 'paraphe-pes': join(root, 'src/cli/pes-main.ts') },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'paraphe-pes-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log(`Programmes empaquetés dans ${out} (${Date.now() - started} ms)`);
