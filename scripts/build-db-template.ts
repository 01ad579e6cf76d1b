// Dumps a migrated, empty PGlite database into .cache/ (see src/platform/db/pglite-template.ts): a first
// `paraphe start` then loads it instead of running initdb. Run by `npm ci` (prepare); optional speed-up.
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { PGlitePool } from '../src/platform/db/pglite-pool.ts';
import { migrateToLatest } from '../src/platform/db/database.ts';
import { writePgliteTemplate } from '../src/platform/db/pglite-template.ts';
import type { Database } from '../src/platform/db/schema.ts';

const started = Date.now();
const lite = await PGlite.create();
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PGlitePool(lite) as unknown as pg.Pool }) });
await migrateToLatest(db);
const path = await writePgliteTemplate(lite);
await db.destroy();
console.log(`Base PGlite modèle : ${path} (${Date.now() - started} ms)`);
