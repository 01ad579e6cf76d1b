/**
 * A fresh, migrated database per test file. On PostgreSQL (DATABASE_URL set) a throw-away database is
 * created on the server; on PGlite a migrated template is dumped once and loaded per file (initdb costs
 * seconds, loading a dump about one).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { migrateToLatest, openDatabase, pgliteDb, type Db } from '../../src/platform/db/database.ts';
import { PGlitePool } from '../../src/platform/db/pglite-pool.ts';
import { migrations } from '../../src/platform/db/migrations/index.ts';
import type { Database } from '../../src/platform/db/schema.ts';
import { repoRoot } from '../../src/shared/paths.ts';

export interface TestDb {
  db: Db;
  close(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const url = process.env.DATABASE_URL;
  return url ? createPostgresTestDb(url) : createPgliteTestDb();
}

async function createPostgresTestDb(url: string): Promise<TestDb> {
  const name = `paraphe_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openDatabase({ kind: 'postgres', url: u.toString() });
  await migrateToLatest(db);
  return {
    db,
    async close() {
      await db.destroy();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

function migrationsKey(): string {
  const h = createHash('sha256');
  for (const name of Object.keys(migrations).sort()) h.update(name).update(readFileSync(join(repoRoot, 'src/platform/db/migrations', `${name}.ts`)));
  return h.digest('hex').slice(0, 16);
}

async function templateDump(): Promise<Blob> {
  const dir = join(repoRoot, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `pglite-template-${migrationsKey()}.tar`);
  if (existsSync(file)) return new Blob([readFileSync(file)]);
  const lite = await PGlite.create();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PGlitePool(lite) as unknown as pg.Pool }) });
  await migrateToLatest(db);
  const dump = await lite.dumpDataDir('none');
  await db.destroy();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
  renameSync(tmp, file);
  return dump;
}

async function createPgliteTestDb(): Promise<TestDb> {
  const dump = await templateDump();
  const lite = await PGlite.create({ loadDataDir: dump, parsers: { 20: (v: string) => Number(v), 1700: (v: string) => Number(v) } });
  const db = pgliteDb(lite);
  await migrateToLatest(db);
  return { db, close: () => db.destroy() };
}
