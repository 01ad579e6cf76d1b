/**
 * Presents an in-process PGlite database as the small `pg.Pool` surface Kysely's PostgresDialect uses,
 * so the embedded default and a real PostgreSQL server run the very same SQL and driver code.
 * PGlite has one connection: `connect()` hands it out to one holder at a time (a transaction keeps it
 * until released), which is also how a one-connection pg pool would behave.
 */
import type { PGlite } from '@electric-sql/pglite';

interface QueryResult {
  command: string | undefined;
  rowCount: number;
  rows: unknown[];
}

function commandOf(sqlText: string): string | undefined {
  const m = /^\s*(insert|update|delete|merge|select)\b/i.exec(sqlText);
  return m?.[1]?.toUpperCase();
}

export class PGlitePool {
  readonly #db: PGlite;
  #queue: Promise<void> = Promise.resolve();

  constructor(db: PGlite) {
    this.#db = db;
  }

  async connect(): Promise<{ query: (sql: string, params: unknown[]) => Promise<QueryResult>; release: () => void }> {
    let release!: () => void;
    const previous = this.#queue;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const db = this.#db;
    let released = false;
    return {
      async query(sqlText: string, params: unknown[]): Promise<QueryResult> {
        const res = await db.query(sqlText, params);
        return { command: commandOf(sqlText), rowCount: res.affectedRows ?? res.rows.length, rows: res.rows };
      },
      release() {
        if (!released) {
          released = true;
          release();
        }
      },
    };
  }

  /** LISTEN on the single connection, between two holders (never inside someone's transaction). */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const c = await this.connect();
    let unlisten: () => Promise<void>;
    try {
      unlisten = await this.#db.listen(channel, onNotify);
    } finally {
      c.release();
    }
    return async () => {
      const u = await this.connect();
      try {
        await unlisten();
      } finally {
        u.release();
      }
    };
  }

  async end(): Promise<void> {
    await this.#queue;
    await this.#db.close();
  }
}
