// Loads a program: its esbuild bundle (.cache/bundle, see scripts/build-bundle.mjs) when it is newer than every
// source file, otherwise the TypeScript sources through tsx's loader. PARAPHE_FROM_SOURCES=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|mjs)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export async function loadProgram(bundleName, sourcePath) {
  const bundle = join(root, '.cache', 'bundle', bundleName);
  if (process.env.PARAPHE_FROM_SOURCES !== '1' && existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(join(root, 'src'))) {
    await import(pathToFileURL(bundle).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, sourcePath)).href);
}
