import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { migrateToLatest, openDatabase } from './database.ts';
import { PGlitePool } from './pglite-pool.ts';
import { migrations } from './migrations/index.ts';
import { readPgliteTemplate, writePgliteTemplate } from './pglite-template.ts';
import type { Database } from './schema.ts';

test('a new embedded data directory starts from the migrated template (no initdb), and is a normal writable database', async () => {
  if (!readPgliteTemplate()) {
    const lite = await PGlite.create();
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PGlitePool(lite) as unknown as pg.Pool }) });
    await migrateToLatest(db);
    await writePgliteTemplate(lite);
    await db.destroy();
  }
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-tpl-'));
  try {
    const db = await openDatabase({ kind: 'pglite', dataDir: join(dir, 'pglite') });
    // Before any migration call, the schema is already there: it came from the template.
    const applied = await sql<{ name: string }>`select name from schema_migration order by name`.execute(db);
    assert.deepEqual(applied.rows.map((r) => r.name), Object.keys(migrations).sort());
    assert.deepEqual(await migrateToLatest(db), []);
    await db.insertInto('operator').values({ name: 'Opérateur', trigram: 'OPE' }).execute();
    await db.destroy();
    const again = await openDatabase({ kind: 'pglite', dataDir: join(dir, 'pglite') });
    assert.equal((await again.selectFrom('operator').select('name').execute()).length, 1, 'kept on disk');
    await again.destroy();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
