import type { Migration } from 'kysely';
import { sql } from 'kysely';
import * as m0001 from './0001-foundation.ts';
import * as m0004 from './0004-journal-timestamps.ts';

/** Versioned migrations, applied in key order. Each is a list of SQL statements run in one transaction. */
const versions: Record<string, { statements: string[] }> = {
  '0001-foundation': m0001,
  '0004-journal-timestamps': m0004,
};

export const migrations: Record<string, Migration> = Object.fromEntries(
  Object.entries(versions).map(([name, m]) => [
    name,
    {
      async up(db) {
        for (const statement of m.statements) await sql.raw(statement).execute(db);
      },
    },
  ]),
);
