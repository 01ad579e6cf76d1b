/**
 * A new embedded database costs PGlite an initdb (several seconds of CPU) before the migrations. `npm ci`
 * (prepare) dumps a migrated empty database once, per PGlite version and migration list, into `.cache/`; opening a data
 * directory that does not exist yet loads that dump instead (about a quarter of the cost). Without the
 * file, or if it cannot be loaded, the database is created as before — the template is only a speed-up.
 */
import { existsSync, readFileSync, renameSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { repoRoot } from '../../shared/paths.ts';
import { migrations } from './migrations/index.ts';

function pgliteVersion(): string {
  // The package exports no ./package.json: walk up from its entry point.
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const f = join(dir, 'package.json');
    if (!existsSync(f)) continue;
    const pkg = JSON.parse(readFileSync(f, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
  }
  throw new Error('PGlite version not found');
}

/** Named after the PGlite version and the migration list: a stale template is simply not found. */
export function pgliteTemplatePath(): string {
  const schema = createHash('sha256').update(Object.keys(migrations).sort().join('\n')).digest('hex').slice(0, 12);
  return join(repoRoot, '.cache', `pglite-template-${pgliteVersion()}-${schema}.tar.gz`);
}

export function readPgliteTemplate(): Buffer | undefined {
  try {
    const p = pgliteTemplatePath();
    return existsSync(p) ? readFileSync(p) : undefined;
  } catch {
    return undefined;
  }
}

export async function writePgliteTemplate(lite: PGlite): Promise<string> {
  const p = pgliteTemplatePath();
  mkdirSync(join(repoRoot, '.cache'), { recursive: true });
  const dump = await lite.dumpDataDir('gzip');
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
  renameSync(tmp, p);
  return p;
}
