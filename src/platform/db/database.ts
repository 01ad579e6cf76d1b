/**
 * Opens the database: a PostgreSQL server when DATABASE_URL is set, otherwise embedded PGlite with its
 * data in PARAPHE_DATA_DIR (default ./data) — or in memory for tests. Same SQL, same Kysely dialect.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PGlitePool } from './pglite-pool.ts';
import { readPgliteTemplate } from './pglite-template.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string | null };

const INT8 = 20;
const NUMERIC = 1700;
pg.types.setTypeParser(INT8, (v) => Number(v));
pg.types.setTypeParser(NUMERIC, (v) => Number(v));

/** Subscribes to a NOTIFY channel; resolves with the unsubscribe function. */
export type NotificationListener = (channel: string, onNotify: (payload: string) => void) => Promise<() => Promise<void>>;

const listeners = new WeakMap<Db, NotificationListener>();

/**
 * LISTEN for the database (PostgreSQL: a dedicated connection; PGlite: its single connection), or
 * undefined for a Db not opened by openDatabase. Notifications sent in a transaction arrive at its commit.
 */
export function notificationListener(db: Db): NotificationListener | undefined {
  return listeners.get(db);
}

function postgresListener(url: string): NotificationListener {
  return async (channel, onNotify) => {
    const client = new pg.Client({ connectionString: url });
    // A lost connection only loses the wake-ups: the listeners' callers also poll.
    client.on('error', (e) => console.error('database notification connection lost:', e.message));
    await client.connect();
    client.on('notification', (n) => {
      if (n.channel === channel) onNotify(n.payload ?? '');
    });
    await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    return async () => {
      await client.end().catch(() => undefined);
    };
  };
}

export async function openDatabase(target: DatabaseTarget): Promise<Db> {
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: target.url, max: Number(process.env.PARAPHE_DB_POOL ?? 10) });
    // An idle connection dropped by the server (restart, admin command) must not crash the process.
    pool.on('error', (e) => console.error('database connection lost:', e.message));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    listeners.set(db, postgresListener(target.url));
    return db;
  }
  const parsers = { [INT8]: (v: string) => Number(v), [NUMERIC]: (v: string) => Number(v) };
  let lite: PGlite | undefined;
  const template = target.dataDir && !existsSync(target.dataDir) ? readPgliteTemplate() : undefined;
  if (target.dataDir && template) {
    mkdirSync(dirname(target.dataDir), { recursive: true }); // PGlite creates only the last level
    try {
      lite = await PGlite.create({ dataDir: target.dataDir, loadDataDir: new Blob([template]), parsers });
    } catch (e) {
      console.warn(`base modèle PGlite inutilisable, création complète : ${(e as Error).message}`);
      rmSync(target.dataDir, { recursive: true, force: true });
    }
  }
  if (!lite) {
    if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
    lite = await PGlite.create(target.dataDir ?? undefined, { parsers });
  }
  // Kysely only needs connect()/end(): the adapter gives it PGlite's single connection.
  return pgliteDb(lite);
}

/** Kysely over an in-process PGlite (the same dialect and driver code as PostgreSQL), with its LISTEN. */
export function pgliteDb(lite: PGlite): Db {
  const litePool = new PGlitePool(lite);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: litePool as unknown as pg.Pool }) });
  listeners.set(db, (channel, onNotify) => litePool.listen(channel, onNotify));
  return db;
}

export function databaseTargetFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  if (env.DATABASE_URL) return { kind: 'postgres', url: env.DATABASE_URL };
  return { kind: 'pglite', dataDir: join(env.PARAPHE_DATA_DIR ?? 'data', 'pglite') };
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({ db, provider, migrationTableName: 'schema_migration', migrationLockTableName: 'schema_migration_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
