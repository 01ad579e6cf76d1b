import type { Migration } from 'kysely';
import { sql } from 'kysely';
import * as m0001 from './0001-foundation.ts';
import * as m0002 from './0002-parapheur.ts';
import * as m0003 from './0003-actes.ts';
import * as m0004 from './0004-journal-timestamps.ts';
import * as m0005 from './0005-helios.ts';
import * as m0006 from './0006-webhooks.ts';
import * as m0007 from './0007-actes-signature.ts';
import * as m0008 from './0008-helios-signature.ts';
import * as m0009 from './0009-secrets-at-rest.ts';
import * as m0010 from './0010-actes-send-count.ts';
import * as m0011 from './0011-parapheur-editable-config.ts';
import * as m0012 from './0012-helios-retour-link.ts';
import * as m0013 from './0013-parapheur-pades-level.ts';

/** Versioned migrations, applied in key order. Each is a list of SQL statements run in one transaction. */
const versions: Record<string, { statements: string[] }> = {
  '0001-foundation': m0001,
  '0002-parapheur': m0002,
  '0003-actes': m0003,
  '0004-journal-timestamps': m0004,
  '0005-helios': m0005,
  '0006-webhooks': m0006,
  '0007-actes-signature': m0007,
  '0008-helios-signature': m0008,
  '0009-secrets-at-rest': m0009,
  '0010-actes-send-count': m0010,
  '0011-parapheur-editable-config': m0011,
  '0012-helios-retour-link': m0012,
  '0013-parapheur-pades-level': m0013,
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
