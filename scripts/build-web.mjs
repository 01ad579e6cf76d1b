#!/usr/bin/env node
// Builds the web application (web/ → web/dist) with Vite, then writes .gz and .br copies of the text assets
// so that @fastify/static serves them pre-compressed. Run by `npm run build:web` and by `npm ci` (prepare).
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = join(root, 'web', 'vite.config.ts');
const dist = join(root, 'web', 'dist');

let vite;
try {
  vite = await import('vite');
} catch {
  // Production installs without devDependencies keep a web/dist built elsewhere.
  console.warn('build:web — Vite n’est pas installé (installation sans devDependencies) : application web non reconstruite.');
  process.exit(0);
}

const started = Date.now();
await vite.build({ configFile: config, logLevel: process.env.CI ? 'warn' : 'info' });

let files = 0;
let saved = 0;
function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(js|mjs|css|html|svg|json)$/.test(e.name) && statSync(p).size > 1024) {
      const buf = readFileSync(p);
      const br = brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } });
      writeFileSync(p + '.br', br);
      writeFileSync(p + '.gz', gzipSync(buf, { level: 9 }));
      files++;
      saved += buf.length - br.length;
    }
  }
}
walk(dist);
console.log(`build:web — web/dist prêt en ${((Date.now() - started) / 1000).toFixed(1)} s (${files} fichiers précompressés, ${(saved / 1024 / 1024).toFixed(1)} Mo économisés en brotli).`);
